package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/seal"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
)

// benchResult is the one JSON line the benchmark prints.
type benchResult struct {
	Mode          string  `json:"mode"`
	Store         string  `json:"store"`
	Schema        string  `json:"schema,omitempty"` // PostgreSQL: the schema it ran in, dropped at the end
	Jobs          int     `json:"jobs"`
	Delivered     int     `json:"delivered"`
	Duplicates    int     `json:"duplicates"`
	Lost          int     `json:"lost"`
	PerSecond     float64 `json:"per_second"`
	LatenessP50   float64 `json:"lateness_p50_ms"`
	LatenessP99   float64 `json:"lateness_p99_ms"`
	LatenessMax   float64 `json:"lateness_max_ms"`
	PeakRSSMB     float64 `json:"peak_rss_mb"`
	CPUPercent    float64 `json:"cpu_percent,omitempty"`
	IdleSeconds   float64 `json:"idle_seconds,omitempty"`
	RSSMB         float64 `json:"rss_mb,omitempty"` // idle: VmRSS at the end, the steady state without set-up's peak
	WorkersMax    int     `json:"workers_max"`
	SecondsToLast float64 `json:"seconds_to_last_result"`
	// HTTPTrace and RecordBody: whether attempts recorded where their time
	// went and the body they sent (PRIKKE_TRACE, PRIKKE_RECORD_REQUEST_BODY,
	// --http-trace, --record-body); Round is the run's round with --ab.
	HTTPTrace  bool `json:"http_trace"`
	RecordBody bool `json:"record_body"`
	Round      int  `json:"round,omitempty"`
	// CPUPerJob (--ab) is this process's CPU time per job, in µs.
	CPUPerJob float64 `json:"cpu_us_per_job,omitempty"`
	// Burst and cron: Receiver is where deliveries went (spawn, inproc or
	// url: bench_receiver.go); PrikkeCPU is this process's CPU time from
	// creating the jobs to the last result stored, per delivery (with
	// inproc it includes the sink's), ReceiverCPU the receiver process's
	// over the same time, per delivery; both in µs.
	Receiver    string  `json:"receiver,omitempty"`
	PrikkeCPU   float64 `json:"prikke_cpu_us_per_delivery,omitempty"`
	ReceiverCPU float64 `json:"receiver_cpu_us_per_delivery,omitempty"`
	// RunPeakRSSMB (burst and cron) is the peak from the engine's start
	// to the last result, set-up's garbage collected and returned to the
	// kernel first; peak_rss_mb is the whole process's.
	RunPeakRSSMB float64 `json:"run_peak_rss_mb,omitempty"`
	// Mode floor (bench_floor.go): ClientCPU is the bare client's CPU time
	// per request, in µs; receiver_cpu_us_per_delivery the receiver's.
	ClientCPU float64 `json:"client_cpu_us_per_request,omitempty"`

	// Mode pings: per_second is accepted pings (200s) per second, lost is
	// accepted minus stored, and lateness_* is flip time minus deadline.
	Monitors int     `json:"monitors,omitempty"`
	Clients  int     `json:"clients,omitempty"`
	Accepted int     `json:"accepted,omitempty"`
	Refused  int     `json:"refused,omitempty"` // non-200 answers and transport errors
	Stored   int     `json:"stored,omitempty"`
	PingP50  float64 `json:"ping_p50_ms,omitempty"`
	PingP99  float64 `json:"ping_p99_ms,omitempty"`
	// PingCPU is this process's CPU time (server and clients alike) per
	// accepted ping: on a shared machine it says more than the rate.
	PingCPU float64 `json:"ping_cpu_ms,omitempty"`
	// Mode enqueue (bench_enqueue.go): per_second is requests accepted,
	// ping_p50/p99 the latency of one call, cpu_us_per_job the CPU per
	// accepted request; batch the items per call (0: single endpoint).
	Batch            int `json:"batch,omitempty"`
	DeadlineMonitors int `json:"deadline_monitors,omitempty"`
	Flips            int `json:"flips,omitempty"`
	// Claimed is when each flip could be claimed for sending, minus the
	// deadline (a claimer woken by TopicFlips, as the notifier is).
	ClaimedP50 float64 `json:"claimed_p50_ms,omitempty"`
	ClaimedP99 float64 `json:"claimed_p99_ms,omitempty"`
	ClaimedMax float64 `json:"claimed_max_ms,omitempty"`

	// Mode flow (bench_flow.go): jobs is every request queued in the
	// measured run, delivered/duplicates/lost count them at the sink,
	// lateness_* is the unlimited key's, per_second and
	// seconds_to_last_result the limited key's.
	*FlowFigures
	// Mode workflow (bench_workflow.go): jobs is every step request
	// expected, lateness_* is the step-to-step hand-off, per_second the
	// requests per second.
	*WorkflowFigures
	// --history (bench_history.go).
	*HistoryFigures
}

