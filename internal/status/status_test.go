package status_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/status"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

func byName(cs []status.Component) map[string]status.Component {
	m := map[string]status.Component{}
	for _, c := range cs {
		m[c.Name] = c
	}
	return m
}

// TestSchedulerHeartbeat: the scheduler's component follows its heartbeat.
func TestSchedulerHeartbeat(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := status.NewChecker(s)
		now, _ := s.Now(ctx)
		// A new installation before its first heartbeat is starting, not down.
		if got := byName(c.Live(ctx, now))["scheduler"]; got.Status != prikke.StatusDegraded || !strings.Contains(got.Detail, "Starting") {
			t.Errorf("no heartbeat yet: %+v", got)
		}
		if err := s.HeartbeatPut(ctx, "scheduler", "n1"); err != nil {
			t.Fatal(err)
		}
		now, _ = s.Now(ctx)
		for _, tc := range []struct {
			after time.Duration
			want  prikke.ComponentStatus
		}{{time.Second, prikke.StatusOperational}, {time.Minute, prikke.StatusDegraded}, {5 * time.Minute, prikke.StatusOutage}} {
			r := c.Report(ctx, now.Add(tc.after))
			got := byName(r.Components)["scheduler"]
			if got.Status != tc.want || (tc.want != prikke.StatusOperational && got.Detail == "") {
				t.Errorf("%v after the last beat: %+v, want %s", tc.after, got, tc.want)
			}
			if r.Status != tc.want {
				t.Errorf("overall %s, want %s", r.Status, tc.want)
			}
		}
		// The JSON shape /status.json serves.
		b, _ := json.Marshal(c.Report(ctx, now))
		var v struct {
			Status     string
			Components []struct{ Name, Status string }
			Incidents  []any
		}
		if err := json.Unmarshal(b, &v); err != nil || v.Status != "operational" || len(v.Components) != 4 || v.Incidents == nil {
			t.Errorf("report json = %s", b)
		}
		names := []string{}
		for _, c := range v.Components {
			names = append(names, c.Name)
		}
		if names[0] != "api" || names[1] != "dashboard" || names[2] != "scheduler" || names[3] != "delivery" {
			t.Errorf("components %v", names)
		}
	})
}

// TestDeliverySignals: backlog, lateness and unanswered attempts.
func TestDeliverySignals(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := status.NewChecker(s)
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		j := storetest.NewJob(t, s, tn, nil)
		now, _ := s.Now(ctx)
		delivery := func(at time.Time) status.Component { return byName(c.Live(ctx, at))["delivery"] }
		if got := delivery(now); got.Status != prikke.StatusOperational {
			t.Errorf("idle: %+v", got)
		}
		storetest.NewExecution(t, s, j, prikke.TierPro, now.Add(-time.Second))
		if got := delivery(now); got.Status != prikke.StatusOutage {
			t.Errorf("work due and no node alive: %+v", got)
		}
		report := func(r status.NodeReport) {
			b, _ := json.Marshal(r)
			if err := s.HeartbeatPut(ctx, "node:n1", string(b)); err != nil {
				t.Fatal(err)
			}
		}
		report(status.NodeReport{Attempts: 100, LatenessP99MS: 20})
		now, _ = s.Now(ctx)
		if got := delivery(now); got.Status != prikke.StatusOperational {
			t.Errorf("node alive, work just due: %+v", got)
		}
		if got := delivery(now.Add(3 * time.Minute)); got.Status != prikke.StatusOutage {
			t.Errorf("node silent for 3 minutes with work due: %+v", got)
		}
		if got := delivery(now.Add(90 * time.Second)); got.Status != prikke.StatusDegraded {
			t.Errorf("work waiting 90 s: %+v", got)
		}
		report(status.NodeReport{Attempts: 100, LatenessP99MS: 45_000})
		if got := delivery(now); got.Status != prikke.StatusDegraded {
			t.Errorf("p99 lateness 45 s: %+v", got)
		}
		report(status.NodeReport{Attempts: 100, NoReply: 80, LatenessP99MS: 10})
		if got := delivery(now); got.Status != prikke.StatusDegraded {
			t.Errorf("80%% unanswered: %+v", got)
		}
	})
}

