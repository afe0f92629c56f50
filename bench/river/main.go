// Command river is the River side of Prikke's peer comparison: N jobs
// due at one instant, each doing an HTTP GET to the bench receiver
// (`prikke bench-receiver`), run by River v0.51.2 with FetchCooldown 5 ms
// and 100 workers in a schema of its own (migrated, then dropped). It
// prints one JSON line like `prikke bench` does. See ../README.md.
package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

type result struct {
	System        string  `json:"system"`
	Version       string  `json:"version"`
	Schema        string  `json:"schema"`
	Jobs          int     `json:"jobs"`
	Delivered     int     `json:"delivered"`
	Duplicates    int     `json:"duplicates"`
	Lost          int     `json:"lost"`
	Completed     int     `json:"completed"`
	PerSecond     float64 `json:"per_second"`
	SecondsToLast float64 `json:"seconds_to_last_result"`
	// PerSecondFromFirst is jobs / (last completion - first arrival):
	// the rate once the jobs are moving, without River's scheduler delay
	// (scheduled jobs become available on its 5 s tick).
	PerSecondFromFirst float64 `json:"per_second_from_first_delivery"`
	FirstArrival       float64 `json:"first_arrival_ms"`
	LatenessP50        float64 `json:"lateness_p50_ms"`
	LatenessP99        float64 `json:"lateness_p99_ms"`
	LatenessMax        float64 `json:"lateness_max_ms"`
	PeakRSSMB          float64 `json:"peak_rss_mb"`
	CPUPerJob          float64 `json:"cpu_us_per_job"`
	ReceiverCPU        float64 `json:"receiver_cpu_us_per_delivery"`
	Workers            int     `json:"workers"`
	FetchCooldownMS    float64 `json:"fetch_cooldown_ms"`
}

// getArgs is the job: one GET to URL.
type getArgs struct {
	URL string `json:"url"`
}

func (getArgs) Kind() string { return "bench_get" }

type getWorker struct {
	river.WorkerDefaults[getArgs]
	client *http.Client
}

func (w *getWorker) Work(ctx context.Context, job *river.Job[getArgs]) error {
	req, err := http.NewRequestWithContext(ctx, "GET", job.Args.URL, nil)
	if err != nil {
		return err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET: %s", resp.Status)
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "river bench:", err)
		os.Exit(1)
	}
}

func run() error {
	jobs := flag.Int("jobs", 50000, "jobs due at one instant")
	receiver := flag.String("receiver", "", "the bench receiver's base URL (http://127.0.0.1:PORT), from `prikke bench-receiver`")
	dbURL := flag.String("database-url", cmp.Or(os.Getenv("DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL (default: DATABASE_URL)")
	workers := flag.Int("workers", 100, "MaxWorkers of the queue")
	cooldown := flag.Duration("fetch-cooldown", 5*time.Millisecond, "River's FetchCooldown")
	flag.Parse()
	if *receiver == "" || *jobs < 1 {
		return errors.New("--receiver URL and --jobs ≥ 1 are needed")
	}
	base := strings.TrimRight(*receiver, "/")
	// Interrupted, it still drops its schema (the deferred DROP below).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	pool, err := pgxpool.New(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	schema := "river_bench_" + strings.ToLower(rand.Text()[:8])
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := pool.Exec(dctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "river bench: drop schema", schema, "by hand:", err)
		}
	}()
	driver := riverpgxv5.New(pool)
	mig, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: schema, Logger: logger})
	if err != nil {
		return err
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	rcv := &receiverClient{base: base, client: &http.Client{}}
	if err := rcv.reset(ctx); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}

	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * *workers, MaxIdleConnsPerHost: 2 * *workers}}
	ws := river.NewWorkers()
	river.AddWorker(ws, &getWorker{client: hc})
	client, err := river.NewClient(driver, &river.Config{
		Schema:        schema,
		Logger:        logger,
		FetchCooldown: *cooldown,
		Queues:        map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: *workers}},
		Workers:       ws,
	})
	if err != nil {
		return err
	}
	events, cancelEvents := client.SubscribeConfig(&river.SubscribeConfig{ChanSize: *jobs + 1000,
		Kinds: []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed}})
	defer cancelEvents()
	if err := client.Start(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		client.Stop(sctx)
	}()

	// The same set-up allowance as `prikke bench --mode burst`.
	var dbNow time.Time
	if err := pool.QueryRow(ctx, "SELECT now()").Scan(&dbNow); err != nil {
		return err
	}
	setup := 3*time.Second + time.Duration(*jobs)*250*time.Microsecond
	due := dbNow.Add(setup).Truncate(time.Second).Add(time.Second)

	recvCPU0, err := rcv.cpu(ctx)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	cpu0 := cpuTime()
	batch := make([]river.InsertManyParams, 0, 5000)
	for i := range *jobs {
		batch = append(batch, river.InsertManyParams{Args: getArgs{URL: base + "/ok?id=" + strconv.Itoa(i)},
			InsertOpts: &river.InsertOpts{ScheduledAt: due}})
		if len(batch) == cap(batch) || i == *jobs-1 {
			if _, err := client.InsertMany(ctx, batch); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
			batch = batch[:0]
		}
	}
	if time.Now().After(due) {
		fmt.Fprintln(os.Stderr, "river bench: inserting took past the due instant")
	}

	var completed, failed int
	var last time.Time
	timeout := time.NewTimer(time.Until(due) + 2*time.Minute + time.Duration(*jobs)*time.Millisecond)
	defer timeout.Stop()
