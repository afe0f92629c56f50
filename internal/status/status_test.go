package status_test

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/status"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
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
// schedulerDay is the scheduler's sample of the day at, which must exist.
func schedulerDay(t *testing.T, s store.Store, at time.Time) *prikke.StatusSample {
	t.Helper()
	samples, err := s.StatusSampleList(context.Background(), at.Format("2006-01-02"))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range samples {
		if x.Component == "scheduler" {
			return x
		}
	}
	t.Fatalf("no scheduler sample for %s among %d", at.Format("2006-01-02"), len(samples))
	return nil
}

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
		// The scheduler's beat moves to noon of the day before, so that the
		// test's ten minutes never cross midnight whenever it runs.
		now := beatAt(t, s, "scheduler", time.Now().UTC().Truncate(24*time.Hour).Add(-12*time.Hour))
		smp := status.NewSampler(s, "n1", func() bool { return true }, discard())
		smp.Sample(ctx, now)
		// Ten minutes without a sample and no planned stop: down time, and
		// the scheduler silent since: an outage check.
		smp.Sample(ctx, now.Add(10*time.Minute))
		r := status.NewChecker(s).Report(ctx, now.Add(10*time.Minute))
		sched := byName(r.Components)["scheduler"]
		if len(sched.Days) != status.Days {
			t.Fatalf("bars = %d", len(sched.Days))
		}
		today := sched.Days[len(sched.Days)-1]
		if today.Checks != 2 || today.Uptime != 0 || today.Status != prikke.StatusOutage || sched.Uptime != 0 {
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

// TestUptimeFromWhatHappened: uptime is the seconds each state lasted,
// between samples and across the gaps when nothing sampled. A planned
// restart is not an outage (the issue: a 4-second graceful restart turned
// the scheduler red at 91.67% while a 2-minute full stop left 100%); a
// full stop is down time for as long as it lasted; a long planned stop is
// maintenance, shown and not counted. The clock is injected: the instants
// lie a day before the database clock, so every live signal (written at
// the database clock) is fresh at each of them.
func TestUptimeFromWhatHappened(t *testing.T) {
	t.Parallel()
	type event struct {
		at   time.Duration // after the start of the scenario
		what string        // sample, stop (a planned stop begins), start (a node starts)
		node string        // the node that samples or stops; "a" when empty
	}
	// everyOn samples on node from a to b (inclusive), SampleEvery apart.
	everyOn := func(node string, a, b time.Duration) []event {
		var out []event
		for at := a; at <= b; at += status.SampleEvery {
			out = append(out, event{at, "sample", node})
		}
		return out
	}
	every := func(a, b time.Duration) []event { return everyOn("a", a, b) }
	cat := func(parts ...[]event) []event { return slices.Concat(parts...) }
	type want struct {
		op, down, maint int // seconds of the scheduler on the scenario's day
		uptime          float64
	}
	for _, tc := range []struct {
		name   string
		events []event
		want   want
	}{
		{"steady", every(0, 10*time.Minute), want{op: 600, uptime: 100}},
		{"a 4-second graceful restart between two samples",
			cat(every(0, 5*time.Minute), []event{{5*time.Minute + 5*time.Second, "stop", ""}, {5*time.Minute + 9*time.Second, "start", ""}},
				every(5*time.Minute+15*time.Second, 10*time.Minute)),
			want{op: 600, uptime: 100}},
		{"a 4-second graceful restart, leadership back late",
			cat(every(0, 5*time.Minute), []event{{5*time.Minute + 5*time.Second, "stop", ""}, {5*time.Minute + 9*time.Second, "start", ""}},
				every(6*time.Minute+15*time.Second, 10*time.Minute)),
			want{op: 600, uptime: 100}},
		{"a 2-minute full stop",
			cat(every(0, 5*time.Minute), []event{{7 * time.Minute, "start", ""}}, every(7*time.Minute+15*time.Second, 10*time.Minute)),
			want{op: 480, down: 120, uptime: 80}},
		{"a 2-minute stop that was planned",
			cat(every(0, 5*time.Minute), []event{{5 * time.Minute, "stop", ""}, {7 * time.Minute, "start", ""}}, every(7*time.Minute+15*time.Second, 10*time.Minute)),
			want{op: 480, maint: 120, uptime: 100}},
		{"a crash, never restarted: down until the next sample",
			cat(every(0, 5*time.Minute), every(10*time.Minute, 10*time.Minute)),
			want{op: 300, down: 300, uptime: 50}},
		{"an old planned stop does not excuse a later crash",
			cat([]event{{0, "stop", ""}}, every(0, 5*time.Minute), every(7*time.Minute, 10*time.Minute)),
			want{op: 480, down: 120, uptime: 80}},
		// A rolling deploy: b stops on purpose while a leads, then a
		// crashes. b's stop excuses nothing: a's outage is down time.
		{"another node's planned stop does not excuse the sampling node's crash",
			cat(every(0, 5*time.Minute), []event{{5*time.Minute + 5*time.Second, "stop", "b"}, {7 * time.Minute, "start", ""}},
				everyOn("b", 7*time.Minute+15*time.Second, 10*time.Minute)),
			want{op: 480, down: 120, uptime: 80}},
		// The sampling node's own planned restart is a restart, whichever
		// node samples after it.
		{"the sampling node's planned restart, another node samples after it",
			cat(every(0, 5*time.Minute), []event{{5*time.Minute + 5*time.Second, "stop", ""}, {5*time.Minute + 9*time.Second, "start", ""}},
				everyOn("b", 6*time.Minute+15*time.Second, 10*time.Minute)),
			want{op: 600, uptime: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Dialects(t, func(t *testing.T, s store.Store) {
				ctx := context.Background()
				dbNow, err := s.Now(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"scheduler", "node:n1"} {
					if err := s.HeartbeatPut(ctx, name, "{}"); err != nil {
						t.Fatal(err)
					}
				}
				// 06:00 UTC the day before: all ten minutes on one day.
				start := dbNow.UTC().Truncate(24 * time.Hour).Add(-18 * time.Hour)
				samplers := map[string]*status.Sampler{}
				for _, e := range tc.events {
					at := start.Add(e.at)
					node := cmp.Or(e.node, "a")
					switch e.what {
					case "sample":
						if samplers[node] == nil {
							samplers[node] = status.NewSampler(s, node, func() bool { return true }, discard())
						}
						samplers[node].Sample(ctx, at)
					case "stop":
						if err := status.MarkStopping(ctx, s, node, at); err != nil {
							t.Fatal(err)
						}
					case "start":
						if err := status.MarkStarted(ctx, s, at); err != nil {
							t.Fatal(err)
						}
					}
				}
				if smp := schedulerDay(t, s, start); smp.Day != start.Format("2006-01-02") || smp.OperationalSeconds != tc.want.op || smp.OutageSeconds != tc.want.down ||
					smp.MaintenanceSeconds != tc.want.maint || smp.DegradedSeconds != 0 {
					t.Errorf("scheduler's day = %+v; want %d s operational, %d s down, %d s maintenance", smp, tc.want.op, tc.want.down, tc.want.maint)
				}
				r := status.NewChecker(s).Report(ctx, start.Add(11*time.Minute))
				for _, c := range r.Components {
					day := c.Days[len(c.Days)-1]
					if c.Uptime != tc.want.uptime || day.Uptime != tc.want.uptime || day.Maintenance != tc.want.maint {
						t.Errorf("%s: uptime %v, day %+v; want %v%%, %d s maintenance", c.Name, c.Uptime, day, tc.want.uptime, tc.want.maint)
					}
				}
			})
		})
	}
}

// TestUptimeAcrossMidnight: a gap is split between the days it spans.
func TestUptimeAcrossMidnight(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		dbNow, _ := s.Now(ctx)
		if err := s.HeartbeatPut(ctx, "scheduler", "n1"); err != nil {
			t.Fatal(err)
		}
		midnight := dbNow.UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
		smp := status.NewSampler(s, "n1", func() bool { return true }, discard())
		smp.Sample(ctx, midnight.Add(-30*time.Second))
		smp.Sample(ctx, midnight.Add(-15*time.Second))
		smp.Sample(ctx, midnight.Add(90*time.Second)) // 105 s gap: 15 s before midnight, 90 after
		samples, _ := s.StatusSampleList(ctx, midnight.Add(-time.Hour).Format("2006-01-02"))
		got := map[string]*prikke.StatusSample{}
		for _, x := range samples {
			if x.Component == "api" {
				got[x.Day] = x
			}
		}
		before, after := got[midnight.Add(-time.Second).Format("2006-01-02")], got[midnight.Format("2006-01-02")]
		if before == nil || after == nil || before.OperationalSeconds != 15 || before.OutageSeconds != 15 || before.Checks != 2 ||
			after.OutageSeconds != 90 || after.OperationalSeconds != 0 || after.Checks != 1 {
			t.Errorf("days = %+v, %+v; want 15 s up and 15 s down before midnight, 90 s down after", before, after)
		}
	})
}

