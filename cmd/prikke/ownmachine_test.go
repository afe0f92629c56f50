package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/sink"
)

// TestServeDeliversToOwnMachine is the development loop of
// /docs/own-machine through the whole program: with
// PRIKKE_SSRF_ALLOW=loopback, a job for http://localhost:P is accepted
// when saved and delivered when triggered; the port rules still hold; and
// production refuses the setting.
func TestServeDeliversToOwnMachine(t *testing.T) {
	t.Parallel()
	d := startDevServer(t, "dev@example.com")
	sk, call := d.sink, d.call
	port := strconv.Itoa(int(sk.Addr().Port()))
	status, body := call("POST", "/api/v1/jobs", map[string]any{"url": "http://localhost:" + port + "/hook", "method": "GET", "interval": "hourly"})
	if status != 201 {
		t.Fatalf("create = %d %s", status, body)
	}
	var job struct{ ID string }
	if err := json.Unmarshal(body, &job); err != nil {
		t.Fatal(err)
	}
	if status, body := call("POST", "/api/v1/jobs/"+job.ID+"/trigger", nil); status >= 300 {
		t.Fatalf("trigger = %d %s", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sk.WaitCount(ctx, 1); err != nil {
		t.Fatalf("nothing reached the sink on localhost:%s: %v", port, err)
	}
	if r := sk.Requests()[0]; r.Path != "/hook" || r.Method != "GET" || r.JobID != job.ID {
		t.Errorf("the sink got %+v", r)
	}

	status, body = call("POST", "/api/v1/jobs", map[string]any{"url": "http://localhost:6379/", "interval": "hourly"})
	if status != 422 || !strings.Contains(string(body), "destination port not allowed: 6379") || !strings.Contains(string(body), `"location":"body.url"`) {
		t.Errorf("a job for localhost:6379 = %d %s", status, body)
	}

	env := map[string]string{"PRIKKE_ENV": "production", "PRIKKE_SSRF_ALLOW": "loopback", "PRIKKE_BASE_URL": "https://prikke.example",
		"PRIKKE_SECRET_KEY": strings.Repeat("s", 32), "PRIKKE_SMTP_HOST": "smtp.example.com"}
	if _, _, err := runCmd(t, env, "serve"); err == nil ||
		!strings.Contains(err.Error(), "PRIKKE_SSRF_ALLOW: is for development and tests only and is refused when PRIKKE_ENV=production; unset it") {
		t.Errorf("production with loopback allowed: %v", err)
	}
}

// devServer is `prikke serve` opened to this machine for development
// (PRIKKE_SSRF_ALLOW=loopback), with a Pro user and an API key, beside a
// loopback sink.
type devServer struct {
	t         *testing.T
	base, key string
	sink      *sink.Sink
}

func startDevServer(t *testing.T, email string) *devServer {
	t.Helper()
	sk, err := sink.Start(sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sk.Close)
	env := testEnv(t)
	env["PRIKKE_SSRF_ALLOW"] = "loopback"
	if _, err := runIn(t, env, "a long and unusual passphrase\n", "user", "create", "--email", email, "--password-stdin", "--tier", "pro"); err != nil {
		t.Fatal(err)
	}
	key, err := runIn(t, env, "", "apikey", "create", "--email", email)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := startServer(t, env)
	return &devServer{t: t, base: base, key: strings.TrimSpace(key), sink: sk}
}

// call sends an API request with the key and returns the status and body.
func (d *devServer) call(method, path string, body any) (int, []byte) {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+d.key)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
