package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
)

// failWith claims e and completes it as the worker does when the receiver
// answers 503: the status code, and the delivery's error text "HTTP 503".
func (d *dash) failWith(e *prikke.Execution, url string, code int) {
	d.t.Helper()
	ctx := context.Background()
	claimed, err := d.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "test", Limit: 10, Now: time.Now().Add(time.Minute), LeaseGrace: time.Minute})
	if err != nil {
		d.t.Fatal(err)
	}
	for _, c := range claimed.Claimed {
		if c.Execution.ID != e.ID {
			continue
		}
		now := time.Now().UTC()
		if _, err := d.store.ExecutionComplete(ctx, "test", []*store.Completion{{ExecutionID: e.ID, JobID: e.JobID,
			OrganizationID: e.OrganizationID, Attempt: 1, Status: prikke.ExecutionStatusFailed, StartedAt: now.Add(-40 * time.Millisecond),
			FinishedAt: now, DurationMS: 40, RequestMethod: "POST", RequestURL: url, ResponseStatus: code,
			Error: "HTTP 503", Health: store.HealthFailure}}); err != nil {
			d.t.Fatal(err)
		}
		return
	}
	d.t.Fatalf("execution %s was not claimed", e.ID)
}

var failureItemRE = regexp.MustCompile(`(?s)<li class="py-2.5[^"]*">\s*<div[^>]*>\s*<a [^>]*href="([^"]*)">([^<]*)</a>.*?<p class="mt-0.5 text-sm text-slate-500">(.*?)</p>`)

// TestOverviewRecentFailures: a failed queued request and a failed job
// execution on the overview each link to their execution page under a
// label, and the failure reads "HTTP 503" once.
func TestOverviewRecentFailures(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	ctx := context.Background()

	j := d.job(tn, "invoice sync", "https://example.com/hooks/invoices")
	je, err := d.svc.TriggerJob(ctx, tn.actor(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	d.failWith(je, j.URL, 503)

	queueURL := "https://api.example.net/v1/orders/42?x=1"
	_, qe, _, err := d.svc.Enqueue(ctx, tn.actor(), &service.QueueInput{ProjectID: &tn.Project.ID, URL: queueURL}, "")
	if err != nil {
		t.Fatal(err)
	}
	d.failWith(qe, queueURL, 503)

	r := d.as(tn).get("/app/projects/" + tn.Project.ID.String())
	if r.Status != http.StatusOK {
		t.Fatalf("%s", r)
	}
	i := strings.Index(r.Body, `data-testid="recent-failures"`)
	if i < 0 {
		t.Fatalf("no recent failures:\n%s", r)
	}
	items := failureItemRE.FindAllStringSubmatch(r.Body[i:], -1)
	if len(items) != 2 {
		t.Fatalf("%d failures listed, want 2:\n%s", len(items), r)
	}
	got := map[string]string{}
	for _, it := range items {
		got[it[1]] = it[2]
		summary := regexp.MustCompile(`<time[^>]*>.*?</time>`).ReplaceAllString(it[3], "")
		if strings.TrimSpace(summary) != "· HTTP 503" {
			t.Errorf("the failure of %s reads %q, want the time then \"· HTTP 503\" once", it[2], summary)
		}
	}
	want := map[string]string{
		"/app/executions/" + je.ID.String(): "invoice sync",
		"/app/executions/" + qe.ID.String(): "Queued request → api.example.net/v1/orders/42",
	}
	for href, label := range want {
		if got[href] != label {
			t.Errorf("the failure linking to %s is labelled %q, want %q (all: %q)", href, got[href], label, got)
		}
	}
	// The link leads somewhere: the execution's own page.
	if r := d.as(tn).get("/app/executions/" + qe.ID.String()); r.Status != http.StatusOK || !strings.Contains(r.Body, "api.example.net") {
		t.Errorf("the queued request's execution page: %s", r)
	}
}
