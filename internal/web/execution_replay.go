package web

import (
	"net/http"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// replayExecution sends an execution's request again, as recorded, and
// goes to the new execution.
func (h *Web) replayExecution(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "execution_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.readForm(w, r) == nil {
		return
	}
	e, err := h.svc.ReplayExecution(r.Context(), actorOf(r), id, service.ReplayInput{})
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: errorSentence(err)})
		http.Redirect(w, r, "/app/executions/"+id.String(), http.StatusSeeOther)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Replayed: this is the new execution; the original is unchanged."})
	http.Redirect(w, r, "/app/executions/"+e.ID.String(), http.StatusSeeOther)
}

// replayEdited sends an execution's request again with the "Edit and
// replay" form's method, URL, headers (one "Name: value" a line) and body;
// errors go beside the fields on the execution's page.
func (h *Web) replayEdited(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "execution_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	in := service.ReplayInput{Method: new(form.Get("method")), URL: new(strings.TrimSpace(form.Get("url"))),
		Body: new(form.Get("body"))}
	hs, bad := parseHeaderLines(form.Get("headers"))
	if bad != "" {
		form.SetError("headers", bad)
		h.renderExecution(w, r, form)
		return
	}
	in.Headers = &hs
	e, err := h.svc.ReplayExecution(r.Context(), actorOf(r), id, in)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		addReplayErrors(form, err)
		h.renderExecution(w, r, form)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Replayed with your edits: this is the new execution; the original is unchanged."})
	http.Redirect(w, r, "/app/executions/"+e.ID.String(), http.StatusSeeOther)
}

// addReplayErrors puts the service's errors beside the replay form's
// fields (headers[i]… and headers.Name beside the headers box).
func addReplayErrors(f *page.Form, err error) {
	fields := prikke.ErrorFields(err)
	if len(fields) == 0 {
		f.AddErrors(err)
		return
	}
	for _, fe := range fields {
		switch name := fe.Field; {
		case name == "method" || name == "url" || name == "body":
			f.SetError(name, fe.Message)
		case strings.HasPrefix(name, "headers"):
			f.SetError("headers", strings.TrimPrefix(strings.TrimPrefix(name, "headers"), ".")+" "+fe.Message)
		default:
			f.SetError("", strings.TrimSpace(name+" "+fe.Message))
		}
	}
}

// errorSentence is an error's message with its fields, for a flash.
func errorSentence(err error) string {
	fs := prikke.ErrorFields(err)
	if len(fs) == 0 {
		return prikke.ErrorMessage(err)
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Field + " " + f.Message
	}
	return strings.Join(parts, "; ")
}
