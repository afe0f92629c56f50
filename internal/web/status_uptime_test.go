package web

import (
	"context"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestStatusMaintenanceBar: /status draws a day with planned maintenance
// apart and says it is not counted; the uptime is that of the measured
// time.
func TestStatusMaintenanceBar(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		clock := &testClock{}
		d := newDashWith(t, st, clock.deps())
		ctx := context.Background()
		today := clock.Now().UTC().Format("2006-01-02")
		for _, c := range prikke.Components {
			if err := st.StatusSampleAdd(ctx, &prikke.StatusSample{Day: today, Component: c, Checks: 10,
				OperationalSeconds: 3600, MaintenanceSeconds: 290}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.HeartbeatPut(ctx, "scheduler", "web-test"); err != nil {
			t.Fatal(err)
		}
		r := d.anon().get("/status")
		want := today + ": 100% up, 5 min of planned maintenance (not counted)"
		if r.Status != 200 || strings.Count(r.Body, want) != 4 || !strings.Contains(r.Body, "fill-sky-500") {
			t.Errorf("/status lacks %q on each component:\n%s", want, r.Body)
		}
	})
}