// afterMarkRead runs after, once, when the sampler has read its mark:
// another node's whole sample happens between this one reading the mark
// and writing, as at a leader handover.
type afterMarkRead struct {
	store.Store
	after func()
}

func (a *afterMarkRead) HeartbeatGet(ctx context.Context, name string) (time.Time, string, error) {
	at, detail, err := a.Store.HeartbeatGet(ctx, name)
	if f := a.after; f != nil && name == "status:sampled" {
		a.after = nil
		f()
	}
	return at, detail, err
}

// TestSampleHandoverCountsOnce: at a leader handover the old and the new
// leader both read the same sampled mark; the stretch since it is
// credited once, by the first to write, and the other credits nothing
// (not even its check). The clock is injected, as in
// TestUptimeFromWhatHappened.
func TestSampleHandoverCountsOnce(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		dbNow, err := s.Now(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.HeartbeatPut(ctx, "scheduler", "{}"); err != nil {
			t.Fatal(err)
		}
		start := dbNow.UTC().Truncate(24 * time.Hour).Add(-18 * time.Hour)
		leading := func() bool { return true }
		b := status.NewSampler(s, "b", leading, discard())
		status.NewSampler(s, "a", leading, discard()).Sample(ctx, start)
		// a, still leading in its own view, reads the mark of start; b,
		// the new leader, samples 15 s after start before a writes.
		old := status.NewSampler(&afterMarkRead{Store: s, after: func() { b.Sample(ctx, start.Add(15*time.Second)) }},
			"a", leading, discard())
		old.Sample(ctx, start.Add(16*time.Second))
		b.Sample(ctx, start.Add(30*time.Second))

		sched := schedulerDay(t, s, start)
		if sched.Checks != 3 || sched.OperationalSeconds != 30 || sched.OutageSeconds != 0 {
			t.Errorf("scheduler's day = %+v; want 3 checks and 30 s operational (start to the last sample, once)", sched)
		}
	})
}