// bench runs the engine against a built-in loopback sink and prints one
// JSON line of figures. It runs as a Pro organization (tier limits do not
// interfere) in a store of its own: a fresh temporary SQLite file when
// PRIKKE_DATABASE_URL is unset, a schema of its own (dropped afterwards)
// on PostgreSQL; an SQLite file named explicitly gets its rows deleted.
func bench(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	mode := fs.String("mode", "burst", "burst (N one-time jobs due at one instant), cron (N `* * * * *` jobs at the next minute), idle (N hourly jobs, none due: CPU use) pings (the ping API's rate, then monitor deadline lateness), enqueue (POST /api/v1/queue or /queue/batch with --batch: accepted requests per second), flow (a flow key's limits at the sink, beside an unlimited burst of --jobs), workflow (--runs runs of a 4-step workflow in flight together: step-to-step hand-off) or floor (the machine's floor: --jobs signed requests from a bare HTTP client over --clients connections to the same receiver, no database)")
	jobs := fs.Int("jobs", 2000, "number of jobs")
	idleFor := fs.Duration("idle-for", 30*time.Second, "idle mode: how long to measure")
	var pb pingsBench
	var eb enqueueBench
	fs.IntVar(&eb.batch, "batch", 0, "enqueue mode: items per POST /api/v1/queue/batch (0: single POST /api/v1/queue)")
	fs.DurationVar(&eb.duration, "enqueue-for", 10*time.Second, "enqueue mode: how long the clients enqueue")
	fs.IntVar(&pb.monitors, "monitors", 2000, "pings mode: monitors pinged round robin")
	fs.IntVar(&pb.clients, "clients", 64, "pings and enqueue modes: concurrent keep-alive clients (enqueue: default 32)")
	fs.DurationVar(&pb.duration, "ping-for", 10*time.Second, "pings mode: how long the clients ping")
	fs.IntVar(&pb.deadlines, "deadline-monitors", 10_000, "pings mode: monitors given a deadline (0: skip that part)")
	fs.DurationVar(&pb.spread, "deadline-spread", 10*time.Second, "pings mode: over how long their deadlines fall")
	var fb flowBench
	fs.IntVar(&fb.limited, "flow-requests", 1000, "flow mode: requests queued to the limited key")
	fs.IntVar(&fb.rate, "flow-rate", 20, "flow mode: the limited key's rate per second")
	fs.IntVar(&fb.burst, "flow-burst", 1, "flow mode: the limited key's burst")
	fs.IntVar(&fb.parallelism, "flow-parallelism", 5, "flow mode: the limited key's parallelism")
	fs.DurationVar(&fb.respond, "flow-respond", 100*time.Millisecond, "flow mode: how long the sink takes to answer each limited request")
	fs.DurationVar(&fb.offset, "flow-unlimited-after", 5*time.Second, "flow mode: the unlimited --jobs fall due this long after the limited requests")
	var wb workflowBench
	fs.IntVar(&wb.runs, "runs", 1000, "workflow mode: runs started together")
	fs.DurationVar(&wb.respond, "workflow-respond", time.Second, "workflow mode: the sink's mean answer time per step (each between half and one and a half of it)")
	ab := fs.Bool("ab", false, "burst mode: run the burst with tracing and request-body recording off and on, alternating, --ab-rounds times each, and print each run and the median on/off ratio")
	abRounds := fs.Int("ab-rounds", 3, "with --ab: rounds (each one run off and one on)")
	httpTrace := fs.Bool("http-trace", true, "record where each attempt's time went (PRIKKE_TRACE; default: that variable, true when unset)")
	recordBody := fs.Bool("record-body", true, "keep each attempt's request body (PRIKKE_RECORD_REQUEST_BODY; default: that variable, true when unset)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	traceFile := fs.String("trace", "", "write an execution trace of the run to this file (go tool trace)")
	receiverFlag := fs.String("receiver", "spawn", "burst, cron and floor: where deliveries go: spawn (a receiver process of its own, so its CPU is measured apart), inproc (the in-process sink) or the http://ip:port of a running `prikke bench-receiver` (shared with the peers' harnesses); other modes use the in-process sink")
	history := fs.Int("history", 0, "burst mode: first seed this many finished executions (of a tenant of their own) into the store")
	historyKeep := fs.Bool("history-keep", false, "with --history: keep the seeded history at the end (PostgreSQL: the schema, named by --schema; SQLite: in the file PRIKKE_DATABASE_URL names), for later runs to reuse")
	schemaName := fs.String("schema", "", "PostgreSQL: run in this schema (made when missing) instead of a fresh one; dropped at the end unless --history-keep")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if *mode != "burst" && *mode != "cron" && *mode != "idle" && *mode != "pings" && *mode != "enqueue" && *mode != "flow" && *mode != "workflow" && *mode != "floor" {
		return usageError("bench: --mode must be burst, cron, idle, pings, enqueue, flow, workflow or floor")
	}
	if *mode == "floor" && (pb.clients < 1 || pb.clients > 10_000) {
		return usageError("bench: --clients must be 1-10000")
	}
	eb.clients = pb.clients
	if *mode == "enqueue" && !flagSet(fs, "clients") {
		eb.clients = 32
	}
	if *mode == "enqueue" && (eb.clients < 1 || eb.clients > 10_000 || eb.duration <= 0 || eb.batch < 0 || eb.batch > 1000) {
		return usageError("bench: --clients must be 1-10000, --enqueue-for positive, --batch 0-1000")
	}
	if *mode == "workflow" && (wb.runs < 1 || wb.runs > 100_000 || wb.respond < 0 || wb.respond > 10*time.Second) {
		return usageError("bench: --runs must be between 1 and 100000, --workflow-respond 0-10s")
	}
	if *mode == "flow" && (fb.limited < 1 || fb.limited > 1_000_000 || fb.rate < 1 || fb.rate > prikke.FlowRateMax ||
		fb.burst < 1 || fb.burst > prikke.FlowBurstMax || fb.parallelism < 1 || fb.parallelism > prikke.FlowParallelMax ||
		fb.respond < 0 || fb.respond > time.Minute || fb.offset < 0) {
		return usageError("bench: --flow-requests must be 1-1000000, --flow-rate, --flow-burst and --flow-parallelism within a flow key's limits, --flow-respond 0-1m, --flow-unlimited-after not negative")
	}
	if *mode == "pings" && (pb.monitors < 1 || pb.monitors > 1_000_000 || pb.clients < 1 || pb.clients > 10_000 ||
		pb.duration <= 0 || pb.deadlines < 0 || pb.deadlines > 1_000_000 || pb.spread < 0) {
		return usageError("bench: --monitors must be 1-1000000, --clients 1-10000, --ping-for positive, --deadline-monitors 0-1000000, --deadline-spread not negative")
	}
	if *ab && (*mode != "burst" || *abRounds < 1 || *abRounds > 20) {
		return usageError("bench: --ab needs --mode burst, and --ab-rounds must be between 1 and 20")
	}
	if *history < 0 || *history > 100_000_000 || (*history > 0 && (*mode != "burst" || *ab)) || (*historyKeep && *history == 0) {
		return usageError("bench: --history must be between 0 and 100000000 and needs --mode burst without --ab; --history-keep needs --history")
	}
	if *jobs < 1 || *jobs > 1_000_000 {
		return usageError("bench: --jobs must be between 1 and 1000000")
	}
	if r := *receiverFlag; r != "spawn" && r != "inproc" && !strings.HasPrefix(r, "http://") {
		return usageError("bench: --receiver must be spawn, inproc or http://ip:port")
	}
	getenv := e.getenv
	tempDB := ""
	if getenv("PRIKKE_DATABASE_URL") == "" {
		dir, err := os.MkdirTemp("", "prikke-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		tempDB = filepath.Join(dir, "bench.db")
		getenv = overlay(e.getenv, map[string]string{"PRIKKE_DATABASE_URL": "sqlite:" + tempDB})
	}
	if getenv("PRIKKE_LOG_LEVEL") == "" {
		getenv = overlay(getenv, map[string]string{"PRIKKE_LOG_LEVEL": "warn"})
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cfg.IsProduction() {
		return errors.New("bench writes test data; run it with PRIKKE_ENV=development against a database of its own")
	}
	logger := newLogger(cfg, e.stderr)
	if *mode != "pings" && *mode != "enqueue" && *mode != "floor" {
		// As a node sets it (serve). Not where this process also runs
		// the load's clients, whose bodies are not a node's to hold
		// (the batch enqueue's peak is several hundred MB of them).
		applyMemoryLimit(cfg.MemoryLimit, getenv, logger)
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "http-trace":
			cfg.Trace = *httpTrace
		case "record-body":
			cfg.RecordRequestBody = *recordBody
		}
	})
	if *mode == "workflow" {
		// One tenant's runs to one host: the fairness caps would bind
		// before the hand-off does (bench_workflow.go).
		raise := func(name string, v *int) {
			if getenv(name) == "" {
				*v = max(*v, 2*wb.runs)
			}
		}
		raise("PRIKKE_WORKERS_MAX", &cfg.WorkersMax)
		raise("PRIKKE_ORG_IN_FLIGHT", &cfg.OrgInFlight)
		raise("PRIKKE_HOST_IN_FLIGHT", &cfg.HostInFlight)
	}

	secret := delivery.NewSecret()
	var (
		sk   *sink.Sink // every mode but burst, cron and floor away from inproc
		recv benchSink  // where burst, cron and floor count deliveries
	)
	if (*mode == "burst" || *mode == "cron" || *mode == "floor") && !*ab && *receiverFlag != "inproc" {
		var rr *remoteReceiver
		if *receiverFlag == "spawn" {
			rr, err = spawnReceiver(ctx, secret, e.stderr)
		} else {
			rr, err = dialReceiver(ctx, *receiverFlag)
		}
		if err != nil {
			return err
		}
		defer rr.Close()
		if err := rr.Reset(ctx); err != nil {
			return fmt.Errorf("bench: resetting the receiver: %w", err)
		}
		secret, recv = rr.secret, rr
	} else {
		sk, err = sink.Start(sink.Options{Secrets: []string{secret}, MaxBody: -1})
		if err != nil {
			return err
		}
		defer sk.Close()
		recv = sk
	}
	cfg.SSRFAllow = append(cfg.SSRFAllow, recv.Addr())
	if *mode == "floor" {
		// No store and no engine: the client and the receiver alone.
		res := benchResult{Mode: *mode, Jobs: *jobs, Receiver: receiverName(*receiverFlag)}
		if err := benchFloor(ctx, recv, secret, *jobs, pb.clients, &res); err != nil {
			return err
		}
		return printBench(e.stdout, &res)
	}

	if *historyKeep && tempDB != "" {
		return usageError("bench: --history-keep needs a store to keep it in: PRIKKE_DATABASE_URL naming an SQLite file, or PostgreSQL with --schema")
	}
	st, schema, cleanup, err := openBenchStore(ctx, cfg, logger, *schemaName, *historyKeep)
	if err != nil {
		return err
	}
	defer cleanup()

	tn, err := benchTenant(ctx, st, secret)
	if err != nil {
		return err
	}
	if (tempDB == "" && st.Dialect() == "sqlite") || *historyKeep {
		// A file of the user's: take out what the bench put in (the user's
		// deletion takes the organization, its jobs and their history).
		// Runs after the engine has stopped: benchRun and benchIdle stop
		// it before they return.
		defer func() {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
			defer cancel()
			if err := st.UserDelete(dctx, tn.user); err != nil {
				logger.Error("could not remove the benchmark's data; delete its user by hand", "user", tn.user, "error", err)
			}
		}()
	}
	res := benchResult{Mode: *mode, Store: st.Dialect(), Schema: schema, Jobs: *jobs, WorkersMax: cfg.WorkersMax,
		HTTPTrace: cfg.Trace, RecordBody: cfg.RecordRequestBody}
	if *mode == "pings" || *mode == "enqueue" {
		res.Jobs = 0
	}
	if *history > 0 {
		res.HistoryFigures = &HistoryFigures{}
		htn, err := seedHistory(ctx, st, logger, *history, res.HistoryFigures)
		if err != nil {
			return err
		}
		if tempDB == "" && st.Dialect() == "sqlite" && !*historyKeep {
			// Registered after the bench user's removal: runs before it.
			defer func() {
				dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Minute)
				defer cancel()
				if err := st.UserDelete(dctx, htn.user); err != nil {
					logger.Error("could not remove the seeded history; delete its user by hand", "user", htn.user, "error", err)
				}
			}()
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	if *ab {
		return benchAB(ctx, cfg, st, logger, secret, *jobs, *abRounds, sk, e.stdout)
	}
	switch *mode {
	case "idle":
		err = benchIdle(ctx, cfg, st, logger, tn, *jobs, *idleFor, &res)
	case "pings":
		err = benchPings(ctx, cfg, st, logger, tn, pb, &res)
	case "enqueue":
		err = benchEnqueue(ctx, cfg, st, logger, tn, eb, "http://"+sk.Addr().String()+"/enqueued", &res)
	case "flow":
		fb.unlimited = *jobs
		err = benchFlow(ctx, cfg, st, logger, tn, fb, sk, &res)
	case "workflow":
		err = benchWorkflow(ctx, cfg, st, logger, tn, wb, sk, &res)
	default:
		res.Receiver = receiverName(*receiverFlag)
		err = benchRun(ctx, cfg, st, logger, tn, *mode, *jobs, recv, &res)
	}
	if err != nil {
		return err
	}
	return printBench(e.stdout, &res)
}

// printBench prints res as the bench's one JSON line, with the process's
// peak RSS (burst and cron restart the kernel's peak after set-up and
// keep the earlier one in res).
func printBench(w io.Writer, res *benchResult) error {
	res.PeakRSSMB = max(res.PeakRSSMB, peakRSSMB())
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// receiverName is --receiver as the result names it: spawn, inproc or url.
func receiverName(flag string) string {
	if strings.HasPrefix(flag, "http://") {
		return "url"
	}
	return flag
}

func overlay(getenv func(string) string, over map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return getenv(k)
	}
}

// openBenchStore opens the benchmark's own store and returns, on
// PostgreSQL, the schema it made, and how to clean it up.
func openBenchStore(ctx context.Context, cfg *config.Config, logger *slog.Logger, schema string, keep bool) (store.Store, string, func(), error) {
	sealer, err := seal.New(rand.Text() + rand.Text())
	if err != nil {
		return nil, "", nil, err
	}
	if path := cfg.SQLitePath(); path != "" {
		s, err := sqlitestore.Open(ctx, path, sqlitestore.OpenOptions{Options: store.Options{Sealer: sealer}, Exclusive: true}, logger)
		if err != nil {
			return nil, "", nil, err
		}
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, "", nil, err
		}
		return s, "", func() { s.Close() }, nil
	}
	if schema == "" {
		schema = "prikke_bench_" + strings.ToLower(rand.Text()[:8])
	}
	s, err := pgstore.Open(ctx, cfg.DatabaseURL, store.Options{Sealer: sealer, Schema: schema, Namespace: schema, MaxConns: 24}, logger)
	if err != nil {
		return nil, "", nil, err
	}
	cleanup := func() {
		if keep {
			s.Close()
			return
		}
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.DropSchema(dctx); err != nil {
			logger.Error("could not drop the benchmark schema; drop it by hand", "schema", schema, "error", err)
		}
		s.Close()
	}
	if err := s.Migrate(ctx); err != nil {
		cleanup()
		return nil, "", nil, err
	}
	return s, schema, cleanup, nil
}

type benchTenantIDs struct {
	user, org, project prikke.ID
}

func benchTenant(ctx context.Context, st store.Store, secret string) (*benchTenantIDs, error) {
	now := time.Now().UTC()
	u := &prikke.User{ID: prikke.NewID(), Email: "bench-" + strings.ToLower(rand.Text()[:10]) + "@prikke.invalid",
		PasswordHash: "!", ConfirmedAt: &now, CreatedAt: now, UpdatedAt: now}
	o := &prikke.Organization{ID: prikke.NewID(), Name: "bench", Tier: prikke.TierPro, Personal: true, CreatedAt: now, UpdatedAt: now}
	p := &prikke.Project{ID: prikke.NewID(), OrganizationID: o.ID, Name: "bench", SigningSecret: secret, AlertAfter: 1, CreatedAt: now, UpdatedAt: now}
	if err := st.SignupCreate(ctx, &store.SignupParams{User: u, Organization: o, Project: p}); err != nil {
		return nil, err
	}
	return &benchTenantIDs{user: u.ID, org: o.ID, project: p.ID}, nil
}

func benchJob(tn *benchTenantIDs, url string, now time.Time) *prikke.Job {
	return &prikke.Job{ID: prikke.NewID(), ProjectID: tn.project, OrganizationID: tn.org, Name: "bench", URL: url,
		Method: "POST", Body: `{"bench":true}`, TimeoutMS: prikke.MaxTimeoutMS, RetryAttempts: 0, Enabled: true, TimeZone: "UTC",
		CatchUp: prikke.CatchUpLatest, CatchUpWindow: time.Hour, Overlap: prikke.OverlapAllow, NotifyMode: prikke.NotifyMuted,
		Health: prikke.JobHealthy, CreatedAt: now, UpdatedAt: now}
}

func createJobs(ctx context.Context, st store.Store, js []*prikke.Job) error {
	for chunk := range slices.Chunk(js, 5000) {
		if err := st.JobCreateMany(ctx, chunk); err != nil {
			return err
		}
	}
	return nil
}

// benchRun measures burst or cron deliveries.
func benchRun(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, mode string, n int, sk benchSink, res *benchResult) error {
	dbNow, err := st.Now(ctx)
	if err != nil {
		return err
	}
	// CPU from here to the last result: this process's, and a receiver
	// process's apart.
	rr, _ := sk.(*remoteReceiver)
	var recvCPU0 time.Duration
	if rr != nil {
		if recvCPU0, _, err = rr.CPU(ctx); err != nil {
			return fmt.Errorf("bench: the receiver's CPU: %w", err)
		}
	}
	cpu0 := cpuTime()
	// Leave time to create the jobs and write every occurrence before the
	// due instant, so the figures measure delivery, not set-up.
	setup := 3*time.Second + time.Duration(n)*250*time.Microsecond
	var due time.Time
	js := make([]*prikke.Job, n)
	switch mode {
	case "burst":
		due = dbNow.Add(setup).Truncate(time.Second).Add(time.Second)
		for i := range js {
			j := benchJob(tn, sk.URL("/ok"), dbNow)
			j.Kind, j.RunAt, j.NextRunAt = prikke.JobKindOnce, &due, &due
			js[i] = j
		}
	case "cron":
		due = dbNow.Add(setup).Truncate(time.Minute).Add(time.Minute)
		for i := range js {
			j := benchJob(tn, sk.URL("/ok"), dbNow)
			j.Kind, j.CronExpression, j.IntervalMinutes, j.NextRunAt = prikke.JobKindCron, "* * * * *", 1, &due
			js[i] = j
		}
	}
	if err := createJobs(ctx, st, js); err != nil {
		return err
	}

	completions := st.Subscribe(store.TopicExecutions)
	defer completions.Close()
	var (
		mu         sync.Mutex
		seen       = make(map[string]bool, n)
		lastStored time.Time
		allStored  = make(chan struct{})
	)
	go func() {
		for ev := range completions.C {
			mu.Lock()
			for line := range strings.Lines(ev.Payload) {
				if f := strings.Fields(line); len(f) == 2 && !seen[f[1]] {
					seen[f[1]] = true
					lastStored = time.Now()
				}
			}
			full := len(seen) >= n
			mu.Unlock()
			if full {
				close(allStored)
				return
			}
		}
	}()

	// The scheduler writes everything at once: its lead reaches the due
	// instant. (Sink, engine and database share this machine's clock.)
	// A cron minute's lead stays under 45 s: a longer one took in the next
	// minute's occurrences too, written while this one was delivered, in
	// about half the runs (those that started early in their minute).
	if wait := time.Until(due) - 45*time.Second; mode == "cron" && wait > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	// From here the engine runs alone: its own peak is measured apart
	// from the set-up's (the jobs made in this process, which a node
	// never holds at once: they arrive through the API over time).
	res.PeakRSSMB = peakRSSMB()
	debug.FreeOSMemory()                                                      // collects first
	restarted := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil // VmHWM restarts from VmRSS
	lead := time.Until(due) + 2*time.Second
	eng := newEngine(cfg, st, metrics.New(), logger, time.Now, max(lead, cfg.SchedulerLead))
	eng.start(ctx)
	defer eng.stop()

	deadline := due.Add(2*time.Minute + time.Duration(n)*time.Millisecond)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if err := sk.WaitCount(wctx, n); err != nil {
		logger.Warn("not every delivery arrived before the deadline", "arrived", sk.Count(), "jobs", n)
	}
	select {
	case <-allStored:
	case <-wctx.Done():
		logger.Warn("not every result was stored before the deadline")
	}
	cpuUsed := cpuTime() - cpu0
	if restarted {
		res.RunPeakRSSMB = peakRSSMB()
	}
	var recvCPU time.Duration
	if rr != nil {
		c, _, err := rr.CPU(ctx)
		if err != nil {
			return fmt.Errorf("bench: the receiver's CPU: %w", err)
		}
		recvCPU = c - recvCPU0
	}
	// Confirm from the database what the events said.
	// By project (the tenant has one): an index range, however large the
	// store's history (--history); no index leads with the organization.
	stats, err := st.ExecutionStats(ctx, store.ExecutionFilter{ProjectID: &tn.project})
	if err != nil {
		return err
	}
	stored := stats[prikke.ExecutionStatusSuccess] + stats[prikke.ExecutionStatusFailed] + stats[prikke.ExecutionStatusTimeout]

	reqs := sk.Requests()
	if rr != nil && rr.err != nil {
		return fmt.Errorf("bench: the receiver's requests: %w", rr.err)
	}
	res.countArrivals(reqs, due)
	if res.Delivered > 0 {
		res.PrikkeCPU = math.Round(float64(cpuUsed.Microseconds())/float64(res.Delivered)*10) / 10
		if rr != nil {
			res.ReceiverCPU = math.Round(float64(recvCPU.Microseconds())/float64(res.Delivered)*10) / 10
		}
	}
	res.Lost = n - min(res.Delivered, stored)
	mu.Lock()
	elapsed := lastStored.Sub(due)
	mu.Unlock()
	if elapsed > 0 && stored > 0 {
		res.PerSecond = math.Round(float64(stored)/elapsed.Seconds()*10) / 10
		res.SecondsToLast = math.Round(elapsed.Seconds()*1000) / 1000
	}
	return nil
}

// countArrivals sets delivered, duplicates and lateness_* from the
// requests a receiver took: a webhook-id counts once, from its first
// signed request, whose arrival after since is its lateness; every other
// request (the same id again, or one the receiver could not verify) is a
// duplicate.
func (res *benchResult) countArrivals(reqs []sink.Received, since time.Time) {
	seen := make(map[string]bool, len(reqs))
	late := make([]float64, 0, len(reqs))
	for _, r := range reqs {
		if r.SignatureValid && !seen[r.WebhookID] {
			seen[r.WebhookID] = true
			late = append(late, float64(r.At.Sub(since).Microseconds())/1000)
		}
	}
	slices.Sort(late)
	res.Delivered, res.Duplicates = len(late), len(reqs)-len(late)
	res.LatenessP50, res.LatenessP99, res.LatenessMax = percentile(late, 50), percentile(late, 99), percentile(late, 100)
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return math.Round(sorted[i]*10) / 10
}

// benchIdle measures the CPU the engine uses with n hourly jobs defined
// and none due: there must be no busy polling.
func benchIdle(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, n int, d time.Duration, res *benchResult) error {
	dbNow, err := st.Now(ctx)
	if err != nil {
		return err
	}
	next := dbNow.Add(90 * time.Minute).Truncate(time.Hour)
	// In chunks: the set-up holds no more than one chunk of jobs at once.
	for done := 0; done < n; done += 5000 {
		js := make([]*prikke.Job, min(5000, n-done))
		for i := range js {
			j := benchJob(tn, "https://example.com/", dbNow)
			j.Kind, j.CronExpression, j.IntervalMinutes, j.NextRunAt = prikke.JobKindCron, "0 * * * *", 60, &next
			js[i] = j
		}
		if err := createJobs(ctx, st, js); err != nil {
			return err
		}
	}
	eng := newEngine(cfg, st, metrics.New(), logger, time.Now, 0)
	eng.start(ctx)
	defer eng.stop()
	time.Sleep(2 * time.Second) // let start-up settle
	before, start := cpuTime(), time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
	}
	used, wall := cpuTime()-before, time.Since(start)
	res.CPUPercent = math.Round(used.Seconds()/wall.Seconds()*100*1000) / 1000
	res.IdleSeconds = math.Round(wall.Seconds()*10) / 10
	res.RSSMB = procStatusMB("VmRSS:")
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMB reads the process's peak resident set size (VmHWM).
func peakRSSMB() float64 { return procStatusMB("VmHWM:") }

// procStatusMB reads a size field of /proc/self/status, in MB.
func procStatusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return math.Round(kb/1024*10) / 10
		}
	}
	return 0
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
