package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/worker"
)

// engine is the scheduler and the workers of one node.
type engine struct {
	client    *delivery.Client
	scheduler *scheduler.Scheduler
	worker    *worker.Worker
}

// newEngine wires the engine from the configuration. allow extends the
// SSRF allow list (the benchmark's own sink).
func newEngine(cfg *config.Config, st store.Store, m *metrics.Metrics, logger *slog.Logger, now func() time.Time, lead time.Duration) *engine {
	client := delivery.New(delivery.Options{Allow: cfg.SSRFAllow, NowFunc: now})
	if lead <= 0 {
		lead = cfg.SchedulerLead
	}
	e := &engine{
		client:    client,
		scheduler: scheduler.New(st, scheduler.Config{Node: cfg.NodeID, Lead: lead, LeaderTTL: cfg.LeaderTTL}, m, logger),
		worker: worker.New(st, client, worker.Config{
			Node: cfg.NodeID, MinWorkers: cfg.WorkersMin, MaxWorkers: cfg.WorkersMax, OrgInFlight: cfg.OrgInFlight,
			LeaseGrace: cfg.RescueGrace, Drain: cfg.DrainTimeout,
		}, m, logger),
	}
	e.worker.NowFunc = now
	return e
}

func (e *engine) start(ctx context.Context) {
	e.scheduler.Start(ctx)
	e.worker.Start(ctx)
}

// stop stops scheduling, then drains deliveries.
func (e *engine) stop() {
	e.scheduler.Stop()
	e.worker.Stop()
	e.client.Close()
}
