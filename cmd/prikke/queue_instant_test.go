package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestQueueDueAtIsScheduledFor: the due_at POST /api/v1/queue answers is,
// byte for byte, the Prikke-Scheduled-For header the request arrives
// with: one precision (milliseconds) for an instant asked for with
// nanoseconds, and for "now".
func TestQueueDueAtIsScheduledFor(t *testing.T) {
	t.Parallel()
	d := startDevServer(t, "queue@example.com")
	sk := d.sink

	// Due just after the next whole second, asked for to the nanosecond.
	notBefore := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(250*time.Millisecond + 123_456*time.Nanosecond).UTC().Format(time.RFC3339Nano)
	dueAt := map[string]string{}
	for name, body := range map[string]map[string]any{
		"later": {"url": sk.URL("/hook?c=later"), "not_before": notBefore},
		"now":   {"url": sk.URL("/hook?c=now")},
	} {
		status, raw := d.call("POST", "/api/v1/queue", body)
		var out struct {
			DueAt string `json:"due_at"`
		}
		if status != http.StatusAccepted || json.Unmarshal(raw, &out) != nil || out.DueAt == "" {
			t.Fatalf("enqueue %s = %d %s", name, status, raw)
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
