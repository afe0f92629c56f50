package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// usageView is the data of an organization's usage and plan page.
type usageView struct {
	Usage *service.UsageReport
	Tier  TierView // the current plan's limits, as the pricing page words them
	Tiers []TierView
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
	tiers := pricingTiers()
	v := usageView{Usage: u, Tiers: tiers, Tier: tiers[0]}
	if u.Tier == prikke.TierPro {
		v.Tier = tiers[1]
	}
	h.renderApp(w, r, http.StatusOK, "usage", c, v)
}
