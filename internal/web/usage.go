package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// usageView is the data of an organization's usage page, and of the
// usage part of its billing page: the "usage_bars" and "plan_table"
// partials draw it on both.
type usageView struct {
	Usage   *service.UsageReport
	Tier    TierView // the current plan's limits, as the pricing page words them
	Tiers   []TierView
	Billing bool   // this Prikke sells plans: prices and upgrades show
	Path    string // the organization's billing page
}

func (h *Web) showUsage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "usage")
	if !ok {
		return
	}
	u, err := h.svc.Usage(r.Context(), actorOf(r), c.Org.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "usage", c, h.usageView(u, c))
}

// usageView words u's plan and the plans there are.
func (h *Web) usageView(u *service.UsageReport, c *appContext) usageView {
	tiers := h.pricingTiers()
	v := usageView{Usage: u, Tiers: tiers, Tier: tiers[0], Billing: h.billingOn(), Path: billingPath(c.Org.ID)}
	if u != nil && u.Tier == prikke.TierPro {
		v.Tier = tiers[1]
	}
	return v
}
