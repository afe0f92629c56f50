package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// executionView is the data of an execution's page: the request as sent,
// the response as received, and what happened in between.
type executionView struct {
	E           *prikke.Execution
	Job         *prikke.Job
	WebhookID   string
	Body        bodyView
	RequestBody bodyView
	Lateness    string // how late the attempt started against its due time
	Curl        string // the request as a curl command ("" when none was sent)
	Waterfall   waterfall
	Replay      *page.Form // the "Edit and replay" form, with its errors
	ReplayOpen  bool       // the form is shown open (it has errors)
	Replays     []*prikke.Execution
}

// FlowKeyURL is the page of the execution's flow key.
func (v executionView) FlowKeyURL() string { return flowKeyPath(v.E.ProjectID, v.E.FlowKey) }

// Throttled is how long flow control held the execution back.
func (v executionView) Throttled() string { return page.Duration(int(v.E.ThrottledMS)) }

// HTTPTotal is the sum of the trace's phases, in words.
func (v executionView) HTTPTotal() string {
	t := v.E.Trace
	if t == nil {
		return ""
	}
	return took(time.Duration(t.DNSUS+t.ConnectUS+t.TLSUS+t.SendUS+t.WaitUS+t.BodyUS) * time.Microsecond)
}

// MethodOptions are the replay form's methods.
func (v executionView) MethodOptions() []page.Option { return methodOptions }

// Replayable: a job's execution (not a workflow step's) may be sent again.
func (v executionView) Replayable() bool { return v.Job.Step == nil && v.Job.WorkflowID == nil }

// waterfall is where an attempt's time went: the queue (due → claimed →
// started) and the HTTP phases of the trace, each a bar whose width is its
// share of the longest row.
type waterfall struct {
	Queue  []phase
	HTTP   []phase
	Remote string
	TLS    string
	Reused bool
}

// phase is one bar of the waterfall.
type phase struct {
	Key, Label string
	Took       string  // the phase's length, in words
	Offset     float64 // percent of the total before the bar
	Width      float64 // percent of the total
}

// newWaterfall builds an execution's waterfall; empty rows when it has no
// start or no trace.
func newWaterfall(e *prikke.Execution) waterfall {
	var w waterfall
	if e.ClaimedAt != nil && e.StartedAt != nil {
		claim := max(e.ClaimedAt.Sub(e.DueAt), 0)
		start := max(e.StartedAt.Sub(*e.ClaimedAt), 0)
		w.Queue = bars([]string{"claim", "start"}, []string{"Due → claimed", "Claimed → started"}, []time.Duration{claim, start})
	}
	if t := e.Trace; t != nil {
		us := func(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
		w.HTTP = bars([]string{"dns", "connect", "tls", "send", "wait", "body"},
			[]string{"DNS", "Connect", "TLS", "Send", "Wait (TTFB)", "Body"},
			[]time.Duration{us(t.DNSUS), us(t.ConnectUS), us(t.TLSUS), us(t.SendUS), us(t.WaitUS), us(t.BodyUS)})
		w.Remote, w.TLS, w.Reused = t.RemoteAddr, t.TLSVersion, t.Reused
	}
	return w
}

// bars lays phases end to end, each as wide as its share of their sum.
func bars(keys, labels []string, ds []time.Duration) []phase {
	var total time.Duration
	for _, d := range ds {
		total += d
	}
	out := make([]phase, len(ds))
	var at time.Duration
	for i, d := range ds {
		p := phase{Key: keys[i], Label: labels[i], Took: took(d)}
		if total > 0 {
			p.Offset = 100 * float64(at) / float64(total)
			p.Width = 100 * float64(d) / float64(total)
		}
		out[i] = p
		at += d
	}
	return out
}

// took says a phase's length: microseconds under a millisecond, else
// milliseconds with one decimal under ten.
func took(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 ms"
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return page.Duration(int(d.Milliseconds()))
}

// BarWidth is the bar's drawn width: a sliver stays visible.
func (p phase) BarWidth() float64 {
	if p.Width > 0 && p.Width < 0.5 {
		return 0.5
	}
	return p.Width
}

// Fill is the bar's colour class: the queue's phases slate, the
// connection's sky, the server's wait amber, the transfer emerald.
func (p phase) Fill() string {
	switch p.Key {
	case "claim", "start":
		return "fill-slate-400"
	case "dns", "connect", "tls":
		return "fill-sky-500"
	case "wait":
		return "fill-amber-400"
	}
	return "fill-emerald-500"
}

func (h *Web) showExecution(w http.ResponseWriter, r *http.Request) {
	h.renderExecution(w, r, nil)
}

// renderExecution draws an execution's page; form is the "Edit and
// replay" form as posted (nil: prefilled from the recorded request).
func (h *Web) renderExecution(w http.ResponseWriter, r *http.Request, form *page.Form) {
	a, ctx := actorOf(r), r.Context()
	id, err := pathID(r, "execution_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.svc.Execution(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	job, err := h.svc.Job(ctx, a, e.JobID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.projectContext(w, r, e.ProjectID, "executions")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := executionView{E: e, Job: job, WebhookID: prikke.WebhookID(e.JobID, e.ScheduledFor),
		Body: viewBody(e.ResponseBody, e.ResponseTruncated), RequestBody: viewBody(e.RequestBody, e.RequestTruncated),
		Waterfall: newWaterfall(e), Replay: form, ReplayOpen: form != nil}
	if e.StartedAt != nil {
		v.Lateness = page.Duration(int(e.Lateness().Milliseconds()))
	}
	if e.RequestMethod != "" {
		v.Curl = service.Curl(e.RequestMethod, e.RequestURL, e.RequestHeaders, string(e.RequestBody))
	}
	if v.Replay == nil {
		v.Replay = replayFormValues(e)
	}
	// The replays of this execution, newest first (one page).
	if v.Replayable() {
		if replays, err := h.svc.Executions(ctx, a, service.ExecutionFilter{JobID: &e.JobID, ReplayOf: &e.ID, Limit: executionsPage}); err == nil {
			v.Replays = replays
		}
	}
	status := http.StatusOK
	if form != nil && len(form.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.renderApp(w, r, status, "execution", c, v)
}

// replayFormValues fills the "Edit and replay" form from the request an
// execution recorded: the user's headers one per line, Prikke's own left
// out (a replay makes them afresh).
func replayFormValues(e *prikke.Execution) *page.Form {
	var hs []string
	for _, hd := range e.RequestHeaders {
		if !prikke.ReservedHeader(hd.Name) {
			hs = append(hs, hd.Name+": "+hd.Value)
		}
	}
	f := page.NewForm(nil)
	f.Values.Set("method", e.RequestMethod)
	f.Values.Set("url", e.RequestURL)
	f.Values.Set("headers", strings.Join(hs, "\n"))
	f.Values.Set("body", string(e.RequestBody))
	return f
}
