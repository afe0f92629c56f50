package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// A run's page: its steps as a timeline, in the definition's order, each
// with its status, attempts, times and a bar on the run's time axis, the
// request and response of its last attempt, and why it was skipped,
// failed or cancelled. While the run runs the timeline polls itself
// (htmx, every runPollEvery); the answer for a finished run has no
// trigger, so the polling stops with the final state shown.

// runPollEvery is how often a running run's timeline is fetched again.
const runPollEvery = "1s"

// attemptsShown is how many executions of a step its row lists.
const attemptsShown = 10

// runView is the data of a run's page and of its "run_timeline" partial.
type runView struct {
	Run      *prikke.WorkflowRun
	Badge    page.Badge
	Steps    []*timelineStep
	CanWrite bool
	Duration string
	Now      time.Time
	Zone     *time.Location
}

// TimelineURL is the partial's URL, polled while the run runs ("" once
// it has finished).
func (v runView) TimelineURL() string {
	if v.Run.Status.Terminal() {
		return ""
	}
	return runPath(v.Run.ID) + "/timeline"
}

// PollEvery is the polling trigger's period.
func (runView) PollEvery() string { return runPollEvery }

// CanCancel reports whether the Cancel button shows.
func (v runView) CanCancel() bool { return v.CanWrite && v.Run.Status == prikke.RunStatusRunning }

// Payload is the trigger payload as text ("" for none).
func (v runView) Payload() string {
	if len(v.Run.Payload) == 0 || string(v.Run.Payload) == "null" {
		return ""
	}
	return string(v.Run.Payload)
}

// timelineStep is one row of the timeline: a step, or an item of a
// for_each step (in the step's Items).
type timelineStep struct {
	Key       string
	Item      int
	Label     string
	Kind      prikke.StepKind
	Status    prikke.StepStatus
	Badge     page.Badge
	Attempts  int
	Started   *time.Time
	Finished  *time.Time
	Duration  string
	Reason    string
	WaitUntil *time.Time // a delay still waiting
	Due       *time.Time // a scheduled step whose attempt is not due yet
	BarX      int        // the bar on the axis, in thousandths
	BarW      int
	Method    string
	URL       string
	Response  *stepResponse
	Execs     []*prikke.Execution
	Items     []*timelineStep
	Retryable bool // offer "Retry from here"
}

// stepResponse is the response a step recorded.
type stepResponse struct {
	Status  int
	Headers []prikke.Header
	Body    bodyView
}

// ID is the row's element id.
func (s *timelineStep) ID() string {
	if s.Item == prikke.NoItem {
		return "step-" + s.Key
	}
	return "step-" + s.Key + "-" + strconv.Itoa(s.Item)
}

// ExecutionURL is the page of the last attempt, if any.
func (s *timelineStep) ExecutionURL() string {
	if len(s.Execs) == 0 {
		return ""
	}
	return "/app/executions/" + s.Execs[0].ID.String()
}

func (h *Web) loadRun(w http.ResponseWriter, r *http.Request) (*prikke.WorkflowRun, []*prikke.RunStep, *appContext, bool) {
	id, err := pathID(r, "run_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, nil, false
	}
	run, steps, err := h.svc.Run(r.Context(), actorOf(r), id)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, nil, false
	}
	c, err := h.projectContext(w, r, run.ProjectID, "workflows")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, nil, false
	}
	return run, steps, c, true
}

func (h *Web) showRun(w http.ResponseWriter, r *http.Request) { h.serveRun(w, r, false) }

// showRunTimeline is the polled partial.
func (h *Web) showRunTimeline(w http.ResponseWriter, r *http.Request) { h.serveRun(w, r, true) }

// serveRun renders a run's page, or only its timeline for the poll.
func (h *Web) serveRun(w http.ResponseWriter, r *http.Request, timeline bool) {
	run, steps, c, ok := h.loadRun(w, r)
	if !ok {
		return
	}
	v, err := h.runView(r, c, run, steps)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if timeline {
		h.renderPartial(w, r, http.StatusOK, "run_timeline", v)
		return
	}
	h.renderApp(w, r, http.StatusOK, "run", c, v)
}

