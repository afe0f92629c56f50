package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testMonitors(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(t *testing.T, open Opener, cov *coverage){
		"CRUD":                  testMonitorCRUD,
		"List":                  testMonitorList,
		"Modify":                testMonitorModify,
		"PingsRecord":           testPingsRecord,
		"PingsRecordConcurrent": testPingsRecordConcurrent,
		"PingList":              testPingList,
		"ExpireDue":             testMonitorExpireDue,
		"ExpireDueConcurrent":   testMonitorExpireDueConcurrent,
		"FlipClaimConcurrent":   testMonitorFlipClaimConcurrent,
		"FlipClaimLease":        testMonitorFlipClaimLease,
		"PingPrune":             testPingPrune,
		"MonitorFlipPrune":      testMonitorFlipPrune,
		"ChannelListForMonitor": testChannelListForMonitor,
		"ProjectGetByPingKey":   testProjectGetByPingKey,
		"StatusPageMonitors":    testStatusPageMonitors,
		"NotificationMonitor":   testNotificationMonitor,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

// NewMonitor creates a monitor in the tenant's project: every 10 minutes,
// 5 minutes' grace, new, with random tokens, unless edit changes it.
func NewMonitor(t testing.TB, s store.Store, tn *Tenant, edit func(m *prikke.Monitor)) *prikke.Monitor {
	t.Helper()
	n := seq.Add(1)
	m := &prikke.Monitor{
		ID: prikke.NewID(), ProjectID: tn.Project.ID, Name: fmt.Sprintf("monitor %d", n), Slug: fmt.Sprintf("monitor-%d", n),
		PingToken: prikke.NewID().String(), BadgeToken: randomToken(),
		Period: 10 * time.Minute, Grace: 5 * time.Minute, TimeZone: "UTC",
		AlertPolicy: prikke.AlertPolicy{FailThreshold: 1, RecoveryThreshold: 1},
		NotifyMode:  prikke.NotifyProject, MonitorState: prikke.MonitorState{Status: prikke.MonitorNew},
		CreatedAt: T0, UpdatedAt: T0,
	}
	if edit != nil {
		edit(m)
	}
	if err := s.MonitorCreate(context.Background(), m); err != nil {
		t.Fatalf("create monitor: %v", err)
	}
	return m
}

func randomToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewPing returns an unsaved ping of m at at.
func NewPing(m *prikke.Monitor, kind prikke.PingKind, at time.Time) *prikke.Ping {
	return &prikke.Ping{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Kind: kind, Method: "POST",
		SourceIP: "192.0.2.1", UserAgent: "curl/8", CreatedAt: at}
}

// read fills what reads add to a monitor, for comparisons.
func read(m *prikke.Monitor, tn *Tenant) *prikke.Monitor {
	c := *m
	c.OrganizationID, c.Tier, c.ProjectSnoozeUntil = tn.Org.ID, tn.Org.Tier, tn.Project.SnoozeUntil
	return &c
}

// stepPing is a small state machine for the store's tests (not
// internal/monitor's): a start opens a run, a success closes the newest
// (setting the ping's duration) and is up until Period+Grace later, a
// fail is down with a monitor.failed flip, a success after down flips
// monitor.up.
func stepPing(m *prikke.Monitor, p *prikke.Ping) []*prikke.MonitorFlip {
	at := p.CreatedAt
	if p.Kind == prikke.PingLog {
		return nil
	}
	m.LastPingAt, m.LastPingKind = &at, p.Kind
	flip := func(event prikke.NotificationEvent, to prikke.MonitorStatus) []*prikke.MonitorFlip {
		f := &prikke.MonitorFlip{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, PingID: &p.ID, Event: event,
			From: m.Status, To: to, Detail: string(p.Kind) + " ping", CreatedAt: at}
		m.Status = to
		return []*prikke.MonitorFlip{f}
	}
	switch p.Kind {
	case prikke.PingStart:
		m.OpenRuns = append(m.OpenRuns, prikke.MonitorRun{RID: p.RID, StartedAt: at})
		if m.Status != prikke.MonitorDown {
			m.Status = prikke.MonitorRunning
		}
	case prikke.PingSuccess:
		if n := len(m.OpenRuns); n > 0 {
			d := at.Sub(m.OpenRuns[n-1].StartedAt)
			p.Duration, m.LastDuration = &d, &d
			m.OpenRuns = m.OpenRuns[:n-1]
		}
		m.ConsecutiveSuccesses++
		m.ConsecutiveFailures = 0
		due := at.Add(m.Period)
		deadline := due.Add(m.Grace)
		m.DueAt, m.DeadlineAt = &due, &deadline
		if m.Status == prikke.MonitorDown {
			return flip(prikke.EventMonitorUp, prikke.MonitorUp)
		}
		m.Status = prikke.MonitorUp
	case prikke.PingFail:
		m.ConsecutiveFailures++
		m.ConsecutiveSuccesses = 0
		if m.Status != prikke.MonitorDown {
			m.AlertedAt = &at
			return flip(prikke.EventMonitorFailed, prikke.MonitorDown)
		}
	}
	return nil
}

// stepDeadline marks the monitor down with a monitor.down flip and clears
// its deadline.
func stepDeadline(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
	f := &prikke.MonitorFlip{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Event: prikke.EventMonitorDown,
		From: m.Status, To: prikke.MonitorDown, Detail: "missed", PrikkeDown: true, CreatedAt: now}
	m.Status, m.DeadlineAt, m.DueAt, m.AlertedAt = prikke.MonitorDown, nil, nil, &now
	return []*prikke.MonitorFlip{f}
}

func testMonitorCRUD(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorCreate", "MonitorGet", "MonitorGetByPingToken", "MonitorGetByBadgeToken", "MonitorGetBySlug",
		"MonitorDelete", "MonitorCountByOrganization")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierFree)
	snooze := T0.Add(2 * time.Hour)
	a.Project.SnoozeUntil = &snooze
	a.Project.UpdatedAt = T0.Add(time.Second)
	if err := s.ProjectUpdate(ctx, a.Project); err != nil {
		t.Fatal(err)
	}
	ch := createTestChannel(t, s, newTestChannel(a, "hook", 0))

	due, deadline, pinged, alerted := T0.Add(10*time.Minute), T0.Add(15*time.Minute), T0.Add(-time.Minute), T0.Add(-time.Hour)
	last := 1500 * time.Millisecond
	full := NewMonitor(t, s, a, func(m *prikke.Monitor) {
		m.Description = "nightly backup"
		m.Period, m.Cron, m.TimeZone = 0, "0 3 * * *", "Europe/Amsterdam"
		m.Grace, m.MaxRuntime, m.MinRuntime = time.Hour, 2*time.Hour, 30*time.Second
		m.AlertPolicy = prikke.AlertPolicy{FailThreshold: 3, RecoveryThreshold: 2, RealertEvery: 6 * time.Hour, SnoozeUntil: &snooze,
			Window: prikke.Window{Cron: "0 2 * * 0", TimeZone: "Europe/Amsterdam", Duration: 2 * time.Hour, SkipRuns: true}}
		m.ManualResume = true
		m.NotifyMode, m.ChannelIDs = prikke.NotifyCustom, []prikke.ID{ch.ID}
		m.MonitorState = prikke.MonitorState{Status: prikke.MonitorDown, ConsecutiveFailures: 3, ConsecutiveSuccesses: 0,
			LastPingAt: &pinged, LastPingKind: prikke.PingFail, LastDuration: &last, DueAt: &due,
			OpenRuns:   []prikke.MonitorRun{{RID: "r1", StartedAt: T0.Add(-2 * time.Minute)}, {StartedAt: T0.Add(-time.Minute)}},
			DeadlineAt: &deadline, AlertedAt: &alerted, MutedDown: true, Version: 4}
	})
	plain := NewMonitor(t, s, a, nil)
	theirs := NewMonitor(t, s, b, func(m *prikke.Monitor) { m.Slug = full.Slug })

	for name, get := range map[string]func() (*prikke.Monitor, error){
		"MonitorGet":             func() (*prikke.Monitor, error) { return s.MonitorGet(ctx, full.ID) },
		"MonitorGetByPingToken":  func() (*prikke.Monitor, error) { return s.MonitorGetByPingToken(ctx, full.PingToken) },
		"MonitorGetByBadgeToken": func() (*prikke.Monitor, error) { return s.MonitorGetByBadgeToken(ctx, full.BadgeToken) },
		"MonitorGetBySlug":       func() (*prikke.Monitor, error) { return s.MonitorGetBySlug(ctx, a.Project.ID, full.Slug) },
	} {
		got, err := get()
		if err != nil || !matches(got, read(full, a)) {
			t.Errorf("%s = %+v, %v;\nwant %+v", name, got, err, read(full, a))
		}
	}
	if got, err := s.MonitorGet(ctx, plain.ID); err != nil || !matches(got, read(plain, a)) {
		t.Errorf("MonitorGet(plain) = %+v, %v;\nwant %+v", got, err, read(plain, a))
	}
	if got, err := s.MonitorGetBySlug(ctx, b.Project.ID, full.Slug); err != nil || got.ID != theirs.ID || got.Tier != prikke.TierFree ||
		got.OrganizationID != b.Org.ID || got.ProjectSnoozeUntil != nil {
		t.Errorf("the same slug in another project = %+v, %v", got, err)
	}
	for name, get := range map[string]func() (*prikke.Monitor, error){
		"MonitorGet":             func() (*prikke.Monitor, error) { return s.MonitorGet(ctx, prikke.NewID()) },
		"MonitorGetByPingToken":  func() (*prikke.Monitor, error) { return s.MonitorGetByPingToken(ctx, prikke.NewID().String()) },
		"MonitorGetByBadgeToken": func() (*prikke.Monitor, error) { return s.MonitorGetByBadgeToken(ctx, "nope") },
		"MonitorGetBySlug":       func() (*prikke.Monitor, error) { return s.MonitorGetBySlug(ctx, b.Project.ID, plain.Slug) },
	} {
		_, err := get()
		if prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("%s of nothing = %v, want ENOTFOUND", name, err)
		}
	}

	dup := func(edit func(m *prikke.Monitor)) *prikke.Monitor {
		m := &prikke.Monitor{ID: prikke.NewID(), ProjectID: a.Project.ID, Name: "dup", Slug: "dup-" + randomToken()[:8],
			PingToken: prikke.NewID().String(), BadgeToken: randomToken(), Period: time.Hour, Grace: time.Minute, CreatedAt: T0, UpdatedAt: T0}
		edit(m)
		return m
	}
	Errcode(t, s.MonitorCreate(ctx, dup(func(m *prikke.Monitor) { m.Slug = full.Slug })), prikke.ECONFLICT)
	Errcode(t, s.MonitorCreate(ctx, dup(func(m *prikke.Monitor) { m.PingToken = full.PingToken })), prikke.ECONFLICT)
	Errcode(t, s.MonitorCreate(ctx, dup(func(m *prikke.Monitor) { m.BadgeToken = theirs.BadgeToken })), prikke.ECONFLICT)
	Errcode(t, s.MonitorCreate(ctx, dup(func(m *prikke.Monitor) { m.ProjectID = prikke.NewID() })), prikke.ENOTFOUND)
	// Defaults: a zero status is new, a zero notify mode the project's.
	zero := dup(func(m *prikke.Monitor) {})
	if err := s.MonitorCreate(ctx, zero); err != nil {
		t.Fatal(err)
	}
	if got, err := s.MonitorGet(ctx, zero.ID); err != nil || got.Status != prikke.MonitorNew || got.NotifyMode != prikke.NotifyProject {
		t.Errorf("defaults = %+v, %v", got, err)
	}

	if n, err := s.MonitorCountByOrganization(ctx, a.Org.ID); err != nil || n != 3 {
		t.Errorf("MonitorCountByOrganization(a) = %d, %v; want 3", n, err)
	}
	if n, err := s.MonitorCountByOrganization(ctx, b.Org.ID); err != nil || n != 1 {
		t.Errorf("MonitorCountByOrganization(b) = %d, %v; want 1", n, err)
	}

	if err := s.MonitorDelete(ctx, full.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.MonitorGet(ctx, full.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.MonitorDelete(ctx, full.ID), prikke.ENOTFOUND)
	// The slug is free again.
	if err := s.MonitorCreate(ctx, dup(func(m *prikke.Monitor) { m.Slug = full.Slug })); err != nil {
		t.Errorf("a deleted monitor's slug: %v", err)
	}
	// Deleting the project deletes its monitors.
	if err := s.ProjectDelete(ctx, b.Project.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MonitorCountByOrganization(ctx, b.Org.ID); err != nil || n != 0 {
		t.Errorf("monitors after their project's deletion = %d, %v", n, err)
	}
}

func testMonitorList(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorList")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	second := &prikke.Project{ID: prikke.NewID(), OrganizationID: a.Org.ID, Name: "Second", SigningSecret: a.Project.SigningSecret,
		AlertAfter: 1, CreatedAt: T0, UpdatedAt: T0}
	if err := s.ProjectCreate(ctx, second); err != nil {
		t.Fatal(err)
	}
	var ms []*prikke.Monitor
	for i, name := range []string{"Backup", "backup-db", "Report", "Cleanup_tmp"} {
		ms = append(ms, NewMonitor(t, s, a, func(m *prikke.Monitor) {
			m.Name, m.CreatedAt = name, T0.Add(time.Duration(i)*time.Second)
			if i == 2 {
				m.Status = prikke.MonitorDown
			}
		}))
	}
	other := NewMonitor(t, s, &Tenant{Org: a.Org, Project: second}, func(m *prikke.Monitor) { m.CreatedAt = T0.Add(time.Minute) })
	NewMonitor(t, s, b, nil)

	ids := func(ms []*prikke.Monitor) []prikke.ID {
		out := []prikke.ID{}
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	check := func(name string, f store.MonitorFilter, want ...*prikke.Monitor) {
		t.Helper()
		got, err := s.MonitorList(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(ids(got), ids(want)) {
			t.Errorf("%s: MonitorList = %v, want %v", name, ids(got), ids(want))
		}
	}
	check("project", store.MonitorFilter{ProjectID: &a.Project.ID}, ms...)
	check("organization", store.MonitorFilter{OrganizationID: &a.Org.ID}, append(slices.Clone(ms), other)...)
	check("status", store.MonitorFilter{ProjectID: &a.Project.ID, Statuses: []prikke.MonitorStatus{prikke.MonitorDown}}, ms[2])
	check("search", store.MonitorFilter{ProjectID: &a.Project.ID, Search: "BACKUP"}, ms[0], ms[1])
	check("search wildcard", store.MonitorFilter{ProjectID: &a.Project.ID, Search: "p_t"}, ms[3])
	check("limit", store.MonitorFilter{ProjectID: &a.Project.ID, Limit: 2}, ms[0], ms[1])
	check("cursor", store.MonitorFilter{ProjectID: &a.Project.ID, AfterCreatedAt: ms[1].CreatedAt, AfterID: ms[1].ID}, ms[2], ms[3])
	if got, err := s.MonitorList(ctx, store.MonitorFilter{ProjectID: &a.Project.ID, Limit: 1}); err != nil || !matches(got[0], read(ms[0], a)) {
		t.Errorf("listed monitor = %+v, %v", got, err)
	}
	if _, err := s.MonitorList(ctx, store.MonitorFilter{}); err == nil {
		t.Error("MonitorList without an organization or project succeeded")
	}
}

func testMonitorModify(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorModify", "MonitorFlipList")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	ch := createTestChannel(t, s, newTestChannel(a, "hook", 0))
	m := NewMonitor(t, s, a, nil)
	taken := NewMonitor(t, s, a, nil)
	sub := s.Subscribe(store.TopicMonitors, store.TopicFlips)
	defer sub.Close()

	deadline := T0.Add(20 * time.Minute)
	var flipID prikke.ID
	got, err := s.MonitorModify(ctx, m.ID, func(x *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		if x.Version != 0 || x.OrganizationID != a.Org.ID {
			t.Errorf("fn got %+v", x)
		}
		x.Name, x.Slug, x.Period, x.Grace = "renamed", "renamed", time.Hour, 10*time.Minute
		x.NotifyMode, x.ChannelIDs = prikke.NotifyCustom, []prikke.ID{ch.ID}
		x.Status, x.DeadlineAt, x.UpdatedAt = prikke.MonitorPaused, &deadline, T0.Add(time.Minute)
		f := &prikke.MonitorFlip{ID: prikke.NewID(), Event: prikke.EventMonitorUp, From: prikke.MonitorNew, To: prikke.MonitorPaused,
			Detail: "edited", Muted: true, CreatedAt: T0.Add(time.Minute)}
		flipID = f.ID
		return []*prikke.MonitorFlip{f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Name != "renamed" {
		t.Errorf("MonitorModify = %+v", got)
	}
	stored, err := s.MonitorGet(ctx, m.ID)
	if err != nil || !matches(stored, got) {
		t.Errorf("after MonitorModify: %+v, %v;\nwant %+v", stored, err, got)
	}
	if stored.Slug != "renamed" || stored.Period != time.Hour || stored.Status != prikke.MonitorPaused || !stored.DeadlineAt.Equal(deadline) ||
		!slices.Equal(stored.ChannelIDs, []prikke.ID{ch.ID}) || stored.Version != 1 {
		t.Errorf("stored = %+v", stored)
	}
	flips, err := s.MonitorFlipList(ctx, m.ID, 10)
	if err != nil || len(flips) != 1 || flips[0].ID != flipID || flips[0].MonitorID != m.ID || flips[0].ProjectID != a.Project.ID ||
		!flips[0].Muted || flips[0].Detail != "edited" || flips[0].ProcessedAt != nil {
		t.Errorf("MonitorFlipList = %s, %v", formatList(flips), err)
	}
	// The creates' events may still arrive (PostgreSQL delivers them
	// asynchronously): wait for this monitor's, and a flip's.
	for flipped, modified := false, false; !flipped || !modified; {
		e := waitEvent(t, sub)
		flipped = flipped || e.Topic == store.TopicFlips
		modified = modified || e.Topic == store.TopicMonitors && e.Payload == m.ID.String()
	}

	// fn's error is returned as it is, and nothing is written.
	boom := errors.New("boom")
	_, err = s.MonitorModify(ctx, m.ID, func(x *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		x.Name, x.Status = "not written", prikke.MonitorDown
		return []*prikke.MonitorFlip{{ID: prikke.NewID(), Event: prikke.EventMonitorDown, CreatedAt: T0}}, boom
	})
	if err != boom {
		t.Errorf("fn's error came back as %v", err)
	}
	if again, err := s.MonitorGet(ctx, m.ID); err != nil || !matches(again, stored) {
		t.Errorf("after a failed fn: %+v, %v", again, err)
	}
	if flips, _ := s.MonitorFlipList(ctx, m.ID, 10); len(flips) != 1 {
		t.Errorf("a failed fn wrote flips: %s", formatList(flips))
	}

	_, err = s.MonitorModify(ctx, m.ID, func(x *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		x.Slug = taken.Slug
		return nil, nil
	})
	Errcode(t, err, prikke.ECONFLICT)
	_, err = s.MonitorModify(ctx, prikke.NewID(), func(x *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		t.Error("fn called for a missing monitor")
		return nil, nil
	})
	Errcode(t, err, prikke.ENOTFOUND)

	// Back to the project's channels: the custom list goes.
	got, err = s.MonitorModify(ctx, m.ID, func(x *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		x.NotifyMode, x.ChannelIDs = prikke.NotifyProject, nil
		return nil, nil
	})
	if err != nil || got.Version != 2 {
		t.Fatalf("MonitorModify = %+v, %v", got, err)
	}
	got, err = s.MonitorModify(ctx, m.ID, func(x *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		if len(x.ChannelIDs) != 0 {
			t.Errorf("channel list kept: %v", x.ChannelIDs)
		}
		x.NotifyMode = prikke.NotifyCustom
		return nil, nil
	})
	if err != nil || len(got.ChannelIDs) != 0 {
		t.Errorf("custom again = %+v, %v", got, err)
	}
}

func testPingsRecord(t *testing.T, open Opener, cov *coverage) {
	cov.covers("PingsRecord", "PingGet")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	m1 := NewMonitor(t, s, a, nil)
	m2 := NewMonitor(t, s, a, nil)
	gone := NewMonitor(t, s, a, nil)
	if err := s.MonitorDelete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	sub := s.Subscribe(store.TopicPings, store.TopicFlips, store.TopicMonitors)
	defer sub.Close()

	body := []byte{0xff, 0xfe, 'o', 'k', 0x00, '\n', 0xc3}
	start := NewPing(m1, prikke.PingStart, T0)
	start.RID = "run-1"
	end := NewPing(m1, prikke.PingSuccess, T0.Add(90*time.Second))
	end.RID, end.Body, end.BodySize, end.BodyTruncated = "run-1", body, 20_000, true
	exit := 3
	fail := NewPing(m1, prikke.PingFail, T0.Add(2*time.Minute))
	fail.ExitStatus = &exit
	lost := NewPing(gone, prikke.PingSuccess, T0.Add(2*time.Minute))
	other := NewPing(m2, prikke.PingSuccess, T0.Add(time.Minute))
	logged := NewPing(m1, prikke.PingLog, T0.Add(3*time.Minute))
	logged.Body = []byte("just saying")
	batch := []*prikke.Ping{start, other, end, lost, fail, logged}

	var order []prikke.ID
	dropped, err := s.PingsRecord(ctx, batch, func(m *prikke.Monitor, p *prikke.Ping) []*prikke.MonitorFlip {
		order = append(order, p.ID)
		if m.ID != p.MonitorID || m.OrganizationID != a.Org.ID || m.Tier != prikke.TierPro {
			t.Errorf("step got monitor %+v for ping %+v", m, p)
		}
		return stepPing(m, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dropped, []prikke.ID{lost.ID}) {
		t.Errorf("dropped = %v, want the ping of the deleted monitor %s", dropped, lost.ID)
	}
	if want := []prikke.ID{start.ID, other.ID, end.ID, fail.ID, logged.ID}; !slices.Equal(order, want) {
		t.Errorf("steps ran in order %v, want %v", order, want)
	}

	got1, err := s.MonitorGet(ctx, m1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got1.Status != prikke.MonitorDown || got1.LastPingKind != prikke.PingFail || got1.ConsecutiveFailures != 1 ||
		got1.LastDuration == nil || *got1.LastDuration != 90*time.Second || len(got1.OpenRuns) != 0 || got1.Version != 1 ||
		!got1.UpdatedAt.Equal(logged.CreatedAt) || got1.DeadlineAt == nil || !got1.DeadlineAt.Equal(end.CreatedAt.Add(15*time.Minute)) {
		t.Errorf("monitor after the batch = %+v", got1)
	}
	if got2, err := s.MonitorGet(ctx, m2.ID); err != nil || got2.Status != prikke.MonitorUp || got2.Version != 1 {
		t.Errorf("other monitor after the batch = %+v, %v", got2, err)
	}

	gotEnd, err := s.PingGet(ctx, m1.ID, end.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytesEqual(gotEnd.Body, body) || gotEnd.BodySize != 20_000 || !gotEnd.BodyTruncated || gotEnd.RID != "run-1" ||
		gotEnd.Duration == nil || *gotEnd.Duration != 90*time.Second || gotEnd.ProjectID != a.Project.ID {
		t.Errorf("PingGet = %+v", gotEnd)
	}
	end.Body = body
	if !matches(gotEnd, end) {
		t.Errorf("PingGet = %+v,\nwant %+v", gotEnd, end)
	}
	if got, err := s.PingGet(ctx, m1.ID, fail.ID); err != nil || got.ExitStatus == nil || *got.ExitStatus != 3 || got.Body != nil && len(got.Body) != 0 {
		t.Errorf("PingGet(fail) = %+v, %v", got, err)
	}
	_, err = s.PingGet(ctx, m2.ID, end.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.PingGet(ctx, gone.ID, lost.ID)
	Errcode(t, err, prikke.ENOTFOUND)

	flips, err := s.MonitorFlipList(ctx, m1.ID, 10)
	if err != nil || len(flips) != 1 || flips[0].Event != prikke.EventMonitorFailed || flips[0].PingID == nil || *flips[0].PingID != fail.ID ||
		flips[0].From != prikke.MonitorUp || flips[0].To != prikke.MonitorDown {
		t.Errorf("flips = %s, %v", formatList(flips), err)
	}

	// Events: the pings (one "<monitor> <ping>" line each, in order), the
	// flips, and the monitors whose deadline moved earlier (from none).
	var lines []string
	earlier := map[string]bool{}
	flipped := false
	for !flipped || len(lines) < 5 || !earlier[m1.ID.String()] || !earlier[m2.ID.String()] {
		e := waitEvent(t, sub)
		switch e.Topic {
		case store.TopicFlips:
			flipped = true
		case store.TopicPings:
			lines = append(lines, strings.Split(e.Payload, "\n")...)
		case store.TopicMonitors:
			for _, id := range strings.Split(e.Payload, "\n") {
				earlier[id] = true
			}
		}
	}
	var want []string
	for _, p := range []*prikke.Ping{start, other, end, fail, logged} {
		want = append(want, p.MonitorID.String()+" "+p.ID.String())
	}
	if !slices.Equal(lines, want) {
		t.Errorf("TopicPings lines %q, want %q", lines, want)
	}

	// A batch whose every monitor is gone writes nothing.
	if dropped, err := s.PingsRecord(ctx, []*prikke.Ping{NewPing(gone, prikke.PingStart, T0)}, stepPing); err != nil || len(dropped) != 1 {
		t.Errorf("a batch of a deleted monitor = %v, %v", dropped, err)
	}
	if dropped, err := s.PingsRecord(ctx, nil, stepPing); err != nil || len(dropped) != 0 {
		t.Errorf("an empty batch = %v, %v", dropped, err)
	}

	// A large batch over many monitors (more rows than one INSERT takes).
	var many []*prikke.Monitor
	for range 30 {
		many = append(many, NewMonitor(t, s, a, nil))
	}
	var big []*prikke.Ping
	for i := range 600 {
		big = append(big, NewPing(many[i%len(many)], prikke.PingSuccess, T0.Add(time.Duration(i)*time.Millisecond)))
	}
	if dropped, err := s.PingsRecord(ctx, big, stepPing); err != nil || len(dropped) != 0 {
		t.Fatalf("a batch of 600 = %v, %v", dropped, err)
	}
	for _, m := range many {
		got, err := s.MonitorGet(ctx, m.ID)
		if err != nil || got.ConsecutiveSuccesses != 20 || got.Version != 1 {
			t.Errorf("monitor after 20 pings in one batch = %+v, %v", got, err)
		}
	}
}

// testPingsRecordConcurrent: batches over the same monitors in different
// orders, and edits, racing: none deadlocks, none overwrites another's
// state (every ping is counted, every write bumps the version once).
func testPingsRecordConcurrent(t *testing.T, open Opener, cov *coverage) {
	cov.covers("PingsRecord", "MonitorModify")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	const monitors, writers, batches, batch = 12, 4, 6, 40
	ms := make([]*prikke.Monitor, monitors)
	for i := range ms {
		ms[i] = NewMonitor(t, s, a, nil)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				ps := make([]*prikke.Ping, batch)
				for i := range ps {
					// Writers walk the monitors in opposite directions.
					k := (w*7 + b*5 + i) % monitors
					if w%2 == 1 {
						k = monitors - 1 - k
					}
					ps[i] = NewPing(ms[k], prikke.PingSuccess, T0.Add(time.Duration(b*batch+i)*time.Millisecond))
				}
				if _, err := s.PingsRecord(ctx, ps, stepPing); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	const edits = 10
	wg.Go(func() {
		for i := range edits {
			if _, err := s.MonitorModify(ctx, ms[i%monitors].ID, func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
				m.Description += "."
				return nil, nil
			}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var pings, versions int
	for _, m := range ms {
		got, err := s.MonitorGet(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		pings += got.ConsecutiveSuccesses
		versions += int(got.Version)
		if want := int64(len(got.Description)); got.Version < want {
			t.Errorf("monitor %s: version %d after %d edits", m.ID, got.Version, want)
		}
	}
	if pings != writers*batches*batch {
		t.Errorf("monitors counted %d pings, want %d", pings, writers*batches*batch)
	}
	// Each batch touches every monitor once (40 pings over 12 monitors).
	if want := writers*batches*monitors + edits; versions != want {
		t.Errorf("versions add up to %d, want %d", versions, want)
	}
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

func testPingList(t *testing.T, open Opener, cov *coverage) {
	cov.covers("PingList")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	m := NewMonitor(t, s, a, nil)
	other := NewMonitor(t, s, a, nil)
	kinds := []prikke.PingKind{prikke.PingStart, prikke.PingSuccess, prikke.PingLog, prikke.PingFail}
	var pings []*prikke.Ping
	for i := range 8 {
		p := NewPing(m, kinds[i%4], T0.Add(time.Duration(i)*time.Second))
		p.Body = []byte("body")
		pings = append(pings, p)
	}
	pings = append(pings, NewPing(other, prikke.PingStart, T0))
	if _, err := s.PingsRecord(ctx, pings, stepPing); err != nil {
		t.Fatal(err)
	}
	ids := func(ps []*prikke.Ping) []prikke.ID {
		out := []prikke.ID{}
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	check := func(name string, f store.PingFilter, want ...*prikke.Ping) []*prikke.Ping {
		t.Helper()
		got, err := s.PingList(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(ids(got), ids(want)) {
			t.Errorf("%s: PingList = %v, want %v", name, ids(got), ids(want))
		}
		return got
	}
	got := check("all", store.PingFilter{MonitorID: m.ID}, pings[7], pings[6], pings[5], pings[4], pings[3], pings[2], pings[1], pings[0])
	for _, p := range got {
		if len(p.Body) != 0 {
			t.Errorf("listed ping %s has a body", p.ID)
		}
	}
	check("kinds", store.PingFilter{MonitorID: m.ID, Kinds: []prikke.PingKind{prikke.PingStart, prikke.PingFail}}, pings[7], pings[4], pings[3], pings[0])
	check("limit", store.PingFilter{MonitorID: m.ID, Limit: 2}, pings[7], pings[6])
	check("cursor", store.PingFilter{MonitorID: m.ID, BeforeCreatedAt: pings[2].CreatedAt, BeforeID: pings[2].ID}, pings[1], pings[0])
	check("other monitor", store.PingFilter{MonitorID: other.ID}, pings[8])
	check("no monitor", store.PingFilter{MonitorID: prikke.NewID()})
}

func testMonitorExpireDue(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorExpireDue", "MonitorNextDeadline")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	if _, ok, err := s.MonitorNextDeadline(ctx); err != nil || ok {
		t.Errorf("MonitorNextDeadline with no monitors = %v, %v", ok, err)
	}
	at := func(d time.Duration) func(m *prikke.Monitor) {
		return func(m *prikke.Monitor) {
			t := T0.Add(d)
			m.DeadlineAt, m.Status = &t, prikke.MonitorUp
		}
	}
	due1 := NewMonitor(t, s, a, at(-time.Minute))
	due2 := NewMonitor(t, s, a, at(0))
	later := NewMonitor(t, s, a, at(time.Minute))
	NewMonitor(t, s, a, nil) // no deadline
	if next, ok, err := s.MonitorNextDeadline(ctx); err != nil || !ok || !next.Equal(T0.Add(-time.Minute)) || next.Location() != time.UTC {
		t.Errorf("MonitorNextDeadline = %v, %v, %v", next, ok, err)
	}

	calls := map[prikke.ID]int{}
	step := func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
		calls[m.ID]++
		if !now.Equal(T0) || m.OrganizationID != a.Org.ID {
			t.Errorf("step at %v with %+v", now, m)
		}
		return stepDeadline(m, now)
	}
	if n, err := s.MonitorExpireDue(ctx, T0, 1, step); err != nil || n != 1 || calls[due1.ID] != 1 {
		t.Fatalf("MonitorExpireDue limit 1 = %d, %v; calls %v", n, err, calls)
	}
	if n, err := s.MonitorExpireDue(ctx, T0, 10, step); err != nil || n != 1 || calls[due2.ID] != 1 {
		t.Fatalf("MonitorExpireDue = %d, %v; calls %v", n, err, calls)
	}
	if n, err := s.MonitorExpireDue(ctx, T0, 10, step); err != nil || n != 0 || len(calls) != 2 {
		t.Fatalf("MonitorExpireDue again = %d, %v; calls %v", n, err, calls)
	}
	got, err := s.MonitorGet(ctx, due1.ID)
	if err != nil || got.Status != prikke.MonitorDown || got.DeadlineAt != nil || got.Version != 1 || !got.UpdatedAt.Equal(T0) {
		t.Errorf("expired monitor = %+v, %v", got, err)
	}
	flips, err := s.MonitorFlipList(ctx, due2.ID, 10)
	if err != nil || len(flips) != 1 || flips[0].Event != prikke.EventMonitorDown || !flips[0].PrikkeDown || flips[0].PingID != nil {
		t.Errorf("flips = %s, %v", formatList(flips), err)
	}
	if next, ok, err := s.MonitorNextDeadline(ctx); err != nil || !ok || !next.Equal(*later.DeadlineAt) {
		t.Errorf("MonitorNextDeadline = %v, %v, %v; want %v", next, ok, err, later.DeadlineAt)
	}
	if got, _ := s.MonitorGet(ctx, later.ID); got.Version != 0 {
		t.Errorf("a monitor not due was written: %+v", got)
	}
	// A zero now is the store's clock, which is well past T0.
	if n, err := s.MonitorExpireDue(ctx, time.Time{}, 10, func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
		if now.Before(T0.Add(time.Hour)) {
			t.Errorf("zero now stepped at %v", now)
		}
		m.DeadlineAt = nil
		return nil
	}); err != nil || n != 1 {
		t.Errorf("MonitorExpireDue at the store's clock = %d, %v", n, err)
	}
}

// testMonitorExpireDueConcurrent: callers racing over the same due
// monitors step each exactly once.
func testMonitorExpireDueConcurrent(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorExpireDue")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	const monitors, callers = 60, 4
	for i := range monitors {
		NewMonitor(t, s, a, func(m *prikke.Monitor) {
			d := T0.Add(-time.Duration(i) * time.Second)
			m.DeadlineAt, m.Status = &d, prikke.MonitorUp
		})
	}
	var mu sync.Mutex
	stepped := map[prikke.ID]int{}
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			for {
				n, err := s.MonitorExpireDue(ctx, T0, 7, func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
					mu.Lock()
					stepped[m.ID]++
					mu.Unlock()
					return stepDeadline(m, now)
				})
				if err != nil {
					errs <- err
					return
				}
				total.Add(int64(n))
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// A step whose transaction did not commit would be counted without
	// its write; every step here committed, so counts are exact.
	if len(stepped) != monitors || total.Load() != monitors {
		t.Errorf("stepped %d monitors, reported %d; want %d", len(stepped), total.Load(), monitors)
	}
	for id, n := range stepped {
		if n != 1 {
			t.Errorf("monitor %s stepped %d times", id, n)
		}
	}
}

func testMonitorFlipClaimConcurrent(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorFlipClaim")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	const flips, claimers, batch = 90, 6, 7
	var ms []*prikke.Monitor
	for i := range flips / 3 {
		ms = append(ms, NewMonitor(t, s, a, func(m *prikke.Monitor) {
			d := T0.Add(time.Duration(i) * time.Millisecond)
			m.DeadlineAt = &d
		}))
	}
	// Three flips a monitor: two from pings, one from its deadline.
	var pings []*prikke.Ping
	for i, m := range ms {
		pings = append(pings, NewPing(m, prikke.PingFail, T0.Add(time.Duration(i)*time.Millisecond)),
			NewPing(m, prikke.PingSuccess, T0.Add(time.Second+time.Duration(i)*time.Millisecond)))
	}
	if _, err := s.PingsRecord(ctx, pings, stepPing); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MonitorExpireDue(ctx, T0.Add(time.Hour), 1000, stepDeadline); err != nil || n != len(ms) {
		t.Fatalf("expire = %d, %v", n, err)
	}

	var mu sync.Mutex
	seen := map[prikke.ID]int{}
	var wg sync.WaitGroup
	errs := make(chan error, claimers)
	for range claimers {
		wg.Go(func() {
			for {
				got, err := s.MonitorFlipClaim(ctx, T0.Add(2*time.Hour), batch)
				if err != nil {
					errs <- err
					return
				}
				if len(got) > batch {
					errs <- fmt.Errorf("MonitorFlipClaim returned %d flips, limit %d", len(got), batch)
					return
				}
				if len(got) == 0 {
					return
				}
				for i := 1; i < len(got); i++ {
					if got[i].CreatedAt.Before(got[i-1].CreatedAt) {
						errs <- fmt.Errorf("claimed out of order: %s", formatList(got))
						return
					}
				}
				mu.Lock()
				for _, f := range got {
					seen[f.ID]++
					if f.ProcessedAt != nil {
						errs <- fmt.Errorf("claimed flip %+v already processed", f)
					}
				}
				mu.Unlock()
				for _, f := range got {
					if err := s.MonitorFlipDone(ctx, f.ID, T0.Add(2*time.Hour)); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != flips {
		t.Errorf("claimed %d distinct flips, want %d", len(seen), flips)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("flip %s claimed %d times", id, n)
		}
	}
	// Confirmed, none is claimable again, whenever (the store's clock is
	// long after every lease).
	if got, err := s.MonitorFlipClaim(ctx, time.Time{}, batch); err != nil || len(got) != 0 {
		t.Errorf("flips left after the claimers: %v, %v", got, err)
	}
	// The history keeps them, processed.
	if fs, err := s.MonitorFlipList(ctx, ms[0].ID, 10); err != nil || len(fs) != 3 || fs[0].Event != prikke.EventMonitorDown ||
		fs[0].ProcessedAt == nil || !fs[0].ProcessedAt.Equal(T0.Add(2*time.Hour)) || fs[2].Event != prikke.EventMonitorFailed {
		t.Errorf("MonitorFlipList after claims = %s, %v", formatList(fs), err)
	}
}

// testMonitorFlipClaimLease: a claim is a lease. A flip claimed and not
// confirmed (its notifier died) is nobody's until the lease ends, then
// claimable again, once; a confirmed flip is never claimed again.
func testMonitorFlipClaimLease(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorFlipClaim", "MonitorFlipDone")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	var ms []*prikke.Monitor
	for i := range 2 {
		ms = append(ms, NewMonitor(t, s, a, func(m *prikke.Monitor) {
			d := T0.Add(time.Duration(i) * time.Second)
			m.DeadlineAt = &d
		}))
	}
	if n, err := s.MonitorExpireDue(ctx, T0.Add(time.Minute), 10, stepDeadline); err != nil || n != 2 {
		t.Fatalf("expire = %d, %v", n, err)
	}
	now := T0.Add(time.Hour)
	lease := store.MonitorFlipLease
	ids := func(fs []*prikke.MonitorFlip) []prikke.ID {
		out := []prikke.ID{}
		for _, f := range fs {
			out = append(out, f.MonitorID)
		}
		return out
	}
	claim := func(at time.Time) []*prikke.MonitorFlip {
		t.Helper()
		got, err := s.MonitorFlipClaim(ctx, at, 10)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	first := claim(now)
	if got := ids(first); len(got) != 2 || !slices.Contains(got, ms[0].ID) || !slices.Contains(got, ms[1].ID) {
		t.Fatalf("first claim = %s", formatList(first))
	}
	// The claimer confirms the first flip and dies before the second.
	if err := s.MonitorFlipDone(ctx, first[0].ID, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{now, now.Add(lease / 2), now.Add(lease - time.Microsecond)} {
		if got := claim(at); len(got) != 0 {
			t.Errorf("claim at +%s, inside the lease = %s", at.Sub(now), formatList(got))
		}
	}
	again := claim(now.Add(lease))
	if len(again) != 1 || again[0].ID != first[1].ID || again[0].ProcessedAt != nil {
		t.Fatalf("claim after the lease = %s, want only the unconfirmed %s", formatList(again), first[1].ID)
	}
	// Re-claimed, it has a new lease: nobody else gets it meanwhile.
	if got := claim(now.Add(lease + lease/2)); len(got) != 0 {
		t.Errorf("claim inside the second lease = %s", formatList(got))
	}
	if err := s.MonitorFlipDone(ctx, again[0].ID, now.Add(lease+time.Second)); err != nil {
		t.Fatal(err)
	}
	// Confirmed: never again, not even long after; confirming twice keeps
	// the first instant.
	if got := claim(now.Add(24 * time.Hour)); len(got) != 0 {
		t.Errorf("claim after confirming = %s", formatList(got))
	}
	if err := s.MonitorFlipDone(ctx, first[0].ID, now.Add(time.Hour)); err != nil {
		t.Errorf("confirming twice: %v", err)
	}
	fs, err := s.MonitorFlipList(ctx, first[0].MonitorID, 10)
	if err != nil || len(fs) != 1 || fs[0].ProcessedAt == nil || !fs[0].ProcessedAt.Equal(now.Add(time.Second)) {
		t.Errorf("first flip after confirming twice = %s, %v", formatList(fs), err)
	}
	if err := s.MonitorFlipDone(ctx, prikke.NewID(), now); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("MonitorFlipDone(unknown) = %v, want not found", err)
	}
}

func testPingPrune(t *testing.T, open Opener, cov *coverage) {
	cov.covers("PingPrune")
	s := open(t)
	ctx := context.Background()
	free := NewTenant(t, s, prikke.TierFree)
	pro := NewTenant(t, s, prikke.TierPro)
	now := T0.Add(60 * 24 * time.Hour)
	day := 24 * time.Hour
	// Each monitor: 150 pings 20 days old, then 10 pings 1 hour old.
	fill := func(m *prikke.Monitor) {
		var ps []*prikke.Ping
		for i := range 150 {
			ps = append(ps, NewPing(m, prikke.PingLog, now.Add(-20*day+time.Duration(i)*time.Second)))
		}
		for i := range 10 {
			ps = append(ps, NewPing(m, prikke.PingLog, now.Add(-time.Hour+time.Duration(i)*time.Second)))
		}
		if _, err := s.PingsRecord(ctx, ps, stepPing); err != nil {
			t.Fatal(err)
		}
	}
	fm, pm := NewMonitor(t, s, free, nil), NewMonitor(t, s, pro, nil)
	few := NewMonitor(t, s, free, nil)
	fill(fm)
	fill(pm)
	var old []*prikke.Ping
	for i := range 5 {
		old = append(old, NewPing(few, prikke.PingLog, now.Add(-50*day+time.Duration(i)*time.Second)))
	}
	if _, err := s.PingsRecord(ctx, old, stepPing); err != nil {
		t.Fatal(err)
	}
	count := func(m *prikke.Monitor) int {
		ps, err := s.PingList(ctx, store.PingFilter{MonitorID: m.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	// Free keeps 7 days, but always the newest 100: 60 of the old pings go,
	// in limited steps. Pro keeps 30 days: nothing goes. Nor do a
	// monitor's only 5 pings, however old.
	if n, err := s.PingPrune(ctx, now, 25); err != nil || n != 25 {
		t.Fatalf("PingPrune limit 25 = %d, %v", n, err)
	}
	if n, err := s.PingPrune(ctx, now, 1000); err != nil || n != 35 {
		t.Fatalf("PingPrune = %d, %v; want the other 35", n, err)
	}
	if n, err := s.PingPrune(ctx, now, 1000); err != nil || n != 0 {
		t.Fatalf("PingPrune again = %d, %v", n, err)
	}
	if n := count(fm); n != 100 {
		t.Errorf("free monitor keeps %d pings, want 100", n)
	}
	if n := count(pm); n != 160 {
		t.Errorf("pro monitor keeps %d pings, want 160", n)
	}
	if n := count(few); n != 5 {
		t.Errorf("a monitor with 5 old pings keeps %d", n)
	}
	// The kept ones are the newest.
	ps, _ := s.PingList(ctx, store.PingFilter{MonitorID: fm.ID, Limit: 1000})
	if oldest := ps[len(ps)-1].CreatedAt; !oldest.Equal(now.Add(-20*day + 60*time.Second)) {
		t.Errorf("oldest kept ping at %v", oldest)
	}
	// Later, Pro's window passes too.
	if n, err := s.PingPrune(ctx, now.Add(15*day), 1000); err != nil || n != 60 {
		t.Errorf("PingPrune 15 days later = %d, %v; want Pro's 60", n, err)
	}
}

func testChannelListForMonitor(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ChannelListForMonitor")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	c1 := createTestChannel(t, s, newTestChannel(a, "one", 0))
	c2 := createTestChannel(t, s, newTestChannel(a, "two", time.Second))
	c3 := createTestChannel(t, s, newTestChannel(a, "three", 2*time.Second))
	cb := createTestChannel(t, s, newTestChannel(b, "b", 0))
	ids := func(cs []*prikke.Channel) []prikke.ID {
		out := []prikke.ID{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	check := func(name string, id prikke.ID, want ...*prikke.Channel) {
		t.Helper()
		got, err := s.ChannelListForMonitor(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(ids(got), ids(want)) {
			t.Errorf("%s: ChannelListForMonitor = %v, want %v", name, ids(got), ids(want))
		}
	}
	check("project", NewMonitor(t, s, a, nil).ID, c1, c2, c3)
	// Another project's channel in the list is ignored.
	custom := NewMonitor(t, s, a, func(m *prikke.Monitor) {
		m.NotifyMode, m.ChannelIDs = prikke.NotifyCustom, []prikke.ID{c3.ID, c1.ID, cb.ID}
	})
	check("custom", custom.ID, c1, c3)
	check("muted", NewMonitor(t, s, a, func(m *prikke.Monitor) { m.NotifyMode = prikke.NotifyMuted }).ID)
	check("other tenant", NewMonitor(t, s, b, nil).ID, cb)
	_, err := s.ChannelListForMonitor(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)
	if err := s.ChannelDelete(ctx, c1.ID); err != nil {
		t.Fatal(err)
	}
	check("after a channel's deletion", custom.ID, c3)
	if got, err := s.MonitorGet(ctx, custom.ID); err != nil || !slices.Equal(got.ChannelIDs, []prikke.ID{c3.ID}) {
		t.Errorf("MonitorGet's channel list = %+v, %v", got, err)
	}
}

func testProjectGetByPingKey(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ProjectGetByPingKey")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	// Sign-up and ProjectCreate give projects distinct 22-character keys.
	p := &prikke.Project{ID: prikke.NewID(), OrganizationID: a.Org.ID, Name: "Second", SigningSecret: a.Project.SigningSecret,
		AlertAfter: 1, CreatedAt: T0, UpdatedAt: T0}
	if err := s.ProjectCreate(ctx, p); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, pr := range []*prikke.Project{a.Project, b.Project, p} {
		if len(pr.PingKey) != 22 || strings.Trim(pr.PingKey, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			t.Errorf("ping key %q", pr.PingKey)
		}
		keys[pr.PingKey] = true
		got, err := s.ProjectGetByPingKey(ctx, pr.PingKey)
		if err != nil || got.ID != pr.ID || got.PingKey != pr.PingKey {
			t.Errorf("ProjectGetByPingKey(%q) = %+v, %v", pr.PingKey, got, err)
		}
	}
	if len(keys) != 3 {
		t.Errorf("ping keys %v are not distinct", keys)
	}
	// A given key is kept; a taken one conflicts.
	q := &prikke.Project{ID: prikke.NewID(), OrganizationID: a.Org.ID, Name: "Third", SigningSecret: a.Project.SigningSecret,
		AlertAfter: 1, PingKey: "my-own-key-0123456789a", CreatedAt: T0, UpdatedAt: T0}
	if err := s.ProjectCreate(ctx, q); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ProjectGetByPingKey(ctx, "my-own-key-0123456789a"); err != nil || got.ID != q.ID {
		t.Errorf("ProjectGetByPingKey(own key) = %+v, %v", got, err)
	}
	q.ID, q.PingKey = prikke.NewID(), a.Project.PingKey
	Errcode(t, s.ProjectCreate(ctx, q), prikke.ECONFLICT)
	for _, key := range []string{"", "nope"} {
		_, err := s.ProjectGetByPingKey(ctx, key)
		Errcode(t, err, prikke.ENOTFOUND)
	}
	// The project's snooze round-trips; the key never changes.
	until := T0.Add(time.Hour)
	a.Project.SnoozeUntil, a.Project.PingKey = &until, "changed"
	if err := s.ProjectUpdate(ctx, a.Project); err != nil {
		t.Fatal(err)
	}
	got, err := s.ProjectGet(ctx, a.Project.ID)
	if err != nil || got.SnoozeUntil == nil || !got.SnoozeUntil.Equal(until) || got.PingKey == "changed" {
		t.Errorf("ProjectGet after snooze = %+v, %v", got, err)
	}
}

func testStatusPageMonitors(t *testing.T, open Opener, cov *coverage) {
	cov.covers("StatusPageCreate", "StatusPageGet", "StatusPageUpdate", "StatusPageListByProject")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	m1, m2 := NewMonitor(t, s, a, nil), NewMonitor(t, s, a, nil)
	theirs := NewMonitor(t, s, b, nil)
	j := NewJob(t, s, a, nil)
	p := &prikke.StatusPage{ID: prikke.NewID(), ProjectID: a.Project.ID, Slug: "mon-" + randomToken()[:8], Title: "Status", Published: true,
		Jobs:      []prikke.StatusPageJob{{JobID: j.ID, DisplayName: "API"}},
		Monitors:  []prikke.StatusPageMonitor{{MonitorID: m2.ID, DisplayName: "Backups"}, {MonitorID: m1.ID, DisplayName: "Reports"}},
		CreatedAt: T0, UpdatedAt: T0}
	if err := s.StatusPageCreate(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.StatusPageGet(ctx, p.ID)
	if err != nil || !reflect.DeepEqual(got.Monitors, p.Monitors) || len(got.Jobs) != 1 {
		t.Errorf("StatusPageGet = %+v, %v", got, err)
	}
	p.Monitors = []prikke.StatusPageMonitor{{MonitorID: m1.ID, DisplayName: "Reports only"}}
	p.UpdatedAt = T0.Add(time.Minute)
	if err := s.StatusPageUpdate(ctx, p); err != nil {
		t.Fatal(err)
	}
	if pages, err := s.StatusPageListByProject(ctx, a.Project.ID); err != nil || len(pages) != 1 || !reflect.DeepEqual(pages[0].Monitors, p.Monitors) {
		t.Errorf("StatusPageListByProject = %+v, %v", pages, err)
	}
	// Another project's monitor is refused, and nothing changes.
	bad := *p
	bad.Monitors = []prikke.StatusPageMonitor{{MonitorID: theirs.ID, DisplayName: "theirs"}}
	Errcode(t, s.StatusPageUpdate(ctx, &bad), prikke.ENOTFOUND)
	bad.ID, bad.Slug = prikke.NewID(), "mon-"+randomToken()[:8]
	Errcode(t, s.StatusPageCreate(ctx, &bad), prikke.ENOTFOUND)
	// A deleted monitor leaves the page.
	if err := s.MonitorDelete(ctx, m1.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.StatusPageGet(ctx, p.ID); err != nil || len(got.Monitors) != 0 || len(got.Jobs) != 1 {
		t.Errorf("StatusPageGet after the monitor's deletion = %+v, %v", got, err)
	}
}

func testNotificationMonitor(t *testing.T, open Opener, cov *coverage) {
	cov.covers("NotificationInsert", "NotificationList")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	m := NewMonitor(t, s, a, nil)
	n := &prikke.Notification{ID: prikke.NewID(), ProjectID: a.Project.ID, MonitorID: &m.ID, Event: prikke.EventMonitorDown,
		Recipient: "example.com", OK: true, CreatedAt: T0}
	if err := s.NotificationInsert(ctx, n); err != nil {
		t.Fatal(err)
	}
	other := &prikke.Notification{ID: prikke.NewID(), ProjectID: a.Project.ID, Event: prikke.EventMonitorUp, CreatedAt: T0}
	if err := s.NotificationInsert(ctx, other); err != nil {
		t.Fatal(err)
	}
	got, err := s.NotificationList(ctx, store.NotificationFilter{MonitorID: &m.ID})
	if err != nil || len(got) != 1 || !matches(got[0], n) {
		t.Errorf("NotificationList(monitor) = %s, %v", formatList(got), err)
	}
	// The send log outlives the monitor.
	if err := s.MonitorDelete(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	got, err = s.NotificationList(ctx, store.NotificationFilter{ProjectID: &a.Project.ID})
	if err != nil || len(got) != 2 {
		t.Fatalf("NotificationList = %s, %v", formatList(got), err)
	}
	for _, x := range got {
		if x.MonitorID != nil {
			t.Errorf("notification %+v keeps a deleted monitor", x)
		}
	}
}

// BenchmarkPingsRecord measures PingsRecord on the store open returns:
// batches of 500 pings (a start or a success, each with a 1 KB body)
// spread over 200 monitors, the shape the ping API's batcher writes at
// its peak. It reports pings/s.
func BenchmarkPingsRecord(b *testing.B, open Opener) {
	s := open(b)
	ctx := context.Background()
	tn := NewTenant(b, s, prikke.TierPro)
	const monitors, batch = 200, 500
	ms := make([]*prikke.Monitor, monitors)
	for i := range ms {
		ms[i] = NewMonitor(b, s, tn, nil)
	}
	body := []byte(strings.Repeat("backup done: 1234 files, 56 MB\n", 32))
	at := T0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ps := make([]*prikke.Ping, batch)
		for j := range ps {
			at = at.Add(time.Millisecond)
			kind := prikke.PingStart
			if (i*batch+j)/monitors%2 == 1 {
				kind = prikke.PingSuccess
			}
			ps[j] = NewPing(ms[j%monitors], kind, at)
			ps[j].Body, ps[j].BodySize = body, len(body)
		}
		if _, err := s.PingsRecord(ctx, ps, stepPing); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "pings/s")
}
