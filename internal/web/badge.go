package web

import (
	"fmt"
	"html"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/prikke/prikke"
)

// A monitor's public status badge, /badge/<badge token>.svg: a
// shields-style SVG, "name | up", coloured by the status. It needs no
// session (the token is its credential, apart from the ping token), shows
// the name and the status and nothing else, and is cached briefly.

// badgeCache is the badge's Cache-Control: short, so a README shows a
// change within a minute.
const badgeCache = "public, max-age=30"

// badgeColours are the right half's colours by status, as shields uses.
var badgeColours = map[prikke.MonitorStatus]string{
	prikke.MonitorNew:     "#9f9f9f",
	prikke.MonitorUp:      "#10b981",
	prikke.MonitorLate:    "#f59e0b",
	prikke.MonitorRunning: "#0ea5e9",
	prikke.MonitorDown:    "#ef4444",
	prikke.MonitorPaused:  "#9f9f9f",
}

// showBadge writes the badge of the token in /badge/{file}; an unknown
// token is a 404 with a grey "not found" badge, so an <img> still shows
// something.
func (h *Web) showBadge(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !ok || token == "" {
		h.badgeNotFound(w)
		return
	}
	m, err := h.svc.MonitorByBadgeToken(r.Context(), token)
	if prikke.ErrorCode(err) == prikke.ENOTFOUND {
		h.badgeNotFound(w)
		return
	}
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		h.ServerError(w, r, err)
		return
	}
	st := m.StatusAt(h.now())
	w.Header().Set("Cache-Control", badgeCache)
	w.WriteHeader(http.StatusOK)
	w.Write(badgeSVG(m.Name, string(st), badgeColours[st]))
}

func (h *Web) badgeNotFound(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", badgeCache)
	w.WriteHeader(http.StatusNotFound)
	w.Write(badgeSVG("badge", "not found", "#9f9f9f"))
}

// badgeSVG draws "label | value" with value on colour. Text widths are
// estimated (about 7 px a character at 11 px Verdana), as the badge needs
// no font metrics to be legible.
func badgeSVG(label, value, colour string) []byte {
	if colour == "" {
		colour = "#9f9f9f"
	}
	if utf8.RuneCountInString(label) > 40 {
		label = string([]rune(label)[:39]) + "…"
	}
	lw := 10 + 7*utf8.RuneCountInString(label)
	vw := 10 + 7*utf8.RuneCountInString(value)
	tw := lw + vw
	l, v := html.EscapeString(label), html.EscapeString(value)
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="%[1]d" height="20" role="img" aria-label="%[4]s: %[5]s">`+
		`<title>%[4]s: %[5]s</title>`+
		`<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`+
		`<clipPath id="r"><rect width="%[1]d" height="20" rx="3" fill="#fff"/></clipPath>`+
		`<g clip-path="url(#r)"><rect width="%[2]d" height="20" fill="#555"/><rect x="%[2]d" width="%[3]d" height="20" fill="%[6]s"/><rect width="%[1]d" height="20" fill="url(#s)"/></g>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="%[7]d" y="15" fill="#010101" fill-opacity=".3">%[4]s</text><text x="%[7]d" y="14">%[4]s</text>`+
		`<text x="%[8]d" y="15" fill="#010101" fill-opacity=".3">%[5]s</text><text x="%[8]d" y="14">%[5]s</text></g></svg>`,
		tw, lw, vw, l, v, colour, lw/2, lw+vw/2)
}
