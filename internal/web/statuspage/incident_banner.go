package statuspage

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prikke/prikke/internal/web/page"
)

// incidentCache keeps the open incidents for TTL (by the web clock).
type incidentCache struct {
	mu      sync.Mutex
	at      time.Time
	loaded  bool
	banners []page.IncidentBanner
}

// OpenIncidents are Prikke's open incidents, read at most once per
// TTL however many dashboard pages are served: one query for the
// open incidents only, not /status's whole evaluation. When the read
// fails, the last list read stands.
func (h *Pages) OpenIncidents(r *http.Request) []page.IncidentBanner {
	now := h.deps.Now()
	c := &h.incidentCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded && !now.Before(c.at) && now.Sub(c.at) < TTL {
		return c.banners
	}
	incs, err := h.deps.Service.OpenIncidents(r.Context(), now)
	if err != nil {
		if r.Context().Err() == nil { // not a visitor who went away
			h.deps.Logger.Warn("could not read Prikke's open incidents for the dashboard", "error", err)
		}
		return c.banners
	}
	var out []page.IncidentBanner
	for _, inc := range incs {
		b := page.IncidentBanner{Title: inc.Title, Status: string(inc.Status)}
		if len(inc.Updates) > 0 {
			b.Message = inc.Updates[0].Message // newest first
		}
		for _, comp := range inc.Components {
			b.Components = append(b.Components, componentLabel(comp))
		}
		out = append(out, b)
	}
	c.at, c.loaded, c.banners = now, true, out
	return out
}

// componentLabel is a component's name as the status page shows it.
func componentLabel(name string) string {
	if l := componentLabels[strings.ToLower(name)][0]; l != "" {
		return l
	}
	return name
}
