package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/status"
	"github.com/prikke/prikke/internal/store"
)

// serve runs Prikke until ctx ends, then shuts down in order: answer
// /readyz with 503 (a load balancer stops sending traffic), stop
// scheduling and drain deliveries while requests in flight or still
// arriving are answered, stop taking HTTP requests, close the store.
func serve(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError("serve takes no arguments; configure it with PRIKKE_* variables (see prikke --help)")
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, e.stderr)
	applyMemoryLimit(cfg.MemoryLimit, e.getenv, logger)
	now := func() time.Time { return time.Now().Add(cfg.TestClockOffset) }
	if cfg.TestClockOffset != 0 {
		logger.Warn("test clock offset in effect", "offset", cfg.TestClockOffset.String())
	}
	st, err := openStore(ctx, cfg, true, logger, now)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Dialect() == "sqlite" {
		// One process owns the file: whatever was running when it last
		// stopped was lost with it, so deliver it again now.
		if n, err := st.ExecutionRescue(ctx, store.RescueParams{Limit: 1_000_000, AnyLease: true}); err != nil {
			return fmt.Errorf("rescue at start-up: %w", err)
		} else if n > 0 {
			logger.Info("rescued attempts left running by the last run", "executions", n)
		}
	}
	for _, ap := range cfg.SSRFAllow {
		logger.Warn("SSRF guard bypassed for a test destination", "allow", ap.String())
	}
	for _, pf := range cfg.SSRFAllowNets {
		logger.Warn("SSRF guard relaxed for development: deliveries may reach this range", "allow", pf.String())
	}
	m := metrics.New()
	m.WatchQueue(func(ctx context.Context) (int, int, error) {
		return st.ExecutionQueueDepth(ctx, time.Time{}) // by the database clock
	})
	eng := newEngine(cfg, st, m, logger, now, 0)

	mailer, mailbox, err := newMailer(cfg)
	if err != nil {
		return err
	}
	if mailbox != nil {
		logger.Info("no SMTP server configured: mail goes to the development mailbox", "url", cfg.BaseURL+"/dev/mailbox")
	}
	eng.withNotifier(st, mailer, cfg.BaseURL, m, logger, now)
	eng.notifier.Billing = cfg.Billing.Provider == config.BillingLemonSqueezy
	svc := newService(cfg, st, eng.client, mailer, logger)
	svc.NowFunc = now
	svc.Tester = eng.notifier
	rec := newRecorder(st, logger)
	ready := &httpserver.Readiness{Store: st, Migrations: st.MigrationVersions}
	handler, err := newHandler(cfg, st, svc, rec, mailbox, ready, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on PRIKKE_ADDR=%s: %w", cfg.Addr, err)
	}
	srv := httpserver.NewServer(handler)
	// /metrics has a listener of its own (loopback by default), so the
	// public address does not publish it.
	var msrv *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on PRIKKE_METRICS_ADDR=%s: %w (another Prikke on this host? give each its own port, or set it to off)", cfg.MetricsAddr, err)
		}
		msrv = httpserver.NewServer(httpserver.Metrics(m.Handler(), cfg.MetricsToken))
		go func() {
			if err := msrv.Serve(httpserver.Listener(mln)); !errors.Is(err, http.ErrServerClosed) {
				logger.Error("metrics server failed", "error", err)
			}
		}()
		logger.Info("metrics listening", "url", "http://"+mln.Addr().String()+"/metrics", "token", cfg.MetricsToken != "")
		fmt.Fprintf(e.stdout, "prikke: metrics on http://%s/metrics\n", mln.Addr())
	}
	rec.Start(ctx)
	served := make(chan error, 1)
	// Listener: the requests net/http refuses before any handler runs
	// are answered with problem+json too.
	go func() { served <- srv.Serve(httpserver.Listener(ln)) }()

	// The node heartbeat (the status reporter writes it) carries what the
	// operator console and prikke migrate read of this node.
	eng.reporter.Info = newNodeBeat(st.Dialect(), cfg.NodeID, now(), eng.worker.Load, eng.scheduler.Leading, logger).now
	eng.reporter.BeatEvery = nodeBeatInterval(cfg.NodeDeadAfter)
	eng.start(ctx)
	// Plan changes the clock makes (a subscription's end) and the daily
	// re-sync: the scheduler's leader runs them.
	planner := svc.NewPlanner(eng.scheduler.Leading)
	planner.Start(ctx)
	addr := ln.Addr().String()
	logger.Info("prikke started", "listen", "http://"+addr, "base_url", cfg.BaseURL, "store", st.Dialect(),
		"version", versionString(), "env", cfg.Env)
	fmt.Fprintf(e.stdout, "prikke: listening on http://%s (store %s)\n", addr, st.Dialect())

	select {
	case <-ctx.Done():
		ready.Drain() // first: the load balancer learns before anything stops
		logger.Info("shutting down")
		// A planned stop: if the service is back soon, /status counts
		// the gap as a restart, not an outage (status.Sampler).
		mctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := status.MarkStopping(mctx, st, cfg.NodeID, time.Time{}); err != nil {
			logger.Warn("status stop mark failed", "error", err)
		}
		cancel()
	case err := <-served:
		ready.Drain()
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server failed", "error", err)
		}
	}
	// Deliveries drain (up to PRIKKE_DRAIN_TIMEOUT) while the listener
	// still answers, /readyz with 503: a load balancer that probes it
	// moves traffic away before the port closes.
	planner.Stop()
	eng.stop()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = srv.Shutdown(sctx)
	cancel()
	rec.Stop() // after the HTTP server: the pings it answered are written
	if msrv != nil {
		_ = msrv.Close()
	}
	logger.Info("stopped")
	return nil
}

func versionString() string { return strings.TrimSpace(versionValue()) }
