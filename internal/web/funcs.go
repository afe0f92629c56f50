package web

import (
	"html/template"

	"github.com/prikke/prikke/internal/web/docs"
	"github.com/prikke/prikke/internal/web/page"
)

// funcs are the template functions: page's shared ones and the site's
// own (navigation, pricing, the dashboard's words for jobs and roles).
// Keep them few and general; a page's own formatting belongs in its
// handler's view data.
func (h *Web) funcs() template.FuncMap {
	fm := page.Funcs(h.static, h.icons, h.now)
	for name, fn := range (template.FuncMap{
		"statusBadge": statusBadge,
		"tiers":       h.pricingTiers,
		"billing":     h.billingOn,
		"publicNav":   h.publicNav,
		"appNav":      func() []page.NavItem { return appNav },
		"docsNav":     func() []docs.Page { return docs.Pages },
		// The dashboard's (format.go, ui.go).
		"schedule":  scheduleWords,
		"roleLabel": roleLabel,
		"jobBadge":  jobBadge,
		"jobName":   jobName,
		"gap":       gapText,
		"tierName":  tierName,
		// The billing page's (billing.go).
		"billingOutcome": billingOutcome,
		// The monitors' (monitors.go).
		"monitorSchedule": monitorSchedule,
		"durationWords":   durationWords,
		// Flow control's (flow_keys.go).
		"flowKeyPath": flowKeyPath,
	}) {
		fm[name] = fn
	}
	return fm
}
