package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/docs"
	"github.com/prikke/prikke/internal/web/page"
)

// The project's redaction: header names and JSON paths whose values are
// stored as [redacted], one a line in two text boxes.

// RedactionForm is the redaction form: as posted (with its errors), or
// the project's setting.
func (v projectSettingsView) RedactionForm() *page.Form {
	if v.RedactForm != nil {
		return v.RedactForm
	}
	return redactionForm(v.Project)
}

// RedactDefaults reports whether the project uses the default redaction.
func (v projectSettingsView) RedactDefaults() bool { return v.Project.Redact == nil }

// DefaultRedactHeaders are the headers redacted by default, for the hint.
func (v projectSettingsView) DefaultRedactHeaders() string {
	return strings.Join(prikke.DefaultRedactHeaders, ", ")
}

func redactionForm(p *prikke.Project) *page.Form {
	r := p.Redact
	if r == nil {
		r = &prikke.Redaction{Headers: prikke.DefaultRedactHeaders}
	}
	f := page.NewForm(nil)
	f.Values.Set("redact_headers", strings.Join(r.Headers, "\n"))
	f.Values.Set("redact_json_paths", strings.Join(r.JSONPaths, "\n"))
	return f
}

// lines splits a text box into its non-blank lines, trimmed.
func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var redactField = regexp.MustCompile(`^redact\.(headers|json_paths)\[(\d+)\]$`)

// updateRedaction saves the project's redaction; "defaults" puts it back
// to prikke.DefaultRedactHeaders and no JSON paths.
func (h *Web) updateRedaction(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	var red *prikke.Redaction
	if form.Get("defaults") == "" {
		red = &prikke.Redaction{Headers: lines(form.Get("redact_headers")), JSONPaths: lines(form.Get("redact_json_paths"))}
	}
	p, err := h.svc.UpdateProject(r.Context(), actorOf(r), c.Project.ID, service.ProjectInput{Redact: &red})
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		addRedactionErrors(form, err, red)
		h.renderApp(w, r, statusOf(err), "project_settings", c,
			h.withSecrets(r, projectSettingsView{Form: projectSettingsForm(c.Project), RedactForm: form, Project: c.Project, Examples: docs.VerifyExamples}))
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Redaction saved: it applies to the attempts from now on."})
	http.Redirect(w, r, "/app/projects/"+p.ID.String()+"/settings#redaction", http.StatusSeeOther)
}

// addRedactionErrors puts the service's errors beside the text box they
// are about, naming the line.
func addRedactionErrors(f *page.Form, err error, red *prikke.Redaction) {
	fields := prikke.ErrorFields(err)
	if len(fields) == 0 {
		f.AddErrors(err)
		return
	}
	for _, fe := range fields {
		m := redactField.FindStringSubmatch(fe.Field)
		if m == nil {
			switch fe.Field {
			case "redact.headers":
				f.SetError("redact_headers", fe.Message)
			case "redact.json_paths":
				f.SetError("redact_json_paths", fe.Message)
			default:
				f.SetError("", fe.Field+" "+fe.Message)
			}
			continue
		}
		i, _ := strconv.Atoi(m[2])
		value := ""
		if red != nil && m[1] == "headers" && i < len(red.Headers) {
			value = red.Headers[i]
		} else if red != nil && m[1] == "json_paths" && i < len(red.JSONPaths) {
			value = red.JSONPaths[i]
		}
		f.SetError("redact_"+m[1], fmt.Sprintf("line %d (%q) %s", i+1, value, fe.Message))
	}
}
