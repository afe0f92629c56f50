package web

import (
	"net/http"
	"net/url"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// testResultView is the "test_result" fragment: what a test request got
// back, or why it was not sent.
type testResultView struct {
	Error      string           // why it was not sent
	Fields     []page.FormError // the form's problems, when that is why
	Status     prikke.ExecutionStatus
	StatusCode int
	Duration   string
	Headers    []prikke.Header
	Body       bodyView
	Delivery   string // the delivery error (a timeout, a refused connection)
}

// testJob sends the editor's request once, now, and answers with the
// "test_result" fragment. It always answers 200 (htmx swaps only
// successes): the fragment says what went wrong.
func (h *Web) testJob(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.svc.Project(ctx, a, id); err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	// A test is not a job: its schedule does not matter, so an unfinished
	// one does not stop it.
	probe := page.NewForm(url.Values{})
	for k, v := range form.Values {
		probe.Values[k] = v
	}
	probe.Values.Set("schedule_kind", kindInterval)
	probe.Values.Set("interval", string(prikke.IntervalHourly))
	probe.Values.Set("timezone", "UTC")
	in, idx := jobInput(probe, nil)
	res, err := h.svc.TestSend(ctx, a, &id, in)
	if err != nil {
		v := testResultView{Error: "The request was not sent."}
		switch {
		case prikke.ErrorCode(err) == prikke.EFORBIDDEN || formError(err):
			addJobErrors(probe, err, idx)
			for _, fe := range probe.List() {
				if fe.Field == "" {
					v.Error = fe.Message
					continue
				}
				v.Fields = append(v.Fields, fe)
			}
		default:
			h.log.Error("web: test request", "error", err, "request_id", w.Header().Get("X-Request-Id"))
			v.Error = "Something went wrong on our side; the request was not sent."
		}
		h.renderPartial(w, r, http.StatusOK, "test_result", v)
		return
	}
	h.renderPartial(w, r, http.StatusOK, "test_result", testResultView{Status: res.Status, StatusCode: res.StatusCode,
		Duration: page.Duration(int(res.Duration.Milliseconds())), Headers: res.Headers,
		Body: viewBody(res.Body, res.Truncated), Delivery: res.Error})
}
