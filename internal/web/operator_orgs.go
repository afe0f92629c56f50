package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// operatorOrgsPage is how many organizations one page of the list shows.
const operatorOrgsPage = 50

// operatorOrgsView is the data of the console's organizations tab: the
// search, one page of organizations, newest first, and the link to the
// next page.
type operatorOrgsView struct {
	Tabs      []operatorTab
	Query     string
	Suspended bool
	Orgs      []orgSummaryRow
	Next      string // the next page's URL, or ""
}

// orgSummaryRow is one organization as the console lists it.
type orgSummaryRow struct {
	*service.OrganizationSummary
	Limit int64 // the tier's monthly requests
}

// OverLimit reports whether this month's requests passed the tier's limit.
func (r orgSummaryRow) OverLimit() bool { return r.Limit > 0 && r.Requests > r.Limit }

func summaryRow(s *service.OrganizationSummary) orgSummaryRow {
	return orgSummaryRow{OrganizationSummary: s, Limit: int64(s.Organization.Tier.Limits().MonthlyRequests)}
}

func (h *Web) showOperatorOrgs(w http.ResponseWriter, r *http.Request) {
	c, ok := h.operatorContext(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := service.OrganizationQuery{Query: strings.TrimSpace(q.Get("q")), Suspended: q.Get("suspended") != "",
		Limit: operatorOrgsPage + 1}
	// The page after an organization: ?before=<id>&before_at=<created at>.
	if id, err := prikke.ParseID(q.Get("before")); err == nil {
		if at, err := time.Parse(time.RFC3339Nano, q.Get("before_at")); err == nil {
			f.BeforeID, f.BeforeCreatedAt = id, at
		}
	}
	sums, err := h.svc.OperatorOrganizations(r.Context(), operatorOf(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := operatorOrgsView{Tabs: operatorTabs("/operator/orgs"), Query: f.Query, Suspended: f.Suspended}
	if len(sums) > operatorOrgsPage {
		last := sums[operatorOrgsPage-1].Organization
		next := url.Values{"before": {last.ID.String()}, "before_at": {last.CreatedAt.UTC().Format(time.RFC3339Nano)}}
		if f.Query != "" {
			next.Set("q", f.Query)
		}
		if f.Suspended {
			next.Set("suspended", "1")
		}
		v.Next = "/operator/orgs?" + next.Encode()
		sums = sums[:operatorOrgsPage]
	}
	for _, s := range sums {
		v.Orgs = append(v.Orgs, summaryRow(s))
	}
	h.renderApp(w, r, http.StatusOK, "operator_orgs", c, v)
}

// operatorOrgView is the data of one organization's page in the console:
// its summary, the suspend form (a reason is required) and the tier form.
type operatorOrgView struct {
	Tabs     []operatorTab
	Org      orgSummaryRow
	Form     *page.Form // suspend
	TierForm *page.Form
	Tiers    []page.Option
}

// operatorOrg loads the summary of the URL's {org_id}; an unknown ID is a
// 404. On failure it has answered the request.
func (h *Web) operatorOrg(w http.ResponseWriter, r *http.Request) (*service.OrganizationSummary, bool) {
	id, err := pathID(r, "org_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	sums, err := h.svc.OperatorOrganizations(r.Context(), operatorOf(r), service.OrganizationQuery{Query: id.String(), Limit: 1})
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	if len(sums) == 0 || sums[0].Organization.ID != id {
		h.NotFound(w, r)
		return nil, false
	}
	return sums[0], true
}

func (h *Web) showOperatorOrg(w http.ResponseWriter, r *http.Request) {
	s, ok := h.operatorOrg(w, r)
	if !ok {
		return
	}
	h.renderOperatorOrg(w, r, http.StatusOK, s, page.NewForm(nil), nil)
}

func (h *Web) renderOperatorOrg(w http.ResponseWriter, r *http.Request, status int, s *service.OrganizationSummary, form, tierForm *page.Form) {
	c, ok := h.operatorContext(w, r)
	if !ok {
		return
	}
	if tierForm == nil {
		tierForm = page.NewForm(nil)
		tierForm.Values.Set("tier", string(s.Organization.BaseTier))
	}
	tierForm.Prefix = "tier"
	v := operatorOrgView{Tabs: operatorTabs("/operator/orgs"), Org: summaryRow(s), Form: form, TierForm: tierForm,
		Tiers: []page.Option{{Value: string(prikke.TierFree), Label: "Free"}, {Value: string(prikke.TierPro), Label: "Pro"}}}
	h.renderApp(w, r, status, "operator_org", c, v)
}

func (h *Web) suspendOrg(w http.ResponseWriter, r *http.Request) {
	s, ok := h.operatorOrg(w, r)
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	res, err := h.svc.SuspendOrganization(r.Context(), operatorOf(r), s.Organization.ID, form.Get("reason"))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderOperatorOrg(w, r, statusOf(err), s, form, nil)
		return
	}
	msg := "“" + s.Organization.Name + "” is suspended."
	if res != nil && (len(res.Jobs) > 0 || len(res.Monitors) > 0) {
		msg += " Paused " + page.Number(len(res.Jobs)) + " jobs and " + page.Number(len(res.Monitors)) + " monitors."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, "/operator/orgs/"+s.Organization.ID.String(), http.StatusSeeOther)
}

func (h *Web) unsuspendOrg(w http.ResponseWriter, r *http.Request) {
	s, ok := h.operatorOrg(w, r)
	if !ok {
		return
	}
	if h.readForm(w, r) == nil {
		return
	}
	if _, err := h.svc.UnsuspendOrganization(r.Context(), operatorOf(r), s.Organization.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "“" + s.Organization.Name + "” is no longer suspended; what the suspension paused runs again."})
	http.Redirect(w, r, "/operator/orgs/"+s.Organization.ID.String(), http.StatusSeeOther)
}

func (h *Web) setOrgTier(w http.ResponseWriter, r *http.Request) {
	s, ok := h.operatorOrg(w, r)
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	o, err := h.svc.SetBaseTierAs(r.Context(), operatorOf(r), s.Organization.ID, prikke.Tier(form.Get("tier")))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderOperatorOrg(w, r, statusOf(err), s, page.NewForm(nil), form)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "“" + o.Name + "” is now on " + tierName(o.Tier) + "."})
	http.Redirect(w, r, "/operator/orgs/"+s.Organization.ID.String(), http.StatusSeeOther)
}
