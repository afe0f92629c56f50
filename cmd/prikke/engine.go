package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/notify"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/status"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/worker"
)

// engine is the scheduler, the workers, the notifier and the status
// reporters of one node.
type engine struct {
	client    *delivery.Client
	scheduler *scheduler.Scheduler
	worker    *worker.Worker
	notifier  *notify.Notifier // nil when mail is not wired (bench)
	reporter  *status.Reporter
	sampler   *status.Sampler
}

// newEngine wires the engine from the configuration. allow extends the
// SSRF allow list (the benchmark's own sink).
func newEngine(cfg *config.Config, st store.Store, m *metrics.Metrics, logger *slog.Logger, now func() time.Time, lead time.Duration) *engine {
	client := delivery.New(delivery.Options{Allow: cfg.SSRFAllow, AllowNets: cfg.SSRFAllowNets, NowFunc: now, Logger: logger})
	if lead <= 0 {
		lead = cfg.SchedulerLead
	}
	e := &engine{
		client:    client,
		scheduler: scheduler.New(st, scheduler.Config{Node: cfg.NodeID, Lead: lead, LeaderTTL: cfg.LeaderTTL}, m, logger),
		worker: worker.New(st, client, worker.Config{
			Node: cfg.NodeID, MinWorkers: cfg.WorkersMin, MaxWorkers: cfg.WorkersMax, OrgInFlight: cfg.OrgInFlight, HostInFlight: cfg.HostInFlight,
			LeaseGrace: cfg.RescueGrace, DeadAfter: cfg.NodeDeadAfter, Drain: cfg.DrainTimeout,
			Trace: cfg.Trace, RecordBody: cfg.RecordRequestBody,
		}, m, logger),
	}
	e.worker.NowFunc = now
	e.reporter = status.NewReporter(st, cfg.NodeID, func() status.NodeReport {
		s := e.worker.TakeStats()
		return status.NodeReport{Attempts: s.Attempts, NoReply: s.NoReply, LatenessP99MS: s.LatenessP99MS, InFlight: s.InFlight}
	}, logger)
	e.sampler = status.NewSampler(st, cfg.NodeID, e.scheduler.Leading, logger)
	return e
}

// withNotifier adds the notifier, which also hears about quota crossings.
func (e *engine) withNotifier(st store.Store, mailer mail.Mailer, baseURL string, m *metrics.Metrics, logger *slog.Logger, now func() time.Time) *engine {
	e.notifier = notify.New(st, mailer, e.client, baseURL, m, logger)
	e.notifier.NowFunc = now
	e.worker.OnQuota = e.notifier.Quota
	return e
}

func (e *engine) start(ctx context.Context) {
	e.scheduler.Start(ctx)
	e.worker.Start(ctx)
	if e.notifier != nil {
		e.notifier.Start(ctx)
	}
	e.reporter.Start(ctx)
	e.sampler.Start(ctx)
}

// stop stops scheduling, then drains deliveries, then the rest.
func (e *engine) stop() {
	e.sampler.Stop()
	e.scheduler.Stop()
	e.worker.Stop()
	if e.notifier != nil {
		e.notifier.Stop()
	}
	e.reporter.Stop()
	e.client.Close()
}

// gcPercentUnderLimit is GOGC while a memory limit is set: the heap may
// grow to three times what is live before a collection, rather than twice,
// and the limit collects sooner as it nears. Allocation on the delivery
// path is steady (a few KiB per attempt) and its garbage short-lived, so
// collecting half as often takes about half the collector's CPU off every
// delivery, while the limit keeps the node's memory where the operator
// put it.
const gcPercentUnderLimit = 200

// applyMemoryLimit sets the runtime's soft memory limit (PRIKKE_MEMORY_LIMIT,
// bytes; 0: none) and, with one, GOGC 200. GOMEMLIMIT and GOGC in the
// environment win: the runtime has read them already. A soft limit never
// fails an allocation: past it the collector runs more often, its CPU
// capped by the runtime at about half, so a node whose live heap outgrows
// the limit slows down rather than dies — its operator raises the limit.
func applyMemoryLimit(limit int64, getenv func(string) string, logger *slog.Logger) {
	if limit <= 0 {
		return
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercentUnderLimit)
	}
	logger.Debug("memory limit", "bytes", debug.SetMemoryLimit(-1))
}
