package prikke_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

var t0 = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

func dues(n int, at time.Time) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = at
	}
	return out
}

func TestSlotsSpacesStartsByTheInterval(t *testing.T) {
	k := &prikke.FlowKey{Rate: 20, Period: time.Second, Burst: 1}
	slots, tat := k.Slots(t0, t0.Add(500*time.Millisecond), dues(100, t0), 100)
	if len(slots) != 11 { // 0, 50, … 500 ms
		t.Fatalf("got %d slots, want 11: %v", len(slots), slots)
	}
	for i, s := range slots {
		if want := t0.Add(time.Duration(i) * 50 * time.Millisecond); !s.Equal(want) {
			t.Errorf("slot %d = %v, want %v", i, s, want)
		}
	}
	if want := t0.Add(550 * time.Millisecond); tat == nil || !tat.Equal(want) {
		t.Errorf("tat = %v, want %v", tat, want)
	}
	// The next claim continues from the stored TAT.
	k.TAT = tat
	more, _ := k.Slots(t0.Add(100*time.Millisecond), t0.Add(600*time.Millisecond), dues(5, t0), 5)
	if len(more) != 2 || !more[0].Equal(t0.Add(550*time.Millisecond)) {
		t.Errorf("continued slots = %v, want 550 ms and 600 ms", more)
	}
}

func TestSlotsBurstAllowsBackToBack(t *testing.T) {
	k := &prikke.FlowKey{Rate: 10, Period: time.Second, Burst: 3}
	slots, _ := k.Slots(t0, t0, dues(10, t0), 10)
	if len(slots) != 3 {
		t.Fatalf("a burst of 3 at one instant gave %d slots", len(slots))
	}
}

func TestSlotsRespectFreeDueHoldAndPause(t *testing.T) {
	k := &prikke.FlowKey{Parallelism: 5}
	if s, _ := k.Slots(t0, t0.Add(time.Second), dues(9, t0), 2); len(s) != 2 {
		t.Errorf("free 2 gave %d slots", len(s))
	}
	late := []time.Time{t0.Add(2 * time.Second)}
	if s, _ := k.Slots(t0, t0.Add(time.Second), late, 5); len(s) != 0 {
		t.Errorf("an execution due after the horizon got a slot: %v", s)
	}
	held := t0.Add(300 * time.Millisecond)
	k.HeldUntil = &held
	if s, _ := k.Slots(t0, t0.Add(time.Second), dues(1, t0), 5); len(s) != 1 || !s[0].Equal(held) {
		t.Errorf("held key slot = %v, want the end of the hold", s)
	}
	k.Paused = true
	if s, _ := k.Slots(t0, t0.Add(time.Second), dues(1, t0), 5); len(s) != 0 {
		t.Errorf("paused key got slots %v", s)
	}
}

// Whatever the claims' timing, no window of Period holds more than
// Rate + Burst - 1 slots.
func TestSlotsNeverOvershootAnyWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		k := &prikke.FlowKey{Rate: 1 + rng.IntN(30), Period: time.Duration(1+rng.IntN(5)) * time.Second, Burst: 1 + rng.IntN(4)}
		now := t0
		var all []time.Time
		for claim := 0; claim < 40; claim++ {
			now = now.Add(time.Duration(rng.IntN(400)) * time.Millisecond)
			s, tat := k.Slots(now, now.Add(500*time.Millisecond), dues(rng.IntN(8), now), 1+rng.IntN(8))
			k.TAT = tat
			all = append(all, s...)
		}
		limit := k.Rate + k.Burst - 1
		for i := range all {
			n := 0
			for j := i; j < len(all) && all[j].Sub(all[i]) < k.Period; j++ {
				n++
			}
			if n > limit {
				t.Fatalf("trial %d: %d starts in a window of %v (rate %d, burst %d)", trial, n, k.Period, k.Rate, k.Burst)
			}
		}
	}
}

func TestDefaultFlowKey(t *testing.T) {
	for in, want := range map[string]string{
		"https://API.example.com/hook": "api.example.com:443",
		"http://example.com/x":         "example.com:80",
		"https://example.com:8443/":    "example.com:8443",
		"http://[::1]:9000/":           "[::1]:9000",
		"not a url":                    "",
	} {
		if got := prikke.DefaultFlowKey(in); got != want {
			t.Errorf("DefaultFlowKey(%q) = %q, want %q", in, got, want)
		}
	}
	j := &prikke.Job{URL: "https://example.com/", FlowKey: "billing"}
	if j.Flow() != "billing" {
		t.Errorf("a named key was not used: %q", j.Flow())
	}
}

func TestRetune(t *testing.T) {
	far := t0.Add(time.Hour)
	k := &prikke.FlowKey{Rate: 10, Period: time.Second, Burst: 1, TAT: &far}
	k.Retune(t0)
	if k.TAT == nil || !k.TAT.Equal(t0.Add(100*time.Millisecond)) {
		t.Errorf("sped up: TAT = %v, want now + 100ms", k.TAT)
	}
	near := t0.Add(time.Millisecond)
	k = &prikke.FlowKey{Rate: 1, Period: time.Hour, TAT: &near}
	k.Retune(t0)
	if !k.TAT.Equal(near) {
		t.Errorf("slowed down: TAT = %v, want it kept", k.TAT)
	}
	k = &prikke.FlowKey{Parallelism: 3, TAT: &far}
	k.Retune(t0)
	if k.TAT != nil {
		t.Errorf("without a rate the TAT stays: %v", k.TAT)
	}
}

func TestValidFlowKey(t *testing.T) {
	for _, ok := range []string{"api.example.com:443", "billing-api", "[::1]:9000", "ünïcode"} {
		if msg := prikke.ValidFlowKey(ok); msg != "" {
			t.Errorf("%q refused: %s", ok, msg)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a b", "a\tb", "\xff", "a\u202eb", strings.Repeat("k", 261)} {
		if prikke.ValidFlowKey(bad) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}