// TestSamplesAndIncidents: sampled checks become bars; an open incident
// degrades the components it names and shows on the page.
func TestSamplesAndIncidents(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		if err := s.HeartbeatPut(ctx, "scheduler", "n1"); err != nil {
			t.Fatal(err)
		}
		now, _ := s.Now(ctx)
		smp := status.NewSampler(s, func() bool { return true }, discard())
		smp.Sample(ctx, now)
		smp.Sample(ctx, now.Add(10*time.Minute)) // scheduler silent: an outage check
		r := status.NewChecker(s).Report(ctx, now)
		sched := byName(r.Components)["scheduler"]
		if len(sched.Days) != status.Days {
			t.Fatalf("bars = %d", len(sched.Days))
		}
		today := sched.Days[len(sched.Days)-1]
		if today.Checks != 2 || today.Uptime != 50 || today.Status != prikke.StatusOutage || sched.Uptime != 50 {
			t.Errorf("today's scheduler bar = %+v, uptime %v", today, sched.Uptime)
		}
		if sched.Days[0].Checks != 0 || sched.Days[0].Status != "" {
			t.Errorf("a day without data = %+v", sched.Days[0])
		}
		inc := &prikke.Incident{ID: prikke.NewID(), Title: "Slow deliveries", Status: prikke.IncidentInvestigating,
			Components: []string{"delivery"}, CreatedAt: now, UpdatedAt: now}
		if err := s.IncidentCreate(ctx, inc, &prikke.IncidentUpdate{ID: prikke.NewID(), IncidentID: inc.ID,
			Status: prikke.IncidentInvestigating, Message: "Looking into it.", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		r = status.NewChecker(s).Report(ctx, now)
		if d := byName(r.Components)["delivery"]; d.Status != prikke.StatusDegraded || d.Detail != "Slow deliveries" {
			t.Errorf("delivery with an open incident = %+v", d)
		}
		if len(r.Incidents) != 1 || r.Incidents[0].Updates[0].Message != "Looking into it." {
			t.Errorf("incidents = %+v", r.Incidents)
		}
	})
}

// TestCustomerPage: chosen jobs under display names, state and bars.
func TestCustomerPage(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		ok := storetest.NewJob(t, s, tn, nil)
		failing := storetest.NewJob(t, s, tn, func(j *prikke.Job) { j.Health = prikke.JobFailing })
		storetest.NewJob(t, s, tn, nil) // not on the page
		p := &prikke.StatusPage{ID: prikke.NewID(), ProjectID: tn.Project.ID, Slug: "acme-status", Title: "Acme",
			Published: true, CreatedAt: storetest.T0, UpdatedAt: storetest.T0,
			Jobs: []prikke.StatusPageJob{{JobID: ok.ID, DisplayName: "Invoices", Position: 0}, {JobID: failing.ID, DisplayName: "Reports", Position: 1}}}
		if err := s.StatusPageCreate(ctx, p); err != nil {
			t.Fatal(err)
		}
		page, err := status.CustomerPage(ctx, s, p, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if page.Title != "Acme" || len(page.Components) != 2 || page.Components[0].Name != "Invoices" ||
			page.Components[0].Status != prikke.StatusOperational || page.Components[1].Status != prikke.StatusOutage ||
			page.Status != prikke.StatusOutage || len(page.Components[0].Days) != status.Days {
			t.Errorf("page = %+v", page)
		}
		b, _ := json.Marshal(page)
		for _, secret := range []string{ok.URL, "X-Test", `{"hello":"world"}`, ok.ID.String()} {
			if strings.Contains(string(b), secret) {
				t.Errorf("customer page reveals %q", secret)
			}
		}
	})
}
