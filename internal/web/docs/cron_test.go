package docs

import (
	"testing"
	"time"
)

func TestDSTExamples(t *testing.T) {
	// The claims the cron docs make in prose, checked against the engine.
	want := map[string][]string{
		"Daily at 02:30, spring forward": {"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"},
		"Daily at 02:30, fall back":      {"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
		"Hourly at :30, spring forward":  {"2026-03-28T23:30:00Z", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"},
		"Hourly at :30, fall back":       {"2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z"},
	}
	for _, ex := range dstExamples() {
		w, ok := want[ex.Title]
		if !ok {
			t.Errorf("unchecked example %q", ex.Title)
			continue
		}
		for i, s := range w {
			if i >= len(ex.Fires) || ex.Fires[i].UTC.Format(time.RFC3339) != s {
				t.Errorf("%s: fire %d = %v, want %s", ex.Title, i, ex.Fires, s)
				break
			}
		}
	}
	ex := dstExamples()
	if !ex[0].Fires[0].DSTShifted {
		t.Error("the spring-forward daily run is not marked as shifted")
	}
	if !ex[3].Fires[2].DSTRepeated {
		t.Error("the second 02:30 is not marked as repeated")
	}
}