wait:
	for completed+failed < *jobs {
		select {
		case ev := <-events:
			if ev.Kind == river.EventKindJobCompleted {
				completed++
			} else {
				failed++
			}
			last = time.Now()
		case <-timeout.C:
			fmt.Fprintln(os.Stderr, "river bench: not every job finished before the deadline")
			break wait
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	cpuUsed := cpuTime() - cpu0
	recvCPU1, err := rcv.cpu(ctx)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}

	reqs, err := rcv.requests(ctx)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	res := result{System: "river", Version: "v0.51.2", Schema: schema, Jobs: *jobs, Completed: completed,
		Workers: *workers, FetchCooldownMS: float64(cooldown.Microseconds()) / 1000}
	seen := make(map[string]bool, len(reqs))
	var late []float64
	for _, r := range reqs {
		if seen[r.Query] {
			res.Duplicates++
			continue
		}
		seen[r.Query] = true
		late = append(late, float64(time.Unix(0, r.AtNS).Sub(due).Microseconds())/1000)
	}
	res.Delivered = len(seen)
	res.Lost = *jobs - min(len(seen), completed)
	slices.Sort(late)
	res.LatenessP50, res.LatenessP99, res.LatenessMax = percentile(late, 50), percentile(late, 99), percentile(late, 100)
	if len(late) > 0 {
		res.FirstArrival = round1(late[0])
	}
	if el := last.Sub(due); el > 0 && completed > 0 {
		res.PerSecond = round1(float64(completed) / el.Seconds())
		res.SecondsToLast = math.Round(el.Seconds()*1000) / 1000
		if len(late) > 0 {
			if from := el.Seconds() - late[0]/1000; from > 0 {
				res.PerSecondFromFirst = round1(float64(completed) / from)
			}
		}
	}
	if res.Delivered > 0 {
		res.CPUPerJob = round1(float64(cpuUsed.Microseconds()) / float64(*jobs))
		res.ReceiverCPU = round1(float64((recvCPU1 - recvCPU0).Microseconds()) / float64(res.Delivered))
	}
	res.PeakRSSMB = peakRSSMB()
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	return nil
}

// receiverClient speaks the receiver's control API (cmd/prikke/bench_receiver.go).
type receiverClient struct {
	base   string
	client *http.Client
}

func (rc *receiverClient) do(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rc.base+"/_receiver/"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := rc.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return resp, nil
}

func (rc *receiverClient) reset(ctx context.Context) error {
	resp, err := rc.do(ctx, "POST", "reset")
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func (rc *receiverClient) cpu(ctx context.Context) (time.Duration, error) {
	resp, err := rc.do(ctx, "GET", "cpu")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var c struct {
		CPU int64 `json:"cpu_us"`
	}
	err = json.NewDecoder(resp.Body).Decode(&c)
	return time.Duration(c.CPU) * time.Microsecond, err
}

type received struct {
	AtNS  int64  `json:"at_ns"`
	Query string `json:"query"`
}

func (rc *receiverClient) requests(ctx context.Context) ([]received, error) {
	resp, err := rc.do(ctx, "GET", "requests")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []received
	dec := json.NewDecoder(bufio.NewReaderSize(resp.Body, 64<<10))
	for {
		var r received
		if err := dec.Decode(&r); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return round1(sorted[max(0, min(i, len(sorted)-1))])
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMB reads the process's peak resident set size (VmHWM).
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return round1(kb / 1024)
		}
	}
	return 0
}
