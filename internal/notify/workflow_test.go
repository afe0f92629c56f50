package notify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/notify"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// workflowRun runs a one-step workflow through the store as the worker
// would: start, claim the step's attempt, complete it with the status.
func (f *fixture) workflowRun(t *testing.T, w *prikke.Workflow, ok bool) *prikke.WorkflowRun {
	t.Helper()
	ctx := context.Background()
	f.clock = f.clock.Add(time.Minute)
	run, _, err := f.s.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: w.ID, Trigger: prikke.RunTriggerAPI, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 1, Now: f.clock.Add(time.Second)})
	if err != nil || len(res.Claimed) != 1 || res.Claimed[0].Job.Step == nil {
		t.Fatalf("claim the step's attempt: %v", err)
	}
	c := res.Claimed[0]
	cp := &store.Completion{ExecutionID: c.Execution.ID, JobID: c.Job.ID, OrganizationID: f.tn.Org.ID, Attempt: 1,
		Status: prikke.ExecutionStatusSuccess, StartedAt: f.clock, FinishedAt: f.clock.Add(time.Second), ResponseStatus: 200,
		Step: c.Job.Step}
	if !ok {
		cp.Status, cp.ResponseStatus, cp.Error = prikke.ExecutionStatusFailed, 503, "HTTP 503"
	}
	if _, err := f.s.ExecutionComplete(ctx, "n", []*store.Completion{cp}); err != nil {
		t.Fatal(err)
	}
	run, err = f.s.WorkflowRunGet(ctx, run.ID)
	if err != nil || !run.Status.Terminal() {
		t.Fatalf("run after its only step = %+v, %v", run, err)
	}
	return run
}

// A failed run flips a healthy workflow: one notice per channel of the
// project, linking to the run; more failures say nothing; the first
// succeeded run sends one recovery notice.
func TestWorkflowFlipsNotify(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		f := setup(t, s)
		f.channel(t, prikke.ChannelEmail, "ops@example.com")
		f.channel(t, prikke.ChannelWebhook, f.sink.URL("/ok?kind=webhook"))
		f.channel(t, prikke.ChannelSlack, f.sink.URL("/ok?kind=slack"))
		f.channel(t, prikke.ChannelDiscord, f.sink.URL("/ok?kind=discord"))
		w := &prikke.Workflow{ID: prikke.NewID(), ProjectID: f.tn.Project.ID, OrganizationID: f.tn.Org.ID, Name: "sync <orders>",
			Definition: prikke.WorkflowDefinition{Steps: []prikke.Step{{Key: "call", URL: "https://example.com/call"}}},
			Health:     prikke.JobHealthy, CreatedAt: storetest.T0, UpdatedAt: storetest.T0}
		if err := s.WorkflowCreate(context.Background(), w); err != nil {
			t.Fatal(err)
		}

		f.workflowRun(t, w, true)
		f.drain(t)
		if f.sink.Count() != 0 || len(f.smtp.Messages()) != 0 {
			t.Fatal("a succeeded run of a healthy workflow notified someone")
		}
		failed := f.workflowRun(t, w, false)
		f.drain(t)
		f.workflowRun(t, w, false)
		f.drain(t)
		mails := f.smtp.Messages()
		runURL := "https://prikke.test/app/runs/" + failed.ID.String()
		if len(mails) != 1 || mails[0].To[0] != "ops@example.com" || mails[0].Subject != "[prikke] sync <orders> is failing" ||
			!strings.Contains(mails[0].Text, runURL) || !strings.Contains(mails[0].Text, "503") {
			t.Fatalf("failure mails = %+v", mails)
		}
		kinds := map[string]int{}
		for _, r := range f.sink.Requests() {
			kinds[strings.TrimPrefix(r.Query, "kind=")]++
			if !r.SignatureValid {
				t.Errorf("notification to %s not signed: %s", r.Query, r.SignatureError)
			}
			if !strings.Contains(string(r.Body), runURL) {
				t.Errorf("notification to %s does not link to the run: %s", r.Query, r.Body)
			}
		}
		if kinds["webhook"] != 1 || kinds["slack"] != 1 || kinds["discord"] != 1 {
			t.Fatalf("failure webhooks = %v; want one per channel", kinds)
		}
		var body notify.WorkflowWebhookPayload
		if err := json.Unmarshal(f.sink.Requests()[0].Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Type != "workflow.failing" || body.Workflow.ID != w.ID.String() || body.Workflow.Name != w.Name ||
			body.Run == nil || body.Run.ID != failed.ID.String() || body.Run.Status != "failed" || !strings.Contains(body.Run.Error, "call") ||
			body.Run.Link != runURL || body.Workflow.Health != "failing" {
			t.Errorf("webhook payload = %+v (run %+v)", body, body.Run)
		}

		ok := f.workflowRun(t, w, true)
		f.drain(t)
		mails = f.smtp.Messages()
		if len(mails) != 2 || mails[1].Subject != "[prikke] sync <orders> recovered" ||
			!strings.Contains(mails[1].Text, "/app/runs/"+ok.ID.String()) {
			t.Fatalf("after recovery mails = %+v", mails)
		}
		if f.sink.Count() != 6 {
			t.Errorf("webhook sends = %d, want 6 (failing and recovered, per channel)", f.sink.Count())
		}
		ns, err := s.NotificationList(context.Background(), store.NotificationFilter{ProjectID: &f.tn.Project.ID, Limit: 100})
		if err != nil || len(ns) != 8 {
			t.Fatalf("recorded notifications = %d, %v; want 8", len(ns), err)
		}
		events := map[prikke.NotificationEvent]int{}
		for _, n := range ns {
			events[n.Event]++
			if !n.OK {
				t.Errorf("notification record = %+v", n)
			}
		}
		if events[prikke.EventWorkflowFailing] != 4 || events[prikke.EventWorkflowRecovered] != 4 {
			t.Errorf("recorded events = %v", events)
		}
	})
}