// A sample whose clock reads earlier than the mark (another node sampled
// between this one reading the clock and reading the mark) writes nothing:
// the mark never moves back, so no stretch is counted twice.
func TestSampleMarkNeverMovesBack(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		dbNow, err := s.Now(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.HeartbeatPut(ctx, "scheduler", "{}"); err != nil {
			t.Fatal(err)
		}
		start := dbNow.UTC().Truncate(24 * time.Hour).Add(-18 * time.Hour)
		leading := func() bool { return true }
		a := status.NewSampler(s, "a", leading, discard())
		b := status.NewSampler(s, "b", leading, discard())
		a.Sample(ctx, start)
		b.Sample(ctx, start.Add(20*time.Second))
		// a read its clock at start+15s, before b's sample was committed.
		a.Sample(ctx, start.Add(15*time.Second))
		b.Sample(ctx, start.Add(30*time.Second))

		sched := schedulerDay(t, s, start)
		if sched.Checks != 3 || sched.OperationalSeconds != 30 || sched.OutageSeconds != 0 {
			t.Errorf("scheduler's day = %+v; want 3 checks and 30 s operational (start to the last sample, once)", sched)
		}
	})
}

// beatAt moves heartbeat name to at, as if it had beaten then, and returns
// at.
func beatAt(t *testing.T, s store.Store, name string, at time.Time) time.Time {
	t.Helper()
	var err error
	switch st := s.(type) {
	case *sqlitestore.Store:
		_, err = st.DB().Exec("UPDATE heartbeats SET beat_at = ? WHERE name = ?", at.UnixMicro(), name)
	case *pgstore.Store:
		_, err = st.Pool().Exec(context.Background(), "UPDATE heartbeats SET beat_at = $1 WHERE name = $2", at, name)
	default:
		t.Fatalf("beatAt: a %T", s)
	}
	if err != nil {
		t.Fatal(err)
	}
	return at
}
