// Package scheduler writes each due occurrence of every job exactly once, a
// little ahead of its time, so that workers can start it on the instant.
// One node at a time leads (see Elector); correctness never depends on
// that, because executions are unique on (job, scheduled time, attempt) and
// every write is conditional on the job's cursor (next_run_at) being the
// one read.
//
// The leader also keeps the engine healthy: it rescues attempts whose node
// died (after the job's timeout plus a grace; on PostgreSQL the workers
// take a dead node's work over much sooner, by its heartbeat), advances
// workflow runs stalled on executions that ended without a completion,
// prunes history (workflow runs too) past each tier's retention in bounded
// batches, prunes flow keys whose endpoint's hold ended an hour ago, rolls
// up daily outcomes for status pages, deletes expired tokens and beats a
// heartbeat that /status reads.
//
// The database clock decides what is due. The scheduler sleeps until the
// next cursor minus its lead and wakes early when a job changes.
package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
)

// Config tunes the scheduler.
type Config struct {
	Node      string
	Lead      time.Duration // occurrences are written this far ahead
	LeaderTTL time.Duration
	Batch     int // jobs per planning batch
	// Maintenance intervals (zero: defaults).
	RescueEvery time.Duration
	PruneEvery  time.Duration
	PruneBatch  int
	// RepairEvery is how often stalled workflow runs are looked for
	// (0: 10s; never more often than RescueEvery).
	RepairEvery time.Duration
}

// Scheduler is the leader-only service. Start and Stop are safe to call
// twice.
type Scheduler struct {
	store   store.Store
	cfg     Config
	logger  *slog.Logger
	metrics *metrics.Metrics
	elector *Elector

	loop    startstop.Loop
	schedMu sync.Mutex
	scheds  map[string]*cron.Schedule
	locs    map[string]*time.Location
}

// New returns a stopped scheduler.
func New(s store.Store, cfg Config, m *metrics.Metrics, logger *slog.Logger) *Scheduler {
	if cfg.Lead <= 0 {
		cfg.Lead = 5 * time.Second
	}
	if cfg.LeaderTTL <= 0 {
		cfg.LeaderTTL = 15 * time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.RescueEvery <= 0 {
		cfg.RescueEvery = 5 * time.Second
	}
	if cfg.PruneEvery <= 0 {
		cfg.PruneEvery = time.Minute
	}
	if cfg.PruneBatch <= 0 {
		cfg.PruneBatch = 5000
	}
	if cfg.RepairEvery <= 0 {
		cfg.RepairEvery = 10 * time.Second
	}
	return &Scheduler{
		store: s, cfg: cfg, logger: logger.With("service", "scheduler"), metrics: m,
		elector: NewElector(s, "scheduler", cfg.Node, cfg.LeaderTTL, logger),
		scheds:  map[string]*cron.Schedule{}, locs: map[string]*time.Location{},
	}
}

// Leading reports whether this node currently leads.
func (s *Scheduler) Leading() bool { return s.elector.Leading() }

// Start begins electing and, while leading, scheduling.
func (s *Scheduler) Start(ctx context.Context) {
	s.loop.Start(ctx, s.elector.Run, s.scheduleLoop, s.maintenanceLoop, s.monitorLoop)
}

// Stop stops scheduling, resigns leadership and waits.
func (s *Scheduler) Stop() { s.loop.Stop() }

// scheduleLoop writes due occurrences while leading.
func (s *Scheduler) scheduleLoop(ctx context.Context) {
	sub := s.store.Subscribe(store.TopicJobs)
	defer sub.Close()
	for ctx.Err() == nil {
		wait := 5 * time.Second
		if s.elector.Leading() {
			s.metrics.Leader.Set(1)
			var err error
			wait, err = s.tick(ctx, s.elector.Leading)
			if err != nil && ctx.Err() == nil {
				s.logger.Warn("scheduling failed; retrying", "error", err)
				wait = time.Second
			}
		} else {
			s.metrics.Leader.Set(0)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-sub.C:
		case <-s.elector.Changed():
		}
		timer.Stop()
	}
	s.metrics.Leader.Set(0)
}

// Tick writes every occurrence due up to the database clock plus the lead,
// whether or not this node leads, and returns how long to sleep before the
// next cursor is near. (The loop calls it only while leading.)
func (s *Scheduler) Tick(ctx context.Context) (time.Duration, error) {
	return s.tick(ctx, func() bool { return true })
}

// tick is Tick that stops as soon as leading reports false: a leader that
// lost its term mid-way writes no more.
func (s *Scheduler) tick(ctx context.Context, leading func() bool) (time.Duration, error) {
	for {
		now, err := s.store.Now(ctx)
		if err != nil {
			return 0, err
		}
		horizon := now.Add(s.cfg.Lead)
		due, err := s.store.JobListDue(ctx, horizon, s.cfg.Batch)
		if err != nil {
			return 0, err
		}
		if len(due) > 0 {
			if !leading() {
				return time.Second, nil
			}
			ws := make([]*store.OccurrenceWrite, 0, len(due))
			for _, d := range due {
				ws = append(ws, s.plan(d, now, horizon))
			}
			n, err := s.store.OccurrencesWrite(ctx, ws)
			if err != nil {
				return 0, err
			}
			s.metrics.Scheduled.Add(float64(n))
			s.logger.Debug("occurrences written", "jobs", len(ws), "executions", n)
		}
		if len(due) == s.cfg.Batch {
			continue
		}
		next, ok, err := s.store.JobNextRunAt(ctx)
		if err != nil {
			return 0, err
		}
		if !ok {
			return time.Minute, nil
		}
		// Wake when the next cursor comes within the lead; at most a minute
		// apart so a lost wake-up costs little.
		return min(max(next.Sub(now)-s.cfg.Lead, 10*time.Millisecond), time.Minute), nil
	}
}

// plan parses the job's schedule (cached) and plans its occurrences.
func (s *Scheduler) plan(d *store.DueJob, now, horizon time.Time) *store.OccurrenceWrite {
	j := d.Job
	if j.Kind != prikke.JobKindCron {
		return Plan(d, now, horizon, nil, nil)
	}
	sched, loc := s.schedule(j)
	if sched == nil {
		s.logger.Error("job has an invalid schedule; it will not run until edited",
			"job_id", j.ID, "cron_expression", j.CronExpression, "time_zone", j.TimeZone)
	}
	return Plan(d, now, horizon, sched, loc)
}

// schedule returns a job's parsed expression and zone, cached: parsing is
// cheap, loading a zone is not.
func (s *Scheduler) schedule(j *prikke.Job) (*cron.Schedule, *time.Location) {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	sched := s.scheds[j.CronExpression]
	if sched == nil {
		var err error
		if sched, err = cron.Parse(j.CronExpression); err != nil {
			return nil, nil
		}
		if len(s.scheds) > 10_000 {
			clear(s.scheds)
		}
		s.scheds[j.CronExpression] = sched
	}
	loc := s.locs[j.TimeZone]
	if loc == nil {
		var err error
		if loc, err = cron.LoadLocation(j.TimeZone); err != nil {
			return nil, nil
		}
		s.locs[j.TimeZone] = loc
	}
	return sched, loc
}

// maintenanceLoop runs the leader's housekeeping.
func (s *Scheduler) maintenanceLoop(ctx context.Context) {
	tick := time.NewTicker(s.cfg.RescueEvery)
	defer tick.Stop()
	soon := time.After(time.Second) // a first heartbeat soon after start
	var lastPrune, lastRollup, lastTokens, lastRepair time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-soon:
		}
		if !s.elector.Leading() {
			continue
		}
		if err := s.store.HeartbeatPut(ctx, "scheduler", s.cfg.Node); err != nil && ctx.Err() == nil {
			s.logger.Warn("heartbeat failed", "error", err)
		}
		if n, err := s.store.ExecutionRescue(ctx, store.RescueParams{Limit: 1000}); err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("rescue failed", "error", err)
			}
		} else if n > 0 {
			s.metrics.Rescued.Add(float64(n))
			s.logger.Info("rescued lost attempts", "executions", n)
		}
		if now := time.Now(); now.Sub(lastRepair) >= s.cfg.RepairEvery {
			lastRepair = now
			s.repairRuns(ctx)
		}
		now := time.Now()
		if now.Sub(lastPrune) >= s.cfg.PruneEvery {
			lastPrune = now
			s.prune(ctx)
			s.pruneRuns(ctx)
			s.pruneMonitorHistory(ctx)
			s.pruneFlowKeys(ctx)
		}
		if now.Sub(lastRollup) >= 5*time.Minute {
			lastRollup = now
			s.rollup(ctx)
		}
		if now.Sub(lastTokens) >= time.Hour {
			lastTokens = now
			if _, err := s.store.TokenDeleteExpired(ctx, now); err != nil && ctx.Err() == nil {
				s.logger.Warn("token cleanup failed", "error", err)
			}
		}
	}
}

