package sqlstore

import (
	"testing"
	"time"

	"github.com/prikke/prikke"
)

func TestFlowRoom(t *testing.T) {
	for _, c := range []struct {
		name           string
		k              prikke.FlowKey
		free, inFlight int
		lookahead      time.Duration
		want           int
	}{
		{"unlimited", prikke.FlowKey{}, 50, 0, time.Second, 50},
		{"parallelism", prikke.FlowKey{Parallelism: 5}, 50, 3, 0, 2},
		{"parallelism full", prikke.FlowKey{Parallelism: 5}, 50, 7, 0, 0},
		{"rate, no lookahead", prikke.FlowKey{Rate: 10, Period: time.Second, Burst: 1}, 50, 0, 0, 2},
		{"rate and burst over the lookahead", prikke.FlowKey{Rate: 10, Period: time.Second, Burst: 3}, 50, 0, time.Second, 14},
		{"claim room smallest", prikke.FlowKey{Rate: 10, Period: time.Second, Parallelism: 5}, 1, 0, time.Second, 1},
	} {
		if got := FlowRoom(&c.k, c.free, c.inFlight, c.lookahead); got != c.want {
			t.Errorf("%s: FlowRoom = %d; want %d", c.name, got, c.want)
		}
	}
}
