package web

import (
	"net/http"

	"github.com/prikke/prikke"
)

// The notifier (internal/notify) writes links into mails, Slack and
// Discord messages and webhook payloads without the dashboard's /app
// prefix: /jobs/{id}, /jobs/{id}/executions/{id}, /projects/{id},
// /projects/{id}/channels and /settings/usage?org={id}. Links already sent
// must keep working, so each is a redirect to its dashboard page, which
// asks for a session and checks the id through the service like any
// other. A malformed id is the 404 page, as on the dashboard.

func (h *Web) redirectJob(w http.ResponseWriter, r *http.Request) {
	h.redirectID(w, r, "job_id", func(id prikke.ID) string { return "/app/jobs/" + id.String() })
}

func (h *Web) redirectExecution(w http.ResponseWriter, r *http.Request) {
	if _, err := pathID(r, "job_id"); err != nil {
		h.NotFound(w, r)
		return
	}
	h.redirectID(w, r, "execution_id", func(id prikke.ID) string { return "/app/executions/" + id.String() })
}

func (h *Web) redirectMonitor(w http.ResponseWriter, r *http.Request) {
	h.redirectID(w, r, "monitor_id", func(id prikke.ID) string { return "/app/monitors/" + id.String() })
}

func (h *Web) redirectProject(w http.ResponseWriter, r *http.Request) {
	h.redirectID(w, r, "project_id", func(id prikke.ID) string { return "/app/projects/" + id.String() })
}

func (h *Web) redirectChannels(w http.ResponseWriter, r *http.Request) {
	h.redirectID(w, r, "project_id", func(id prikke.ID) string { return "/app/projects/" + id.String() + "/channels" })
}

func (h *Web) redirectUsage(w http.ResponseWriter, r *http.Request) {
	id, err := prikke.ParseID(r.URL.Query().Get("org"))
	if err != nil {
		h.NotFound(w, r)
		return
	}
	http.Redirect(w, r, "/app/orgs/"+id.String()+"/usage", http.StatusFound)
}

// redirectID redirects to the page to(id) of the URL's {name} id.
func (h *Web) redirectID(w http.ResponseWriter, r *http.Request, name string, to func(prikke.ID) string) {
	id, err := pathID(r, name)
	if err != nil {
		h.NotFound(w, r)
		return
	}
	http.Redirect(w, r, to(id), http.StatusFound)
}
