package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestWatchQueue(t *testing.T) {
	m := metrics.New()
	due, running, fail := 7, 3, false
	m.WatchQueue(func(ctx context.Context) (int, int, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the queue is read without a deadline")
		}
		if fail {
			return 0, 0, errors.New("database down")
		}
		return due, running, nil
	})
	body := scrape(t, m)
	for _, line := range []string{"prikke_queue_depth 7", "prikke_executions_running 3"} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}
	due, running = 0, 12
	if body := scrape(t, m); !strings.Contains(body, "prikke_queue_depth 0\n") || !strings.Contains(body, "prikke_executions_running 12\n") {
		t.Errorf("the gauges did not follow the queue:\n%s", body)
	}
	// A failed read is not a zero: the two gauges drop out of the scrape,
	// the rest is still served.
	fail = true
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if body := rec.Body.String(); rec.Code != 200 || strings.Contains(body, "prikke_queue_depth") ||
		strings.Contains(body, "prikke_executions_running") || !strings.Contains(body, "prikke_in_flight") {
		t.Errorf("scrape with the database down = %d\n%s", rec.Code, body)
	}
}

// Throttled starts count per project, with their throttled time in
// seconds; an execution that was not held back counts nowhere, and no
// series carries a flow key.
func TestThrottled(t *testing.T) {
	m := metrics.New()
	m.Throttled("p1", 1500)
	m.Throttled("p1", 250)
	m.Throttled("p2", 0)
	m.Throttled("p3", 40)
	m.FlowHolds.Inc()
	body := scrape(t, m)
	for _, line := range []string{
		`prikke_flow_throttled_total{project_id="p1"} 2`,
		`prikke_flow_throttled_seconds_total{project_id="p1"} 1.75`,
		`prikke_flow_throttled_total{project_id="p3"} 1`,
		`prikke_flow_throttled_seconds_total{project_id="p3"} 0.04`,
		"prikke_flow_holds_total 1",
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}
	if strings.Contains(body, `project_id="p2"`) {
		t.Error("an execution that was not held back was counted as throttled")
	}
}
