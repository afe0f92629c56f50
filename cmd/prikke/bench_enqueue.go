package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/store"
)

// enqueueBench is what --mode enqueue measures.
type enqueueBench struct {
	clients  int           // concurrent keep-alive clients
	duration time.Duration // how long they enqueue
	batch    int           // items per POST /api/v1/queue/batch; 0: POST /api/v1/queue
}

// benchEnqueue measures the enqueue API: clients POST requests, each with
// an idempotency key of its own, through the real handler (middleware,
// API key authentication, validation, the store) on a loopback port, for
// the duration, with a real API key of the bench's organization. Nothing
// is delivered (no engine runs): per_second is requests accepted (stored
// when answered) per second, ping_p50_ms/ping_p99_ms the latency of one
// HTTP call (of a whole batch with --batch), cpu_us_per_job the process's
// CPU per accepted request. At the end every accepted job is looked for
// in the store: lost is accepted but not stored; duplicates counts a job
// answered as created twice, listed twice, or stored without any client
// being told it was created (a client retrying would store it again).
func benchEnqueue(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, eb enqueueBench, target string, res *benchResult) error {
	full, keyID, hash := auth.NewAPIKey()
	if err := st.APIKeyCreate(ctx, &prikke.APIKey{ID: prikke.NewID(), OrganizationID: tn.org, Name: "bench", KeyID: keyID,
		SecretHash: hash, CreatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	addr, stop, err := startBenchServer(ctx, cfg, st, logger)
	if err != nil {
		return err
	}
	defer stop()

	url := "http://" + addr + "/api/v1/queue"
	if eb.batch > 0 {
		url += "/batch"
	}
	tr := &http.Transport{MaxIdleConns: eb.clients, MaxIdleConnsPerHost: eb.clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	// The request each item carries: a small JSON webhook, 10 minutes
	// ahead so that a running engine would not race the count.
	item := fmt.Sprintf(`{"url":%q,"body":"{\"order\":42,\"status\":\"paid\"}","content_type":"application/json","delay":600}`, target)
	var seq atomic.Uint64
	post := func() (ids []string, status int, err error) {
		var body []byte
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			return nil, 0, err
		}
		if eb.batch == 0 {
			body = []byte(item)
			req.Header.Set("Idempotency-Key", "k"+strconv.FormatUint(seq.Add(1), 10))
		} else {
			var b bytes.Buffer
			b.WriteByte('[')
			for i := range eb.batch {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(item[:len(item)-1])
				b.WriteString(`,"idempotency_key":"k`)
				b.WriteString(strconv.FormatUint(seq.Add(1), 10))
				b.WriteString(`"}`)
			}
			b.WriteByte(']')
			body = b.Bytes()
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Authorization", "Bearer "+full)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, resp.StatusCode, err
		}
		if eb.batch == 0 {
			if resp.StatusCode != http.StatusAccepted {
				return nil, resp.StatusCode, nil
			}
			var out struct {
				JobID string `json:"job_id"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				return nil, resp.StatusCode, err
			}
			return []string{out.JobID}, resp.StatusCode, nil
		}
		if resp.StatusCode != http.StatusOK {
			return nil, resp.StatusCode, fmt.Errorf("batch answered %d: %.300s", resp.StatusCode, b)
		}
		var out struct {
			Results []struct {
				Status int    `json:"status"`
				JobID  string `json:"job_id"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, resp.StatusCode, err
		}
		for _, r := range out.Results {
			if r.Status == http.StatusAccepted {
				ids = append(ids, r.JobID)
			}
		}
		return ids, resp.StatusCode, nil
	}

	// One call per client first, side by side, not counted: the figures
	// are of the steady state (a connection open per client, caches warm).
	var (
		warm    []string
		warmErr error
		warmMu  sync.Mutex
		warming sync.WaitGroup
	)
	for range eb.clients {
		warming.Go(func() {
			ids, status, err := post()
			warmMu.Lock()
			defer warmMu.Unlock()
			if (err != nil || len(ids) == 0) && warmErr == nil {
				warmErr = fmt.Errorf("warm-up enqueue answered %d: %v", status, err)
			}
			warm = append(warm, ids...)
		})
	}
	warming.Wait()
	if warmErr != nil {
		return warmErr
	}
	var (
		mu       sync.Mutex
		lat      []float64
		accepted []string
		refused  int
		firstErr error
		wg       sync.WaitGroup
		start    = time.Now()
		cpu0     = cpuTime()
		deadline = start.Add(eb.duration)
	)
	for range eb.clients {
		wg.Go(func() {
			var mine []float64
			var got []string
			bad := 0
			var ferr error
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				ids, _, err := post()
				want := max(eb.batch, 1)
				if err != nil || len(ids) != want {
					bad += want - len(ids)
					if ferr == nil && err != nil {
						ferr = err
					}
				}
				got = append(got, ids...)
				mine = append(mine, float64(time.Since(t0).Microseconds())/1000)
			}
			mu.Lock()
			lat = append(lat, mine...)
			accepted = append(accepted, got...)
			refused += bad
			if firstErr == nil {
				firstErr = ferr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	if firstErr != nil {
		logger.Warn("enqueue bench: some calls failed", "error", firstErr)
	}
	slices.Sort(lat)
	res.Clients = eb.clients
	res.Batch = eb.batch
	res.Accepted, res.Refused = len(accepted), refused
	res.PerSecond = math.Round(float64(len(accepted))/elapsed.Seconds()*10) / 10
	res.PingP50, res.PingP99 = percentile(lat, 50), percentile(lat, 99)
	if len(accepted) > 0 {
		res.CPUPerJob = math.Round(float64(cpu.Microseconds())/float64(len(accepted))*10) / 10
	}

	// Accepted means stored: every job answered is in the store once, and
	// the store holds nothing else (less the warm-up).
	want := map[prikke.ID]int{}
	for _, id := range append(accepted, warm...) {
		pid, err := prikke.ParseID(id)
		if err != nil {
			return fmt.Errorf("enqueue answered job id %q: %w", id, err)
		}
		want[pid]++
	}
	stored, dups := 0, 0
	seen := map[prikke.ID]bool{}
	f := store.JobFilter{ProjectID: &tn.project, Kinds: []prikke.JobKind{prikke.JobKindQueue}, Limit: 1000}
	for {
		js, err := st.JobList(ctx, f)
		if err != nil {
			return err
		}
		for _, j := range js {
			if seen[j.ID] {
				dups++
			}
			seen[j.ID] = true
			if want[j.ID] > 0 {
				stored++
			}
		}
		if len(js) < f.Limit {
			break
		}
		f.AfterCreatedAt, f.AfterID = js[len(js)-1].CreatedAt, js[len(js)-1].ID
	}
	for _, n := range want {
		dups += n - 1
	}
	res.Stored = stored - len(warm)
	res.Lost = len(want) - stored
	res.Duplicates = dups + len(seen) - stored
	return nil
}
