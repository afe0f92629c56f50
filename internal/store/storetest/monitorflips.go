package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

func testMonitorFlipPrune(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorFlipPrune")
	s := open(t)
	ctx := context.Background()
	free := NewTenant(t, s, prikke.TierFree)
	pro := NewTenant(t, s, prikke.TierPro)
	now := T0.Add(60 * 24 * time.Hour)
	day := 24 * time.Hour
	// Each monitor: 3 unprocessed flips 20 days old, 120 processed ones
	// after them, then 10 processed ones 1 hour old.
	fill := func(m *prikke.Monitor) {
		var fs []*prikke.MonitorFlip
		flip := func(at time.Time, processed bool) {
			f := &prikke.MonitorFlip{ID: prikke.NewID(), Event: prikke.EventMonitorDown, From: prikke.MonitorUp,
				To: prikke.MonitorDown, CreatedAt: at}
			if processed {
				f.ProcessedAt = &at
			}
			fs = append(fs, f)
		}
		for i := range 123 {
			flip(now.Add(-20*day+time.Duration(i)*time.Second), i >= 3)
		}
		for i := range 10 {
			flip(now.Add(-time.Hour+time.Duration(i)*time.Second), true)
		}
		if _, err := s.MonitorModify(ctx, m.ID, func(*prikke.Monitor) ([]*prikke.MonitorFlip, error) { return fs, nil }); err != nil {
			t.Fatal(err)
		}
	}
	fm, pm := NewMonitor(t, s, free, nil), NewMonitor(t, s, pro, nil)
	fill(fm)
	fill(pm)
	count := func(m *prikke.Monitor) int {
		fs, err := s.MonitorFlipList(ctx, m.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(fs)
	}
	// Free keeps 7 days, but always the newest 100: of the 33 older ones
	// the 30 processed go, in limited steps; the 3 the notifier has not
	// processed stay. Pro keeps 30 days: nothing goes.
	if n, err := s.MonitorFlipPrune(ctx, now, 20); err != nil || n != 20 {
		t.Fatalf("MonitorFlipPrune limit 20 = %d, %v", n, err)
	}
	if n, err := s.MonitorFlipPrune(ctx, now, 1000); err != nil || n != 10 {
		t.Fatalf("MonitorFlipPrune = %d, %v; want the other 10", n, err)
	}
	if n, err := s.MonitorFlipPrune(ctx, now, 1000); err != nil || n != 0 {
		t.Fatalf("MonitorFlipPrune again = %d, %v", n, err)
	}
	if n := count(fm); n != 103 {
		t.Errorf("free monitor keeps %d flips, want 103", n)
	}
	if n := count(pm); n != 133 {
		t.Errorf("pro monitor keeps %d flips, want 133", n)
	}
	fs, _ := s.MonitorFlipList(ctx, fm.ID, 1000)
	for _, f := range fs[100:] {
		if f.ProcessedAt != nil {
			t.Errorf("an old processed flip at %v kept beyond the newest 100", f.CreatedAt)
		}
	}
	// Later, Pro's window passes too.
	if n, err := s.MonitorFlipPrune(ctx, now.Add(15*day), 1000); err != nil || n != 30 {
		t.Errorf("MonitorFlipPrune 15 days later = %d, %v; want Pro's 30", n, err)
	}
}
