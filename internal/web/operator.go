package web

import (
	"context"
	"net/http"

	"github.com/prikke/prikke/internal/service"
)

// The operator console, /operator/…, is for the accounts
// PRIKKE_OPERATOR_EMAILS lists: incidents on /status, every organization
// (and suspending one), the cluster's nodes and the audit log of operator
// actions. To anyone else, signed in or not, every /operator path is the
// same 404 as an unknown page: the console does not reveal itself. Every
// action goes through the service's operator methods, which audit it.

// mountOperator adds the operator console.
func (h *Web) mountOperator(handle func(string, func(http.ResponseWriter, *http.Request))) {
	op := h.requireOperator
	handle("GET /operator", op(h.showOperatorIncidents))
	handle("GET /operator/{$}", op(h.showOperatorIncidents))
	handle("POST /operator/incidents", op(h.openIncident))
	handle("POST /operator/incidents/{incident_id}/updates", op(h.updateIncident))
	handle("GET /operator/orgs", op(h.showOperatorOrgs))
	handle("GET /operator/orgs/{org_id}", op(h.showOperatorOrg))
	handle("POST /operator/orgs/{org_id}/suspend", op(h.suspendOrg))
	handle("POST /operator/orgs/{org_id}/unsuspend", op(h.unsuspendOrg))
	handle("POST /operator/orgs/{org_id}/tier", op(h.setOrgTier))
	handle("GET /operator/nodes", op(h.showOperatorNodes))
	handle("GET /operator/audit", op(h.showOperatorAudit))
}

type operatorKey struct{}

// operatorOf is the operator of a request that passed requireOperator.
func operatorOf(r *http.Request) *service.Operator {
	op, _ := r.Context().Value(operatorKey{}).(*service.Operator)
	return op
}

// requireOperator lets only operators through, with their actor and
// operator in the request's context. Anyone else gets the 404 page, as
// for a path that does not exist: no redirect to /login, which would tell
// a visitor the console is there.
func (h *Web) requireOperator(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := h.authenticate(r)
		if err != nil {
			h.NotFound(w, r)
			return
		}
		op, err := h.svc.OperatorFor(a)
		if err != nil || op == nil {
			h.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		ctx := context.WithValue(r.Context(), actorKey, a)
		ctx = context.WithValue(ctx, operatorKey{}, op)
		next(w, r.WithContext(ctx))
	}
}

// operatorTab is one tab of the console.
type operatorTab struct {
	Label   string
	Href    string
	Icon    string
	Current bool
}

// operatorTabs are the console's sections; current is the tab's Href.
func operatorTabs(current string) []operatorTab {
	tabs := []operatorTab{
		{Label: "Incidents", Href: "/operator", Icon: "triangle-alert"},
		{Label: "Organizations", Href: "/operator/orgs", Icon: "building-2"},
		{Label: "Nodes", Href: "/operator/nodes", Icon: "server"},
		{Label: "Audit log", Href: "/operator/audit", Icon: "history"},
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Href == current
	}
	return tabs
}

// operatorContext is the dashboard context of a console page: the
// operator's remembered project, with the console marked in the
// navigation. On failure it has answered the request.
func (h *Web) operatorContext(w http.ResponseWriter, r *http.Request) (*appContext, bool) {
	c, err := h.userContext(w, r, "operator")
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return c, true
}
