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
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/store"
)

// serve runs Prikke until ctx ends, then shuts down in order: stop taking
// HTTP requests, stop scheduling, drain deliveries, close the store.
func serve(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError("serve takes no arguments; configure it with PRIKKE_* variables (see prikke --help)")
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, e.stderr)
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
	svc := newService(cfg, st, eng.client, mailer, logger)
	svc.NowFunc = now
	svc.Tester = eng.notifier
	handler, err := newHandler(cfg, st, svc, mailbox, m, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on PRIKKE_ADDR=%s: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	eng.start(ctx)
	addr := ln.Addr().String()
	logger.Info("prikke started", "listen", "http://"+addr, "base_url", cfg.BaseURL, "store", st.Dialect(),
		"version", versionString(), "env", cfg.Env)
	fmt.Fprintf(e.stdout, "prikke: listening on http://%s (store %s)\n", addr, st.Dialect())

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server failed", "error", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = srv.Shutdown(sctx)
	cancel()
	eng.stop()
	logger.Info("stopped")
	return nil
}

func versionString() string { return strings.TrimSpace(versionValue()) }