// runView builds the timeline: the definition's steps in order, each
// with its row (a step not reached yet has none: waiting), a for_each
// step with its items, and the executions of each row's job.
func (h *Web) runView(r *http.Request, c *appContext, run *prikke.WorkflowRun, rows []*prikke.RunStep) (runView, error) {
	now := h.now()
	v := runView{Run: run, Badge: runBadge(string(run.Status)), Now: now, Zone: zoneOf(r),
		CanWrite: c.Can(string(prikke.PermManageJobs))}
	end := now
	if run.FinishedAt != nil {
		end = *run.FinishedAt
	}
	v.Duration = page.Duration(int(end.Sub(run.CreatedAt) / time.Millisecond))
	own := map[string]*prikke.RunStep{}
	items := map[string][]*prikke.RunStep{}
	for _, s := range rows {
		if s.Item == prikke.NoItem {
			own[s.Key] = s
		} else {
			items[s.Key] = append(items[s.Key], s)
		}
		if s.FinishedAt != nil && s.FinishedAt.After(end) {
			end = *s.FinishedAt // a delay ending later
		}
	}
	span := end.Sub(run.CreatedAt)
	if span <= 0 {
		span = time.Millisecond
	}
	var keys []string
	kinds := map[string]prikke.StepKind{}
	if run.Definition != nil {
		for i := range run.Definition.Steps {
			s := &run.Definition.Steps[i]
			keys = append(keys, s.Key)
			kinds[s.Key] = s.Kind()
		}
	} else {
		for _, s := range rows {
			if s.Item == prikke.NoItem {
				keys = append(keys, s.Key)
			}
		}
	}
	terminal := run.Status == prikke.RunStatusFailed || run.Status == prikke.RunStatusCancelled
	for _, key := range keys {
		ts, err := h.timelineRow(r, run, key, own[key], kinds[key], now, span)
		if err != nil {
			return v, err
		}
		ts.Retryable = v.CanWrite && terminal && (ts.Status == prikke.StepStatusFailed || ts.Status == prikke.StepStatusCancelled)
		for _, it := range items[key] {
			row, err := h.timelineRow(r, run, key, it, kinds[key], now, span)
			if err != nil {
				return v, err
			}
			ts.Items = append(ts.Items, row)
		}
		v.Steps = append(v.Steps, ts)
	}
	return v, nil
}

