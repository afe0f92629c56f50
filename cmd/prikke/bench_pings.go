package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/store"
)

// pingsBench is what --mode pings measures.
type pingsBench struct {
	monitors  int           // monitors pinged
	clients   int           // concurrent keep-alive clients
	duration  time.Duration // how long they ping
	deadlines int           // monitors given a deadline
	spread    time.Duration // over how long their deadlines fall
}

// benchPings measures the ping API and the monitor deadlines. First,
// clients POST 200-byte bodies round robin over the monitors, through the
// real handler (middleware, lookup, flood limit, group commit) on a
// loopback port, for the duration: accepted pings per second (only 200s,
// each stored when answered) and the request latency. Then monitors get a
// start ping each, with max run times that put their deadlines spread
// over the next seconds, and the real scheduler acts on them: lateness is
// each flip's time minus the deadline it acted on.
func benchPings(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, pb pingsBench, res *benchResult) error {
	if err := benchPingRate(ctx, cfg, st, logger, tn, pb, res); err != nil {
		return err
	}
	return benchDeadlines(ctx, cfg, st, logger, tn, pb, res)
}

// benchPingRate is the first half of benchPings.
func benchPingRate(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, pb pingsBench, res *benchResult) error {
	ms, err := createMonitors(ctx, st, tn, "p", pb.monitors, nil)
	if err != nil {
		return err
	}
	addr, stop, err := startBenchServer(ctx, cfg, st, logger)
	if err != nil {
		return err
	}
	defer stop()

	urls := make([]string, len(ms))
	for i, m := range ms {
		urls[i] = "http://" + addr + "/ping/" + m.PingToken
	}
	body := []byte(strings.Repeat("backup done: 1234 files, 56 MB, 0 errors. ", 5)[:200])
	tr := &http.Transport{MaxIdleConns: pb.clients, MaxIdleConnsPerHost: pb.clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// One ping per monitor first, not counted: the figures are of the
	// steady state, in which the handler's lookup cache knows the monitors.
	if err := warmUp(ctx, hc, urls, body, pb.clients); err != nil {
		return err
	}
	var (
		next     atomic.Uint64
		mu       sync.Mutex
		lat      []float64
		refused  int
		wg       sync.WaitGroup
		start    = time.Now()
		cpu0     = cpuTime()
		deadline = start.Add(pb.duration)
	)
	for range pb.clients {
		wg.Go(func() {
			var mine []float64
			bad := 0
			for ctx.Err() == nil && time.Now().Before(deadline) {
				url := urls[next.Add(1)%uint64(len(urls))]
				t0 := time.Now()
				resp, err := hc.Post(url, "text/plain", bytes.NewReader(body))
				if err != nil {
					bad++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, float64(time.Since(t0).Microseconds())/1000)
			}
			mu.Lock()
			lat = append(lat, mine...)
			refused += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	slices.Sort(lat)
	res.Monitors, res.Clients = len(ms), pb.clients
	res.Accepted, res.Refused = len(lat), refused
	res.PerSecond = math.Round(float64(len(lat))/elapsed.Seconds()*10) / 10
	res.PingP50, res.PingP99 = percentile(lat, 50), percentile(lat, 99)
	if len(lat) > 0 {
		res.PingCPU = math.Round(float64(cpu.Microseconds())/float64(len(lat))) / 1000
	}

	// 200 means stored: count what the database holds (less the warm-up).
	stored := -len(ms)
	for _, m := range ms {
		ps, err := st.PingList(ctx, store.PingFilter{MonitorID: m.ID, Limit: 1_000_000})
		if err != nil {
			return err
		}
		stored += len(ps)
	}
	res.Stored = stored
	res.Lost = len(lat) - stored
	return nil
}

// warmUp pings each URL once, clients at a time.
func warmUp(ctx context.Context, hc *http.Client, urls []string, body []byte, clients int) error {
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for range clients {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(urls) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				resp, err := hc.Post(urls[i], "text/plain", bytes.NewReader(body))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("warm-up ping answered %s", resp.Status)
					}
				}
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// benchDeadlines is the second half of benchPings.
func benchDeadlines(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, pb pingsBench, res *benchResult) error {
	n := pb.deadlines
	res.DeadlineMonitors = n
	if n == 0 {
		return nil
	}
	// The real scheduler, whose deadline loop acts on the monitors once it
	// leads (started first: winning the election takes a moment).
	sch := scheduler.New(st, scheduler.Config{Node: cfg.NodeID, LeaderTTL: cfg.LeaderTTL}, metrics.New(), logger)
	sch.Start(ctx)
	defer sch.Stop()

	// Leave time to record every start ping before the first deadline.
	lead := 5*time.Second + time.Duration(n)*600*time.Microsecond
	runtime := func(i int) time.Duration { return lead + pb.spread*time.Duration(i)/time.Duration(n) }
	i := 0
	ms, err := createMonitors(ctx, st, tn, "d", n, func(m *prikke.Monitor) {
		m.MaxRuntime = runtime(i).Truncate(time.Millisecond)
		i++
	})
	if err != nil {
		return err
	}
	flips := st.Subscribe(store.TopicFlips)
	defer flips.Close()
	base := time.Now().UTC().Truncate(time.Microsecond)
	due := make(map[prikke.ID]time.Time, n)
	pings := make([]*prikke.Ping, n)
	for i, m := range ms {
		due[m.ID] = base.Add(m.MaxRuntime)
		pings[i] = &prikke.Ping{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Kind: prikke.PingStart,
			Method: "POST", SourceIP: "127.0.0.1", UserAgent: "prikke-bench", CreatedAt: base}
	}
	for chunk := range slices.Chunk(pings, 256) {
		if _, err := st.PingsRecord(ctx, chunk, monitor.OnPing); err != nil {
			return err
		}
	}
	if late := time.Since(base); late > lead {
		logger.Warn("the start pings took longer than the lead; the first deadlines passed while they were written", "took", late, "lead", lead)
	}

	// Claim the flips as the notifier would, woken by TopicFlips: besides
	// each flip's time (lateness_*), the instant it could be claimed says
	// when its alert could go out (claimed_*).
	var lateness, claimed []float64
	seen := make(map[prikke.ID]bool, n)
	giveUp := base.Add(runtime(n-1) + 30*time.Second + time.Duration(n)*time.Millisecond)
	for len(seen) < n && time.Now().Before(giveUp) {
		fs, err := st.MonitorFlipClaim(ctx, time.Time{}, 1000)
		if err != nil {
			return err
		}
		at := time.Now()
		for _, f := range fs {
			d, ok := due[f.MonitorID]
			if !ok || seen[f.MonitorID] {
				continue
			}
			seen[f.MonitorID] = true
			lateness = append(lateness, float64(f.CreatedAt.Sub(d).Microseconds())/1000)
			claimed = append(claimed, float64(at.Sub(d).Microseconds())/1000)
		}
		if len(fs) < 1000 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-flips.C:
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	slices.Sort(lateness)
	slices.Sort(claimed)
	res.Flips = len(lateness)
	res.LatenessP50, res.LatenessP99, res.LatenessMax = percentile(lateness, 50), percentile(lateness, 99), percentile(lateness, 100)
	res.ClaimedP50, res.ClaimedP99, res.ClaimedMax = percentile(claimed, 50), percentile(claimed, 99), percentile(claimed, 100)
	if len(lateness) < n {
		logger.Warn("not every deadline flipped", "flips", len(lateness), "monitors", n)
	}
	return nil
}

// createMonitors creates n period monitors (hourly, grace an hour, alerts
// muted) named prefix-i, editing each with edit, several at a time.
func createMonitors(ctx context.Context, st store.Store, tn *benchTenantIDs, prefix string, n int, edit func(m *prikke.Monitor)) ([]*prikke.Monitor, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	ms := make([]*prikke.Monitor, n)
	for i := range ms {
		var b [16]byte
		rand.Read(b[:])
		m := &prikke.Monitor{ID: prikke.NewID(), ProjectID: tn.project, OrganizationID: tn.org, Name: fmt.Sprintf("bench %s%d", prefix, i),
			Slug: fmt.Sprintf("%s%d", prefix, i), PingToken: uuid.NewString(), BadgeToken: base64.RawURLEncoding.EncodeToString(b[:]),
			Period: time.Hour, Grace: time.Hour, NotifyMode: prikke.NotifyMuted, CreatedAt: now, UpdatedAt: now}
		m.Status = prikke.MonitorNew
		if edit != nil {
			edit(m)
		}
		if err := monitor.Validate(m); err != nil {
			return nil, err
		}
		ms[i] = m
	}
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		first error
		once  sync.Once
	)
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := st.MonitorCreate(ctx, ms[i]); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return ms, first
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// startBenchServer serves Prikke's real handler (API, pings, with the
// recorder's group commit) on a loopback port of its own, and returns its
// address and how to stop it.
func startBenchServer(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger) (string, func(), error) {
	client := delivery.New(delivery.Options{Allow: cfg.SSRFAllow})
	svc := newService(cfg, st, client, mail.NewMailbox(), logger)
	rec := newRecorder(st, logger)
	handler, err := newHandler(cfg, st, svc, rec, nil, nil, logger)
	if err != nil {
		client.Close()
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		client.Close()
		return "", nil, err
	}
	srv := httpserver.NewServer(handler)
	rec.Start(ctx)
	go srv.Serve(httpserver.Listener(ln))
	return ln.Addr().String(), func() {
		srv.Close()
		rec.Stop()
		client.Close()
	}, nil
}
