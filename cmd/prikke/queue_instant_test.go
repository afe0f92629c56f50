package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/sink"
)

// TestQueueDueAtIsScheduledFor: the due_at POST /api/v1/queue answers is,
// byte for byte, the Prikke-Scheduled-For header the request arrives
// with: one precision (milliseconds) for an instant asked for with
// nanoseconds, and for "now".
func TestQueueDueAtIsScheduledFor(t *testing.T) {
	t.Parallel()
	sk, err := sink.Start(sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	env := testEnv(t)
	env["PRIKKE_SSRF_ALLOW"] = "loopback"
	if _, err := runIn(t, env, "a long and unusual passphrase\n", "user", "create", "--email", "queue@example.com", "--password-stdin", "--tier", "pro"); err != nil {
		t.Fatal(err)
	}
	key, err := runIn(t, env, "", "apikey", "create", "--email", "queue@example.com")
	if err != nil {
		t.Fatal(err)
	}
	key = strings.TrimSpace(key)
	base, _ := startServer(t, env)

	// Due just after the next whole second, asked for to the nanosecond.
	notBefore := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(250*time.Millisecond + 123_456*time.Nanosecond).UTC().Format(time.RFC3339Nano)
	dueAt := map[string]string{}
	for name, body := range map[string]map[string]any{
		"later": {"url": sk.URL("/hook?c=later"), "not_before": notBefore},
		"now":   {"url": sk.URL("/hook?c=now")},
	} {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+"/api/v1/queue", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out struct {
			DueAt string `json:"due_at"`
		}
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal(raw, &out) != nil || out.DueAt == "" {
			t.Fatalf("enqueue %s = %d %s", name, resp.StatusCode, raw)
		}
		dueAt["c="+name] = out.DueAt
	}
	if want := notBefore[:len("2006-01-02T15:04:05.000")] + "Z"; dueAt["c=later"] != want {
		t.Errorf("due_at = %q for not_before %q; want %q, to the millisecond", dueAt["c=later"], notBefore, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sk.WaitCount(ctx, 2); err != nil {
		t.Fatalf("the sink got %d of 2: %v", sk.Count(), err)
	}
	for _, r := range sk.Requests() {
		if r.ScheduledFor != dueAt[r.Query] {
			t.Errorf("%s: Prikke-Scheduled-For %q, but due_at was %q", r.Query, r.ScheduledFor, dueAt[r.Query])
		}
	}
}
