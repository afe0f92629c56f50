package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReadyzWhileDraining: once serve is told to stop (SIGTERM ends
// run's context), /readyz answers 503 while a delivery is still in
// flight and the listener still answers, so a load balancer moves
// traffic away before the port closes; `prikke healthcheck` says so.
func TestReadyzWhileDraining(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)

	env := testEnv(t)
	env["PRIKKE_SSRF_ALLOW"] = "loopback"
	if _, err := runIn(t, env, "a long and unusual passphrase\n", "user", "create", "--email", "drain@example.com", "--password-stdin", "--tier", "pro"); err != nil {
		t.Fatal(err)
	}
	key, err := runIn(t, env, "", "apikey", "create", "--email", "drain@example.com")
	if err != nil {
		t.Fatal(err)
	}
	base, stop := startServer(t, env)
	addr := strings.TrimPrefix(base, "http://")
	if out, err := runIn(t, env, "", "healthcheck", "--addr", addr); err != nil || out != "ready\n" {
		t.Fatalf("healthcheck of a ready server = %q, %v", out, err)
	}

	b, _ := json.Marshal(map[string]any{"url": slow.URL + "/hook"})
	req, _ := http.NewRequest("POST", base+"/api/v1/queue", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(key))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("enqueue = %d %s", resp.StatusCode, body)
	}
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatal("the delivery never arrived")
	}

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Poll: the drain starts when the context ends; the delivery is held,
	// so the listener must still be answering when /readyz turns.
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatalf("/readyz stopped answering while a delivery was in flight: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			if !strings.Contains(string(body), "draining: this node is shutting down") {
				t.Errorf("draining /readyz = %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after SIGTERM", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("serve stopped (%v) before the delivery in flight finished", err)
	default:
	}
	// Liveness holds while draining; readiness does not.
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz while draining: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	_, err = runIn(t, env, "", "healthcheck", "--addr", addr)
	var ue usageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "draining: this node is shutting down") {
		t.Errorf("healthcheck while draining = %v, want exit 1 naming the drain", err)
	}

	unblock()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop after the delivery finished")
	}
	if _, err := http.Get(base + "/readyz"); err == nil {
		t.Error("the listener still answers after serve returned")
	}
}

// TestHealthcheckNothingListening: exit 1 (an error, not a usage error)
// with one line naming the address.
func TestHealthcheckNothingListening(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	start := time.Now()
	// The PRIKKE_ADDR a server would listen on, wildcard and all.
	env := map[string]string{"PRIKKE_ADDR": net.JoinHostPort("0.0.0.0", strconv.Itoa(port))}
	_, err = runIn(t, env, "", "healthcheck")
	var ue usageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "not ready: http://127.0.0.1:"+strconv.Itoa(port)+"/readyz does not answer") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("healthcheck with nothing listening = %v", err)
	}
	if el := time.Since(start); el > 30*time.Second { // its own timeout is 3 s; a generous cap
		t.Errorf("healthcheck took %v", el)
	}
	if _, err := runIn(t, nil, "", "healthcheck", "extra"); !errors.As(err, &ue) {
		t.Errorf("healthcheck extra = %v, want a usage error", err)
	}
}

func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:4000":   "127.0.0.1:4000",
		"[::]:4000":      "[::1]:4000",
		":4000":          "127.0.0.1:4000",
		"127.0.0.1:4000": "127.0.0.1:4000",
		"10.0.0.5:4000":  "10.0.0.5:4000",
	} {
		if got, err := dialAddr(in); err != nil || got != want {
			t.Errorf("dialAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := dialAddr("nonsense"); err == nil {
		t.Error("dialAddr(nonsense) = nil error")
	}
}
