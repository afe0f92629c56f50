package sink_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/sink"
)

func TestMaxInWindow(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	for _, tc := range []struct {
		at   []time.Time
		want int
	}{
		{nil, 0},
		{at(0), 1},
		{at(0, 999), 2},
		{at(0, 1000), 1}, // the window is [t, t+1s)
		{at(0, 50, 100, 1049, 1050, 1100), 3},
		{at(0, 500, 600, 700, 1400, 1500), 4},
	} {
		if got, _ := sink.MaxInWindow(tc.at, time.Second); got != tc.want {
			t.Errorf("MaxInWindow(%v) = %d, want %d", tc.at, got, tc.want)
		}
	}
}

func TestPortCountsInFlightPerKey(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 3)
	p, err := sink.Listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan struct{}, 3)
	for _, k := range []string{"a", "a", "b"} {
		go func() {
			if resp, err := http.Get(p.URL("/x?k=" + k)); err == nil {
				resp.Body.Close()
			}
			done <- struct{}{}
		}()
	}
	for range 3 {
		<-arrived
	}
	close(release)
	for range 3 {
		<-done
	}
	if p.Peak("a") != 2 || p.Peak("b") != 1 || p.Peak("c") != 0 {
		t.Errorf("peaks a=%d b=%d c=%d; want 2, 1, 0", p.Peak("a"), p.Peak("b"), p.Peak("c"))
	}
}