// prune deletes history past retention in bounded batches, a few per
// round so it never hogs the database.
func (s *Scheduler) prune(ctx context.Context) {
	dbNow, err := s.store.Now(ctx)
	if err != nil {
		return
	}
	for range 20 {
		n, err := s.store.ExecutionPrune(ctx, dbNow, s.cfg.PruneBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("prune failed", "error", err)
			}
			return
		}
		s.metrics.Pruned.Add(float64(n))
		if n < s.cfg.PruneBatch {
			return
		}
	}
}

// pruneFlowKeys deletes the flow keys that exist only because an endpoint
// held them, an hour (FlowHoldKeep) after their hold ended, a few batches
// per round: their waiting executions become ordinary again, and the
// project's bound of such keys (FlowHoldKeysPerProject) frees up.
func (s *Scheduler) pruneFlowKeys(ctx context.Context) {
	dbNow, err := s.store.Now(ctx)
	if err != nil {
		return
	}
	for range 20 {
		n, err := s.store.FlowKeyPrune(ctx, dbNow, s.cfg.PruneBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("flow key prune failed", "error", err)
			}
			return
		}
		if n > 0 {
			s.logger.Info("pruned flow keys held by their endpoints", "keys", n)
		}
		if n < s.cfg.PruneBatch {
			return
		}
	}
}

// rollup refreshes the daily outcome counts of jobs on status pages and
// forgets days older than the 90 the bars show.
func (s *Scheduler) rollup(ctx context.Context) {
	dbNow, err := s.store.Now(ctx)
	if err != nil {
		return
	}
	if err := s.store.JobDaysRollup(ctx, dbNow.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
		s.logger.Warn("status rollup failed", "error", err)
	}
	if _, err := s.store.JobDaysPrune(ctx, dbNow.AddDate(0, 0, -91).Format("2006-01-02")); err != nil && ctx.Err() == nil {
		s.logger.Warn("status rollup prune failed", "error", err)
	}
}
