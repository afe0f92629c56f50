package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// operatorIncidentsView is the data of the console's incidents tab: the
// form that posts one, and the open and recently resolved incidents, each
// with the form that adds an update (Forms, by incident ID, holds the one
// that failed).
type operatorIncidentsView struct {
	Tabs       []operatorTab
	Form       *page.Form
	Statuses   []page.Option
	Components []page.Option
	Incidents  []*prikke.Incident
	Forms      map[prikke.ID]*page.Form
}

// UpdateForm is the update form of an incident: the one that failed, or
// an empty one at the incident's status.
func (v operatorIncidentsView) UpdateForm(inc *prikke.Incident) *page.Form {
	if f, ok := v.Forms[inc.ID]; ok {
		return f
	}
	f := page.NewForm(nil)
	f.Prefix = inc.ID.String()
	f.Values.Set("status", string(inc.Status))
	return f
}

// ComponentName is a component's name as /status shows it.
func (v operatorIncidentsView) ComponentName(name string) string { return componentName(name) }

// incidentStatusOptions are the states of an incident, resolved last when
// withResolved.
func incidentStatusOptions(withResolved bool) []page.Option {
	out := []page.Option{
		{Value: string(prikke.IncidentInvestigating), Label: "Investigating"},
		{Value: string(prikke.IncidentIdentified), Label: "Identified"},
		{Value: string(prikke.IncidentMonitoring), Label: "Monitoring"},
	}
	if withResolved {
		out = append(out, page.Option{Value: string(prikke.IncidentResolved), Label: "Resolved"})
	}
	return out
}

func (h *Web) showOperatorIncidents(w http.ResponseWriter, r *http.Request) {
	h.renderOperatorIncidents(w, r, http.StatusOK, page.NewForm(nil), nil)
}

func (h *Web) renderOperatorIncidents(w http.ResponseWriter, r *http.Request, status int, form *page.Form, forms map[prikke.ID]*page.Form) {
	c, ok := h.operatorContext(w, r)
	if !ok {
		return
	}
	incs, err := h.svc.Incidents(r.Context(), operatorOf(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := operatorIncidentsView{Tabs: operatorTabs("/operator"), Form: form, Statuses: incidentStatusOptions(false),
		Incidents: incs, Forms: forms}
	for _, name := range prikke.Components {
		v.Components = append(v.Components, page.Option{Value: name, Label: componentName(name)})
	}
	h.renderApp(w, r, status, "operator_incidents", c, v)
}

// componentName is a /status component's name as the page shows it.
func componentName(name string) string {
	switch name {
	case "api":
		return "API"
	case "dashboard":
		return "Dashboard"
	case "scheduler":
		return "Scheduler"
	case "delivery":
		return "Webhook delivery"
	}
	return name
}

func (h *Web) openIncident(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	in := service.IncidentInput{Title: form.Get("title"), Message: form.Get("message"),
		Status: prikke.IncidentStatus(form.Get("status")), Components: form.Values["components"]}
	inc, err := h.svc.OpenIncidentAs(r.Context(), operatorOf(r), in)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderOperatorIncidents(w, r, statusOf(err), form, nil)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Incident “" + inc.Title + "” posted on /status."})
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

// updateIncident adds an update; the Resolve button (resolve=1) posts the
// update as resolved, which closes the incident.
func (h *Web) updateIncident(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "incident_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	form.Prefix = id.String()
	st := prikke.IncidentStatus(form.Get("status"))
	if form.Get("resolve") != "" {
		st = prikke.IncidentResolved
	}
	inc, err := h.svc.UpdateIncidentAs(r.Context(), operatorOf(r), id, st, form.Get("message"))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderOperatorIncidents(w, r, statusOf(err), page.NewForm(nil), map[prikke.ID]*page.Form{id: form})
		return
	}
	msg := "Update posted to “" + inc.Title + "”."
	if inc.Status == prikke.IncidentResolved {
		msg = "Incident “" + inc.Title + "” resolved."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

// ComponentChecked reports whether the posted form ticked a component.
func (v operatorIncidentsView) ComponentChecked(name string) bool {
	for _, c := range v.Form.Values["components"] {
		if c == name {
			return true
		}
	}
	return false
}
