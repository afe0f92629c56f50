package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/delivery"
)

// TestMain lets the test binary stand in for prikke when the bench spawns
// its receiver (os.Executable is the test binary here): called as
// `… bench-receiver ARGS`, it runs that command instead of the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "bench-receiver" {
		if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "prikke:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// signedPost sends a Standard Webhooks–signed POST to url.
func signedPost(t *testing.T, url, secret, id string, body []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now()
	sig, err := delivery.Sign(secret, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Webhook-Id", id)
	req.Header.Set("Webhook-Timestamp", fmt.Sprint(ts.Unix()))
	req.Header.Set("Webhook-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %s", url, resp.Status)
	}
}

// The control API, through the client bench uses: info, reset, count,
// wait, requests (what each carries) and cpu.
func TestBenchReceiverControl(t *testing.T) {
	ctx := context.Background()
	secret := delivery.NewSecret()
	rc, err := startReceiver("127.0.0.1:0", secret)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.sk.Close()
	rr, err := dialReceiver(ctx, rc.sk.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	if rr.secret != secret || rr.Addr() != rc.sk.Addr() || rr.URL("ok") != rc.sk.URL("/ok") {
		t.Fatalf("client: secret %q, addr %v, url %q; want the receiver's", rr.secret, rr.Addr(), rr.URL("ok"))
	}

	signedPost(t, rr.URL("/ok"), secret, "msg_before", []byte("{}"))
	if got := rr.Count(); got != 1 {
		t.Fatalf("count %d, want 1", got)
	}
	if err := rr.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rr.Count(); got != 0 {
		t.Fatalf("count %d after reset, want 0", got)
	}

	waited := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		waited <- rr.WaitCount(wctx, 3)
	}()
	signedPost(t, rr.URL("/ok"), secret, "msg_1", []byte(`{"a":1}`))
	signedPost(t, rr.URL("/ok"), delivery.NewSecret(), "msg_2", []byte(`{"a":2}`)) // another secret: not valid
	// A peer's unsigned GET, its path holding a byte JSON must escape.
	resp, err := http.Get(rr.URL("/ok%07?id=7"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-waited; err != nil {
		t.Fatalf("wait for 3: %v", err)
	}

	reqs := rr.Requests()
	if rr.err != nil {
		t.Fatal(rr.err)
	}
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3: %+v", len(reqs), reqs)
	}
	want := []struct {
		id, path, query string
		valid           bool
	}{{"msg_1", "/ok", "", true}, {"msg_2", "/ok", "", false}, {"", "/ok\a", "id=7", false}}
	for i, w := range want {
		r := reqs[i]
		if r.WebhookID != w.id || r.Path != w.path || r.Query != w.query || r.SignatureValid != w.valid {
			t.Errorf("request %d: id %q path %q query %q valid %v; want %+v", i, r.WebhookID, r.Path, r.Query, r.SignatureValid, w)
		}
		if i > 0 && r.At.Before(reqs[i-1].At) {
			t.Errorf("request %d arrived at %v, before request %d", i, r.At, i-1)
		}
	}
	cpu, n, err := rr.CPU(ctx)
	if err != nil || cpu <= 0 || n != 3 {
		t.Errorf("cpu %v, count %d, err %v; want a positive time and 3", cpu, n, err)
	}

	// Unknown control paths are refused and not recorded.
	resp, err = http.Post(rr.URL("/_receiver/nothing"), "text/plain", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || rr.Count() != 3 {
		t.Errorf("unknown control path: %s, count %d; want 404 and 3", resp.Status, rr.Count())
	}
}

// A spawned receiver prints its URL, answers, and ends when its parent
// closes its stdin.
func TestBenchReceiverSpawn(t *testing.T) {
	ctx := context.Background()
	secret := delivery.NewSecret()
	rr, err := spawnReceiver(ctx, secret, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	if rr.secret != secret {
		t.Errorf("spawned receiver verifies with %q, want %q", rr.secret, secret)
	}
	signedPost(t, rr.URL("/ok"), secret, "msg_x", []byte("{}"))
	if reqs := rr.Requests(); len(reqs) != 1 || !reqs[0].SignatureValid || reqs[0].WebhookID != "msg_x" {
		t.Errorf("requests %+v (err %v); want msg_x, valid", reqs, rr.err)
	}
	cmd := rr.cmd
	rr.Close()
	if cmd.ProcessState == nil || !cmd.ProcessState.Exited() {
		t.Errorf("receiver process state %v after Close; want exited", cmd.ProcessState)
	}
}

// bench --receiver spawn (the default) and a shared receiver by URL: every
// delivery arrives there, signed with the secret it verifies, and both
// CPU figures are reported.
func TestBenchReceiverModes(t *testing.T) {
	res := benchOutput(t, nil, "--mode", "burst", "--jobs", "50", "--receiver", "spawn")
	checkDelivered(t, res, 50)
	if res["receiver"] != "spawn" || !(num(res, "prikke_cpu_us_per_delivery") > 0) || !(num(res, "receiver_cpu_us_per_delivery") > 0) {
		t.Errorf("receiver %v, prikke cpu %v, receiver cpu %v; want spawn and two positive figures",
			res["receiver"], res["prikke_cpu_us_per_delivery"], res["receiver_cpu_us_per_delivery"])
	}
	// The engine's own peak, set-up left out, is part of the whole's.
	if run, peak := num(res, "run_peak_rss_mb"), num(res, "peak_rss_mb"); !(run > 0 && run <= peak) {
		t.Errorf("run_peak_rss_mb %v, peak_rss_mb %v; want 0 < run <= peak", run, peak)
	}

	rc, err := startReceiver("127.0.0.1:0", delivery.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.sk.Close()
	resp, err := http.Get(rc.sk.URL("/ok")) // left from an earlier run: bench resets it
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	res = benchOutput(t, nil, "--mode", "burst", "--jobs", "30", "--receiver", rc.sk.URL(""))
	checkDelivered(t, res, 30)
	if res["receiver"] != "url" || rc.sk.Count() != 30 {
		t.Errorf("receiver %v, %d requests at the shared receiver; want url, 30", res["receiver"], rc.sk.Count())
	}

	res = benchOutput(t, nil, "--mode", "burst", "--jobs", "20", "--receiver", "inproc")
	checkDelivered(t, res, 20)
	if _, ok := res["receiver_cpu_us_per_delivery"]; ok || res["receiver"] != "inproc" {
		t.Errorf("inproc: receiver %v, receiver cpu %v; want inproc and no receiver figure", res["receiver"], res["receiver_cpu_us_per_delivery"])
	}
	if _, _, err := runCmd(t, nil, "bench", "--receiver", "ftp://x"); err == nil {
		t.Error("--receiver ftp://x was accepted")
	}
}

// bench --mode floor: every request the bare client sends arrives once,
// signed so the receiver takes it as valid, with both CPU figures; a
// receiver shared by URL gets exactly that many; with the in-process sink
// there is no receiver figure.
func TestBenchFloor(t *testing.T) {
	res := benchOutput(t, nil, "--mode", "floor", "--jobs", "300", "--clients", "8")
	checkDelivered(t, res, 300)
	if res["refused"] != nil || res["clients"] != 8.0 || !(num(res, "per_second") > 0) ||
		!(num(res, "client_cpu_us_per_request") > 0) || !(num(res, "receiver_cpu_us_per_delivery") > 0) {
		t.Errorf("floor: refused %v, clients %v, per_second %v, client cpu %v, receiver cpu %v; want none, 8 and three positive figures",
			res["refused"], res["clients"], res["per_second"], res["client_cpu_us_per_request"], res["receiver_cpu_us_per_delivery"])
	}
	if p50, p99 := num(res, "lateness_p50_ms"), num(res, "lateness_p99_ms"); !(p50 > 0 && p99 >= p50) {
		t.Errorf("floor arrivals p50 %v, p99 %v; want 0 < p50 <= p99", p50, p99)
	}

	rc, err := startReceiver("127.0.0.1:0", delivery.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.sk.Close()
	res = benchOutput(t, nil, "--mode", "floor", "--jobs", "50", "--receiver", rc.sk.URL(""))
	checkDelivered(t, res, 50)
	if rc.sk.Count() != 50 {
		t.Errorf("%d requests at the shared receiver; want 50", rc.sk.Count())
	}
	res = benchOutput(t, nil, "--mode", "floor", "--jobs", "40", "--receiver", "inproc")
	checkDelivered(t, res, 40)
	if _, ok := res["receiver_cpu_us_per_delivery"]; ok || res["receiver"] != "inproc" || !(num(res, "client_cpu_us_per_request") > 0) {
		t.Errorf("inproc: receiver %v, receiver cpu %v, client cpu %v; want inproc, none, positive",
			res["receiver"], res["receiver_cpu_us_per_delivery"], res["client_cpu_us_per_request"])
	}
}

// num is a figure of a bench result, 0 when the result leaves it out
// (omitempty), so that a missing figure fails an assertion rather than
// panicking the test binary.
func num(res map[string]any, key string) float64 {
	v, _ := res[key].(float64)
	return v
}
