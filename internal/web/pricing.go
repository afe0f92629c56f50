package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// TierView is one column of the pricing table. The limits come from
// prikke.Tier.Limits, the numbers the software enforces, so the page cannot
// promise something else.
type TierView struct {
	Name        string
	Price       string // "€29"; "" when this Prikke sells no plans
	Period      string // "/month", or "" when free
	Pitch       string
	Jobs        string
	Requests    string
	MinInterval string
	History     string
	Highlight   bool
	CTA         string // "" offers nothing (a plan this Prikke does not sell)
	CTAHref     string
}

// Prices are not limits, so they live here rather than in the domain.
var tierPrices = map[prikke.Tier]string{prikke.TierFree: "€0", prikke.TierPro: "€29"}

// pricingTiers renders the tiers' limits as words for the pricing table.
// Prices and the Pro sign-up show only when this Prikke sells plans
// (billing on); otherwise its operator sets each organization's plan.
func (h *Web) pricingTiers() []TierView {
	free, pro := prikke.TierFree.Limits(), prikke.TierPro.Limits()
	tiers := []TierView{
		{
			Name: "Free", Price: tierPrices[prikke.TierFree], Pitch: "For side projects and trying Prikke out.",
			Jobs: jobsLimit(free.MaxJobs), Requests: page.Number(free.MonthlyRequests) + " requests / month",
			MinInterval: intervalLimit(free.MinInterval), History: historyLimit(free.History),
			CTA: "Start for free", CTAHref: "/signup",
		},
		{
			Name: "Pro", Price: tierPrices[prikke.TierPro], Period: "/month", Pitch: "For production workloads and teams.",
			Jobs: jobsLimit(pro.MaxJobs), Requests: page.Number(pro.MonthlyRequests) + " requests / month",
			MinInterval: intervalLimit(pro.MinInterval), History: historyLimit(pro.History),
			Highlight: true, CTA: "Go Pro", CTAHref: "/signup?plan=pro",
		},
	}
	if !h.billingOn() {
		for i := range tiers {
			tiers[i].Price, tiers[i].Period = "", ""
		}
		tiers[1].CTA, tiers[1].CTAHref = "", ""
	}
	return tiers
}

// jobsLimit words the tier's MaxJobs, which jobs and monitors share.
func jobsLimit(n int) string {
	switch n {
	case 0:
		return "Unlimited jobs and monitors"
	case 1:
		return "1 job or monitor"
	}
	return page.Number(n) + " jobs and monitors together"
}

// intervalLimit says how often a job may run at most: "Hourly", "Every minute".
func intervalLimit(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return "Runs every minute"
	case d == time.Hour:
		return "Runs at most hourly"
	case d%time.Hour == 0:
		return fmt.Sprintf("Runs at most every %d hours", d/time.Hour)
	default:
		return fmt.Sprintf("Runs at most every %d minutes", d/time.Minute)
	}
}

func historyLimit(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	if days == 1 {
		return "1 day of history"
	}
	return fmt.Sprintf("%d days of history", days)
}

// pricingView is the data of /pricing and the landing page's plans.
type pricingView struct {
	Billing bool // prices, and the payment questions, show
}

// showPricing shows the plans: with prices when this Prikke sells them,
// else the limits each plan enforces, which its operator assigns.
func (h *Web) showPricing(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "pricing", pricingView{Billing: h.billingOn()})
}
