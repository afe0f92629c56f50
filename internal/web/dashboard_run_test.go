package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/worker"
)

// TestWorkflowRunTimeline: a run delivered by the real worker shows on
// its page: a for_each step with its items, a step that failed (with
// on_failure continue) with its reason, the response and the request as
// recorded, a skipped step with why, and a delay "waiting until" its end.
func TestWorkflowRunTimeline(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierPro)
	client := delivery.New(delivery.Options{Allow: []netip.AddrPort{d.sink.Addr()}})
	t.Cleanup(client.Close)
	wk := worker.New(d.store, client, worker.Config{Node: "web-test", MinWorkers: 1, MaxWorkers: 4, PollEvery: 50 * time.Millisecond,
		Drain: time.Second}, metrics.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	wk.Start(context.Background())
	t.Cleanup(wk.Stop)

	wf := d.workflow(tn, "timeline",
		prikke.Step{Key: "list", Method: "POST", URL: d.sink.URL("/echo"), Body: `{"a":1}`},
		prikke.Step{Key: "each", URL: d.sink.URL("/ok") + "?key={{ item | url }}", ForEach: "steps.list.json.header.Idempotency-Key"},
		prikke.Step{Key: "broken", URL: d.sink.URL("/500"), OnFailure: prikke.OnFailureContinue},
		prikke.Step{Key: "never", URL: d.sink.URL("/ok"), When: "steps.list.status == 404"},
		prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Duration: "24h"}},
		prikke.Step{Key: "later", URL: d.sink.URL("/ok")},
	)
	run, _, err := d.svc.RunStart(context.Background(), tn.actor(), wf.ID, &service.RunInput{Trigger: prikke.RunTriggerDashboard})
	if err != nil {
		t.Fatal(err)
	}
	// Wait (on the store, not the clock) until the delay has started.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, steps, err := d.svc.Run(context.Background(), tn.actor(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		done := false
		for _, s := range steps {
			if s.Key == "wait" && s.Item == prikke.NoItem && s.Status.Terminal() {
				done = true
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delay never started: %+v", steps)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p := d.as(tn).get(runPath(run.ID))
	if p.Status != http.StatusOK {
		t.Fatalf("run page: %d", p.Status)
	}
	body := p.Body
	row := func(key string, item int) string {
		i := strings.Index(body, `data-step-key="`+key+`" data-item="`+strconv.Itoa(item)+`"`)
		if i < 0 {
			t.Fatalf("no row for %s[%d]", key, item)
		}
		end := strings.Index(body[i+1:], `data-step-key=`)
		if end < 0 {
			return body[i:]
		}
		return body[i : i+1+end]
	}
	for key, want := range map[string][]string{
		"list":   {`data-step-status="succeeded"`, "POST", "/echo", `data-testid="response-status">200<`, `href="/app/executions/`},
		"broken": {`data-step-status="failed"`, `data-testid="step-reason"`, `data-testid="response-status">500<`},
		"never":  {`data-step-status="skipped"`, `data-testid="step-reason"`},
		"wait":   {`data-testid="waiting-until"`},
		"each":   {`data-step-status="succeeded"`},
		"later":  {`data-step-status="scheduled"`, `data-testid="due"`},
	} {
		r := row(key, prikke.NoItem)
		for _, w := range want {
			if !strings.Contains(r, w) {
				t.Errorf("%s's row lacks %s:\n%s", key, w, r)
			}
		}
	}
	if !strings.Contains(body, `data-testid="items-each"`) || !strings.Contains(row("each", 0), `data-step-status="succeeded"`) {
		t.Error("the for_each step's item is not shown")
	}
	if !strings.Contains(body, "hx-trigger") || !strings.Contains(body, `data-testid="cancel-run"`) {
		t.Error("the run waits for its delay but its page neither polls nor offers Cancel")
	}
}
