package web

import (
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// monitorEvents is a monitor page's event stream. The store announces
// recorded pings on every node ("<monitor_id> <ping_id>" lines); for each
// of this monitor's, the stream loads the ping through the service (so
// the viewer's access is checked each time) and sends its row ("ping",
// which app.js puts at the top of the log) and the monitor's state
// ("monitor-summary"). The state is sent again at every keep-alive too,
// since a deadline (late, down) moves it without a ping. It ends when the
// browser leaves, the session ends or the monitor is gone.
func (h *Web) monitorEvents(w http.ResponseWriter, r *http.Request) {
	a, ctx, loc := actorOf(r), r.Context(), zoneOf(r)
	id, err := pathID(r, "monitor_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, sub, err := h.svc.SubscribeMonitorPings(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer sub.Close()
	es, err := page.NewEventStream(w, h.tpl)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	// Catch up first: pings recorded between the page's rendering and
	// this subscription are sent again, oldest first.
	recent, err := h.svc.MonitorPings(ctx, a, m.ID, service.PingFilter{Limit: catchUpRows})
	if err != nil {
		return
	}
	for i := len(recent) - 1; i >= 0; i-- {
		if es.Send("ping", "ping_row", newPingRow(recent[i], loc)) != nil {
			return
		}
	}
	if h.sendMonitorSummary(r, es, m.ID, loc) != nil {
		return
	}
	ping := time.NewTicker(eventsPing)
	defer ping.Stop()
	token := h.cookie.Read(r)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if !h.keepAlive(ctx, token, es) {
				return
			}
			if h.sendMonitorSummary(r, es, m.ID, loc) != nil {
				return
			}
		case ev := <-sub.C:
			ids := executionIDsOf(ev.Payload, m.ID) // the same "<owner> <id>" lines
			if len(ids) == 0 {
				continue
			}
			for _, pid := range ids {
				p, err := h.svc.MonitorPing(ctx, a, m.ID, pid)
				if prikke.ErrorCode(err) == prikke.ENOTFOUND {
					continue // pruned, or deleted with its monitor
				}
				if err != nil {
					return
				}
				if es.Send("ping", "ping_row", newPingRow(p, loc)) != nil {
					return
				}
			}
			if h.sendMonitorSummary(r, es, m.ID, loc) != nil {
				return
			}
		}
	}
}

// sendMonitorSummary sends the monitor's state as it is now; an error
// (the monitor deleted, the viewer's access gone, the browser gone) ends
// the stream.
func (h *Web) sendMonitorSummary(r *http.Request, es *page.EventStream, id prikke.ID, loc *time.Location) error {
	a, ctx := actorOf(r), r.Context()
	m, err := h.svc.Monitor(ctx, a, id)
	if err != nil {
		return err
	}
	flips, err := h.svc.MonitorFlips(ctx, a, id, 5)
	if err != nil {
		return err
	}
	return es.Send("monitor-summary", "monitor_summary", h.monitorSummary(m, flips, loc))
}