// timelineRow draws one step row (s nil: not reached yet).
func (h *Web) timelineRow(r *http.Request, run *prikke.WorkflowRun, key string, s *prikke.RunStep, kind prikke.StepKind, now time.Time, span time.Duration) (*timelineStep, error) {
	ts := &timelineStep{Key: key, Item: prikke.NoItem, Label: key, Kind: kind, Status: prikke.StepStatusWaiting, Duration: "—"}
	if s == nil {
		ts.Badge = runBadge(string(ts.Status))
		return ts, nil
	}
	ts.Item, ts.Status, ts.Attempts, ts.Reason = s.Item, s.Status, s.Attempts, s.Reason
	if s.Item != prikke.NoItem {
		ts.Label = "item " + strconv.Itoa(s.Item)
	}
	ts.Badge = runBadge(string(s.Status))
	ts.Started, ts.Finished = s.StartedAt, s.FinishedAt
	if s.JobID != nil {
		execs, err := h.svc.Executions(r.Context(), actorOf(r), service.ExecutionFilter{JobID: s.JobID, Limit: attemptsShown})
		if err != nil && prikke.ErrorCode(err) != prikke.ENOTFOUND {
			return nil, err
		}
		ts.Execs = execs
		if len(execs) > 0 {
			last := execs[0]
			ts.Method, ts.URL = last.RequestMethod, last.RequestURL
			if s.ResponseStatus == 0 && last.ResponseStatus != 0 {
				ts.Response = &stepResponse{Status: last.ResponseStatus, Headers: last.ResponseHeaders, Body: viewBody(last.ResponseBody, last.ResponseTruncated)}
			}
			// The step's start is its first attempt's (newest first).
			if first := execs[len(execs)-1]; ts.Started == nil && first.StartedAt != nil {
				ts.Started = first.StartedAt
			}
			if ts.Finished == nil && s.Status.Terminal() && last.FinishedAt != nil {
				ts.Finished = last.FinishedAt
			}
		}
	}
	if s.Status == prikke.StepStatusScheduled && ts.Started == nil && s.DueAt != nil && s.DueAt.After(now) {
		ts.Due = s.DueAt // after a delay: its first attempt waits for it
	} else if ts.Started == nil && s.Status != prikke.StepStatusWaiting && s.Status != prikke.StepStatusSkipped {
		ts.Started = s.DueAt
	}
	if kind == prikke.StepKindDelay && ts.Started == nil {
		ts.Started = s.DueAt
	}
	if kind == prikke.StepKindDelay && s.FinishedAt != nil && s.FinishedAt.After(now) && s.Status != prikke.StepStatusCancelled {
		ts.WaitUntil = s.FinishedAt
		ts.Badge = page.Badge{Label: "Waiting", Icon: "hourglass", Class: "bg-amber-50 text-amber-800 ring-amber-600/30"}
	}
	if ts.Started != nil {
		stop := now
		if ts.Finished != nil {
			stop = *ts.Finished
		}
		if stop.Before(*ts.Started) {
			stop = *ts.Started
		}
		if s.DurationMS > 0 && ts.WaitUntil == nil {
			ts.Duration = page.Duration(s.DurationMS)
		} else {
			ts.Duration = page.Duration(int(stop.Sub(*ts.Started) / time.Millisecond))
		}
		ts.BarX = int(int64(ts.Started.Sub(run.CreatedAt)) * 1000 / int64(span))
		ts.BarW = max(int(int64(stop.Sub(*ts.Started))*1000/int64(span)), 4)
		ts.BarX = min(max(ts.BarX, 0), 996)
		ts.BarW = min(ts.BarW, 1000-ts.BarX)
	}
	if s.ResponseStatus != 0 {
		ts.Response = &stepResponse{Status: s.ResponseStatus, Headers: s.ResponseHeaders, Body: viewBody(s.ResponseBody, s.ResponseTruncated)}
	}
	return ts, nil
}

// cancelRun cancels a running run.
func (h *Web) cancelRun(w http.ResponseWriter, r *http.Request) {
	run, _, _, ok := h.loadRun(w, r)
	if !ok {
		return
	}
	if _, err := h.svc.RunCancel(r.Context(), actorOf(r), run.ID); err != nil {
		if !formError(err) && prikke.ErrorCode(err) != prikke.ECONFLICT {
			h.fail(w, r, err)
			return
		}
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: prikke.ErrorMessage(err)})
		http.Redirect(w, r, runPath(run.ID), http.StatusSeeOther)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Run cancelled: steps not finished are cancelled."})
	http.Redirect(w, r, runPath(run.ID), http.StatusSeeOther)
}

// retryRun retries a failed or cancelled run from a step, keeping the
// outputs of the steps before it.
func (h *Web) retryRun(w http.ResponseWriter, r *http.Request) {
	run, _, _, ok := h.loadRun(w, r)
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	from := form.Get("from")
	if _, err := h.svc.RunRetry(r.Context(), actorOf(r), run.ID, from); err != nil {
		if !formError(err) && prikke.ErrorCode(err) != prikke.ECONFLICT {
			h.fail(w, r, err)
			return
		}
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: prikke.ErrorMessage(err)})
		http.Redirect(w, r, runPath(run.ID), http.StatusSeeOther)
		return
	}
	msg := "Run retried from its first failed step."
	if from != "" {
		msg = "Run retried from “" + from + "”."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, runPath(run.ID), http.StatusSeeOther)
}
