package web

import (
	"html/template"
	"net/http"
	"regexp"
	"strings"

	"github.com/prikke/prikke/internal/mail"
)

// mailboxView is the data of /dev/mailbox.
type mailboxView struct {
	Enabled  bool // false when mail goes out through SMTP
	Messages []mail.Stored
}

func (h *Web) showMailbox(w http.ResponseWriter, r *http.Request) {
	v := mailboxView{Enabled: h.deps.Mailbox != nil}
	if h.deps.Mailbox != nil {
		v.Messages = h.deps.Mailbox.List()
	}
	h.render(w, r, http.StatusOK, "dev_mailbox", v)
}

// mailView is the data of /dev/mailbox/{id}.
type mailView struct {
	Mail mail.Stored
	Text template.HTML // the text part, escaped, with its links made clickable
}

func (h *Web) showMail(w http.ResponseWriter, r *http.Request) {
	m, ok := h.storedMail(r)
	if !ok {
		h.NotFound(w, r)
		return
	}
	h.render(w, r, http.StatusOK, "dev_mail", mailView{Mail: m, Text: linkify(m.Text)})
}

// showMailHTML shows a mail's HTML part as the mail client would, on a page
// of its own. Mail HTML relies on inline styles, which the site's CSP
// forbids, so this response replaces the CSP with a sandbox: inline styles
// and data: images only, no scripts, no forms, no requests anywhere.
func (h *Web) showMailHTML(w http.ResponseWriter, r *http.Request) {
	m, ok := h.storedMail(r)
	if !ok || m.HTML == "" {
		h.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Security-Policy",
		"sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(m.HTML))
}

func (h *Web) storedMail(r *http.Request) (mail.Stored, bool) {
	if h.deps.Mailbox == nil {
		return mail.Stored{}, false
	}
	return h.deps.Mailbox.Get(r.PathValue("id"))
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"'\x60]+`)

// linkify escapes text and turns its http(s) URLs into links. Trailing
// punctuation stays outside the link ("see https://x.test/a." links to
// https://x.test/a).
func linkify(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, loc := range urlRE.FindAllStringIndex(text, -1) {
		start, end := loc[0], loc[1]
		for end > start && strings.ContainsRune(".,;:!?)]}", rune(text[end-1])) {
			if text[end-1] == ')' && strings.Count(text[start:end], "(") >= strings.Count(text[start:end], ")") {
				break
			}
			end--
		}
		u := text[start:end]
		b.WriteString(template.HTMLEscapeString(text[last:start]))
		b.WriteString(`<a class="link break-all" href="` + template.HTMLEscapeString(u) + `">` + template.HTMLEscapeString(u) + `</a>`)
		last = end
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String())
}
