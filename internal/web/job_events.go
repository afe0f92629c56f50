package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// catchUpRows is how many of the newest executions a new stream sends
// first, in case they changed before it subscribed.
const catchUpRows = 20

// eventsPing is how often an idle stream sends a comment (proxies close
// silent connections) and checks that the session is still valid.
const eventsPing = 25 * time.Second

// keepAlive is an event stream's ping: it reports whether the session
// behind token is still valid and the browser still there (a comment sent
// through es), so the stream goes on.
func (h *Web) keepAlive(ctx context.Context, token string, es *page.EventStream) bool {
	_, _, err := h.svc.Authenticate(ctx, token)
	return err == nil && es.Ping() == nil
}

// jobEvents is a job page's event stream. The store announces changed
// executions on every node ("<job_id> <execution_id>" lines); for each of
// this job's, the stream loads the execution through the service (so the
// viewer's access is checked each time) and sends its row ("execution",
// which app.js puts in place or at the top of the table) and the job's
// state ("job-summary"). It ends when the browser leaves, the session
// ends or the job is gone.
func (h *Web) jobEvents(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	id, err := pathID(r, "job_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	job, sub, err := h.svc.SubscribeExecutions(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer sub.Close()
	filter := parseExecutionFilter(r.URL.Query())
	es, err := page.NewEventStream(w, h.tpl)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	// Catch up first: whatever changed between the page's rendering and
	// this subscription (a run that finished in between, or while the
	// browser was reconnecting) is sent again, oldest first.
	sf := filter.serviceFilter(h.now())
	sf.JobID, sf.BeforeCreatedAt, sf.Limit = &job.ID, time.Time{}, catchUpRows
	recent, err := h.svc.Executions(ctx, a, sf)
	if err != nil {
		return
	}
	for i := len(recent) - 1; i >= 0; i-- {
		if es.Send("execution", "execution_row", newExecutionRow(recent[i], jobName(job), false, zoneOf(r))) != nil {
			return
		}
	}
	if es.Send("job-summary", "job_summary", jobSummary{Job: job, Health: jobBadge(job), Zone: zoneOf(r)}) != nil {
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
		case ev := <-sub.C:
			ids := executionIDsOf(ev.Payload, job.ID)
			if len(ids) == 0 {
				continue
			}
			for _, eid := range ids {
				e, err := h.svc.Execution(ctx, a, eid)
				if prikke.ErrorCode(err) == prikke.ENOTFOUND {
					continue // pruned, or deleted with its job
				}
				if err != nil {
					return
				}
				if e.JobID != job.ID || !filter.matches(e, h.now()) {
					continue
				}
				if es.Send("execution", "execution_row", newExecutionRow(e, jobName(job), false, zoneOf(r))) != nil {
					return
				}
			}
			j, err := h.svc.Job(ctx, a, job.ID)
			if err != nil {
				return // deleted, or the viewer lost access
			}
			if es.Send("job-summary", "job_summary", jobSummary{Job: j, Health: jobBadge(j), Zone: zoneOf(r)}) != nil {
				return
			}
		}
	}
}

// executionIDsOf returns the execution ids of job's lines in a
// TopicExecutions payload, each once.
func executionIDsOf(payload string, job prikke.ID) []prikke.ID {
	var ids []prikke.ID
	seen := map[prikke.ID]bool{}
	want := job.String()
	for _, line := range strings.Split(payload, "\n") {
		jid, eid, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || jid != want {
			continue
		}
		id, err := prikke.ParseID(eid)
		if err != nil || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}
