package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
)

// benchFloor measures the machine's floor under every other mode: the
// bench job's request (POST /ok, its body, a Standard Webhooks signature)
// sent n times by a bare net/http client over `clients` keep-alive
// connections to the same receiver, with no database, no scheduler and
// no recording. Every request is built and signed before the clock starts,
// so the client's CPU per request is the least any sender could spend on
// net/http. A scheduler that records each attempt in a database on this
// machine cannot deliver faster than this; a receiver process's CPU per
// request is what it costs whoever sends (with the in-process sink, the
// client's figure includes the sink's). lateness_* is each request's
// arrival after the start, as if all n were due then.
func benchFloor(ctx context.Context, sk benchSink, secret string, n, clients int, res *benchResult) error {
	type signed struct{ id, ts, sig string }
	body := []byte(`{"bench":true}`)
	sends := make([]signed, n)
	now := time.Now()
	for i := range sends {
		id := prikke.WebhookID(prikke.NewID(), now)
		sig, err := delivery.Sign(secret, id, now, body)
		if err != nil {
			return err
		}
		sends[i] = signed{id, strconv.FormatInt(now.Unix(), 10), sig}
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true,
		MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	target := sk.URL("/ok")

	rr, _ := sk.(*remoteReceiver)
	var recv0, recv1 time.Duration
	var err error
	if rr != nil {
		if recv0, _, err = rr.CPU(ctx); err != nil {
			return fmt.Errorf("bench: the receiver's CPU: %w", err)
		}
	}
	cpu0, start := cpuTime(), time.Now()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				r := sends[i]
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				req.Header = http.Header{"Content-Type": {"application/json"}, "Webhook-Id": {r.id},
					"Webhook-Timestamp": {r.ts}, "Webhook-Signature": {r.sig}}
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	if rr != nil {
		if recv1, _, err = rr.CPU(ctx); err != nil {
			return fmt.Errorf("bench: the receiver's CPU: %w", err)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// The receiver verified each one; lateness is each arrival after the
	// start, as burst's is after the due instant.
	reqs := sk.Requests()
	if rr != nil && rr.err != nil {
		return fmt.Errorf("bench: the receiver's requests: %w", rr.err)
	}
	res.countArrivals(reqs, start)
	res.Lost = n - res.Delivered
	res.Refused = int(failed.Load())
	res.Clients = clients
	res.PerSecond = math.Round(float64(res.Delivered)/elapsed.Seconds()*10) / 10
	res.SecondsToLast = math.Round(elapsed.Seconds()*1000) / 1000
	res.ClientCPU = math.Round(float64(cpu.Microseconds())/float64(n)*10) / 10
	if rr != nil {
		res.ReceiverCPU = math.Round(float64((recv1-recv0).Microseconds())/float64(n)*10) / 10
	}
	return nil
}
