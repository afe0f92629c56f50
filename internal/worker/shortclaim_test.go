package worker

import (
	"testing"
	"time"

	"github.com/prikke/prikke"
)

func TestShortClaimCovers(t *testing.T) {
	a, b := prikke.NewID(), prikke.NewID()
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	sc := &shortClaim{excluded: map[prikke.ID]bool{a: true}, events: 3, at: t0}
	ttl := 250 * time.Millisecond
	for _, c := range []struct {
		name     string
		sc       *shortClaim
		excluded map[prikke.ID]bool
		events   uint64
		at       time.Time
		want     bool
	}{
		{"none made", nil, map[prikke.ID]bool{a: true}, 3, t0, false},
		{"same organizations left out", sc, map[prikke.ID]bool{a: true}, 3, t0.Add(100 * time.Millisecond), true},
		{"more left out", sc, map[prikke.ID]bool{a: true, b: true}, 3, t0, true},
		{"one has room again", sc, map[prikke.ID]bool{b: true}, 3, t0, false},
		{"none left out", sc, map[prikke.ID]bool{}, 3, t0, false},
		{"a work event since", sc, map[prikke.ID]bool{a: true}, 4, t0, false},
		{"aged", sc, map[prikke.ID]bool{a: true}, 3, t0.Add(ttl), false},
	} {
		if got := c.sc.covers(c.excluded, c.events, c.at, ttl); got != c.want {
			t.Errorf("%s: covers = %v, want %v", c.name, got, c.want)
		}
	}
	if sc.covers(map[prikke.ID]bool{a: true}, 3, t0, 0) {
		t.Error("with no lookahead a short claim must not stand in for the next")
	}
}
