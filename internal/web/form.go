package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// maxFormBytes bounds a posted form: a job's body may be 256 KiB, and
// percent-encoding can triple it.
const maxFormBytes = 1 << 20

// readForm parses a POST's form (url-encoded, at most maxFormBytes) into a
// Form. On failure it has answered the request and returns nil.
func (h *Web) readForm(w http.ResponseWriter, r *http.Request) *page.Form {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.fail(w, r, prikke.Errorf(prikke.ETOOLARGE, "The form is too large: at most 1 MiB. Send less data, or a link to it."))
			return nil
		}
		h.fail(w, r, prikke.Errorf(prikke.EINVALID, "The form could not be read; reload the page and try again."))
		return nil
	}
	return page.NewForm(r.PostForm)
}

// formError reports whether err belongs in a form, beside its fields or
// above them: invalid input, a tier limit, a conflict, a size limit, too
// many attempts. Anything else (not found, a role, an outage) goes to fail.
func formError(err error) bool {
	switch prikke.ErrorCode(err) {
	case prikke.EINVALID, prikke.ELIMIT, prikke.ECONFLICT, prikke.ETOOLARGE, prikke.ERATELIMIT:
		return true
	}
	return false
}

// parseHeaderLines reads a textarea of "Name: value" lines (the replay
// form, a workflow step's card); blank lines are skipped. A line without a
// colon is kept whole as a header name, which the service refuses, and
// named in the reason returned ("" when every line reads).
func parseHeaderLines(s string) ([]prikke.Header, string) {
	hs := []prikke.Header{}
	bad := ""
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if (!ok || strings.TrimSpace(name) == "") && bad == "" {
			bad = "write one header a line, as Name: value (\"" + strings.TrimSpace(line) + "\" has no colon)"
		}
		hs = append(hs, prikke.Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	return hs, bad
}
