package web

import (
	"net/http"
	"strings"
)

// incidentBanner is one of Prikke's open incidents as the dashboard shows
// it above every page, so customers learn of an outage where they work
// and not only on /status.
type incidentBanner struct {
	Title      string
	Status     string   // investigating, identified or monitoring
	Message    string   // the latest update's
	Components []string // as /status names them
}

// openIncidents are Prikke's open incidents, newest first, from the
// status report of the last statusTTL: however many dashboard pages are
// served, they cost no more evaluations than /status does.
func (h *Web) openIncidents(r *http.Request) []incidentBanner {
	var out []incidentBanner
	for _, inc := range h.statusReport(r).Incidents {
		if inc.ResolvedAt != nil {
			continue
		}
		b := incidentBanner{Title: inc.Title, Status: inc.Status}
		if len(inc.Updates) > 0 {
			b.Message = inc.Updates[0].Message // newest first
		}
		for _, c := range inc.Components {
			b.Components = append(b.Components, componentLabel(c))
		}
		out = append(out, b)
	}
	return out
}

// componentLabel is a component's name as the status page shows it.
func componentLabel(name string) string {
	if l := componentLabels[strings.ToLower(name)][0]; l != "" {
		return l
	}
	return name
}
