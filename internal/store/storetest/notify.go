package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testNotify(t *testing.T, open Opener, cov *coverage) {
	t.Run("Channels", func(t *testing.T) {
		t.Parallel()
		testChannels(t, open, cov)
	})
	t.Run("ChannelListForJob", func(t *testing.T) {
		t.Parallel()
		testChannelListForJob(t, open, cov)
	})
	t.Run("Flips", func(t *testing.T) {
		t.Parallel()
		testFlips(t, open, cov)
	})
	t.Run("FlipClaimConcurrent", func(t *testing.T) {
		t.Parallel()
		testFlipClaimConcurrent(t, open, cov)
	})
	t.Run("Notifications", func(t *testing.T) {
		t.Parallel()
		testNotifications(t, open, cov)
	})
	t.Run("UsageMarkNotified", func(t *testing.T) {
		t.Parallel()
		testUsageMarkNotified(t, open, cov)
	})
}

// newTestChannel returns an unsaved, enabled webhook channel of the tenant's
// project created at T0+offset.
func newTestChannel(tn *Tenant, name string, offset time.Duration) *prikke.Channel {
	return &prikke.Channel{
		ID: prikke.NewID(), ProjectID: tn.Project.ID, Kind: prikke.ChannelWebhook, Name: name,
		Target: "https://example.com/" + name, Enabled: true, CreatedAt: T0.Add(offset), UpdatedAt: T0.Add(offset),
	}
}

func createTestChannel(t testing.TB, s store.Store, c *prikke.Channel) *prikke.Channel {
	t.Helper()
	if err := s.ChannelCreate(context.Background(), c); err != nil {
		t.Fatalf("create channel %s: %v", c.Name, err)
	}
	return c
}

func testChannels(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ChannelCreate", "ChannelGet", "ChannelGetByConfirmHash", "ChannelListByProject", "ChannelUpdate", "ChannelDelete")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierFree)

	email := newTestChannel(a, "ops", 0)
	email.Kind, email.Target, email.ConfirmTokenHash = prikke.ChannelEmail, "ops@example.com", []byte("confirm-hash-1")
	createTestChannel(t, s, email)
	confirmed := T0.Add(time.Minute)
	hook := newTestChannel(a, "hook", time.Second)
	hook.Kind, hook.ConfirmedAt, hook.FailureCount, hook.LastError = prikke.ChannelSlack, &confirmed, 2, "HTTP 500"
	createTestChannel(t, s, hook)
	// Channels without a confirmation hash do not collide on it.
	other := createTestChannel(t, s, newTestChannel(b, "theirs", 0))

	got, err := s.ChannelGet(ctx, email.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !matches(got, email) {
		t.Errorf("ChannelGet = %+v, want %+v", got, email)
	}
	if got.Active() {
		t.Error("an unconfirmed email channel is active")
	}
	if got, err := s.ChannelGet(ctx, hook.ID); err != nil || !matches(got, hook) || !got.Active() {
		t.Errorf("ChannelGet = %+v, %v; want %+v", got, err, hook)
	}
	if got, err := s.ChannelGetByConfirmHash(ctx, []byte("confirm-hash-1")); err != nil || got.ID != email.ID {
		t.Errorf("ChannelGetByConfirmHash = %v, %v", got, err)
	}
	_, err = s.ChannelGetByConfirmHash(ctx, []byte("confirm-hash-2"))
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.ChannelGetByConfirmHash(ctx, nil)
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.ChannelGet(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)

	dup := newTestChannel(b, "dup", 0)
	dup.ConfirmTokenHash = []byte("confirm-hash-1")
	Errcode(t, s.ChannelCreate(ctx, dup), prikke.ECONFLICT)
	orphan := newTestChannel(a, "orphan", 0)
	orphan.ProjectID = prikke.NewID()
	Errcode(t, s.ChannelCreate(ctx, orphan), prikke.ENOTFOUND)

	cs, err := s.ChannelListByProject(ctx, a.Project.ID)
	if err != nil || len(cs) != 2 || !matches(cs[0], email) || !matches(cs[1], hook) {
		t.Fatalf("ChannelListByProject = %v, %v; want [ops hook] in created order", cs, err)
	}
	if cs, err := s.ChannelListByProject(ctx, b.Project.ID); err != nil || len(cs) != 1 || cs[0].ID != other.ID {
		t.Errorf("other tenant's ChannelListByProject = %v, %v", cs, err)
	}

	// Confirming the email channel clears its hash; every written field round-trips.
	email.ConfirmedAt, email.ConfirmTokenHash = &confirmed, nil
	email.Name, email.Target, email.Kind = "ops team", "team@example.com", prikke.ChannelEmail
	email.Enabled, email.DisabledReason, email.FailureCount, email.LastError = false, "bounced", 10, "550 no such user"
	email.UpdatedAt = T0.Add(time.Hour)
	if err := s.ChannelUpdate(ctx, email); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ChannelGet(ctx, email.ID); err != nil || !matches(got, email) {
		t.Errorf("after update: %+v, %v; want %+v", got, err, email)
	}
	_, err = s.ChannelGetByConfirmHash(ctx, []byte("confirm-hash-1"))
	Errcode(t, err, prikke.ENOTFOUND)
	// The freed hash can be used again.
	dup.ID = prikke.NewID()
	if err := s.ChannelCreate(ctx, dup); err != nil {
		t.Errorf("reusing a cleared hash: %v", err)
	}

	if err := s.ChannelDelete(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.ChannelGet(ctx, hook.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.ChannelDelete(ctx, hook.ID), prikke.ENOTFOUND)
	Errcode(t, s.ChannelUpdate(ctx, hook), prikke.ENOTFOUND)
	if cs, _ := s.ChannelListByProject(ctx, a.Project.ID); len(cs) != 1 || cs[0].ID != email.ID {
		t.Errorf("after delete: %v", cs)
	}
}

func testChannelListForJob(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ChannelListForJob")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	c1 := createTestChannel(t, s, newTestChannel(a, "one", 0))
	c2 := createTestChannel(t, s, newTestChannel(a, "two", time.Second))
	c2.Enabled = false
	if err := s.ChannelUpdate(ctx, c2); err != nil {
		t.Fatal(err)
	}
	c3 := createTestChannel(t, s, newTestChannel(a, "three", 2*time.Second))
	cb := createTestChannel(t, s, newTestChannel(b, "b", 0))

	ids := func(cs []*prikke.Channel) []prikke.ID {
		out := []prikke.ID{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	check := func(name string, jobID prikke.ID, want ...*prikke.Channel) {
		t.Helper()
		got, err := s.ChannelListForJob(ctx, jobID)
		if err != nil {
			t.Fatalf("%s: ChannelListForJob: %v", name, err)
		}
		if !reflect.DeepEqual(ids(got), ids(want)) {
			t.Errorf("%s: ChannelListForJob = %v, want %v", name, ids(got), ids(want))
		}
		for i := range min(len(got), len(want)) {
			if !matches(got[i], want[i]) {
				t.Errorf("%s: channel %d = %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}

	project := NewJob(t, s, a, nil)
	// Inactive channels are included: callers check Active.
	check("project", project.ID, c1, c2, c3)
	custom := NewJob(t, s, a, func(j *prikke.Job) {
		j.NotifyMode, j.ChannelIDs = prikke.NotifyCustom, []prikke.ID{c3.ID, c1.ID}
	})
	check("custom", custom.ID, c1, c3)
	muted := NewJob(t, s, a, func(j *prikke.Job) { j.NotifyMode = prikke.NotifyMuted })
	got, err := s.ChannelListForJob(ctx, muted.ID)
	if err != nil || len(got) != 0 {
		t.Errorf("muted: ChannelListForJob = %v, %v; want none", got, err)
	}
	check("other tenant", NewJob(t, s, b, nil).ID, cb)
	_, err = s.ChannelListForJob(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)

	// A deleted channel leaves the custom list.
	if err := s.ChannelDelete(ctx, c1.ID); err != nil {
		t.Fatal(err)
	}
	check("custom after delete", custom.ID, c3)
	check("project after delete", project.ID, c2, c3)
}

// awaitEvent waits for an event with payload on sub, skipping others.
func awaitEvent(t testing.TB, sub *store.Subscription, payload string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-sub.C:
			if e.Payload == payload {
				return
			}
		case <-deadline:
			t.Fatalf("no %q event within 10s", payload)
		}
	}
}

// subscribeWhenReady subscribes to topic and returns once an event published
// on it gets through (PostgreSQL's listener connects in the background).
func subscribeWhenReady(t testing.TB, s store.Store, topic store.Topic) *store.Subscription {
	t.Helper()
	sub := s.Subscribe(topic)
	t.Cleanup(sub.Close)
	deadline := time.After(10 * time.Second)
	for {
		if err := s.Publish(context.Background(), topic, "probe"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-sub.C:
			return sub
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("subscription to %s not ready within 10s", topic)
		}
	}
}

func newTestFlip(j *prikke.Job, created time.Time) *prikke.Flip {
	return &prikke.Flip{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, Event: prikke.EventJobFailing, CreatedAt: created}
}

func testFlips(t *testing.T, open Opener, cov *coverage) {
	cov.covers("FlipInsert", "FlipClaim", "Subscribe", "Publish")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j1 := NewJob(t, s, a, nil)
	j2 := NewJob(t, s, a, nil)

	sub := subscribeWhenReady(t, s, store.TopicFlips)
	execID := prikke.NewID()
	third := newTestFlip(j1, T0.Add(2*time.Second))
	first := newTestFlip(j2, T0)
	first.ExecutionID, first.Event = &execID, prikke.EventJobRecovered
	second := newTestFlip(j1, T0.Add(time.Second))
	second.Event = prikke.EventJobDisabled
	for _, f := range []*prikke.Flip{third, first, second} {
		if err := s.FlipInsert(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	awaitEvent(t, sub, "")
	Errcode(t, s.FlipInsert(ctx, newTestFlip(&prikke.Job{ID: prikke.NewID(), ProjectID: a.Project.ID}, T0)), prikke.ENOTFOUND)
	Errcode(t, s.FlipInsert(ctx, first), prikke.ECONFLICT)

	now := T0.Add(time.Hour)
	got, err := s.FlipClaim(ctx, now, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*prikke.Flip{first, second, third} {
		f.ProcessedAt = &now
	}
	if len(got) != 2 || !matches(got[0], first) || !matches(got[1], second) {
		t.Fatalf("FlipClaim = %v; want the two oldest, oldest first, processed at %v", got, now)
	}
	got, err = s.FlipClaim(ctx, now, 10)
	if err != nil || len(got) != 1 || !matches(got[0], third) {
		t.Fatalf("second FlipClaim = %v, %v; want the third flip", got, err)
	}
	if got, err := s.FlipClaim(ctx, now, 10); err != nil || len(got) != 0 {
		t.Fatalf("FlipClaim with nothing left = %v, %v", got, err)
	}

	// A zero now means the database clock.
	if err := s.FlipInsert(ctx, newTestFlip(j1, T0.Add(3*time.Second))); err != nil {
		t.Fatal(err)
	}
	got, err = s.FlipClaim(ctx, time.Time{}, 0)
	if err != nil || len(got) != 1 || got[0].ProcessedAt == nil || time.Since(*got[0].ProcessedAt).Abs() > time.Minute ||
		got[0].ProcessedAt.Location() != time.UTC {
		t.Fatalf("FlipClaim at the database clock = %v, %v", got, err)
	}
}

func testFlipClaimConcurrent(t *testing.T, open Opener, cov *coverage) {
	cov.covers("FlipInsert", "FlipClaim")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, nil)
	const flips, claimers, batch = 100, 8, 7
	want := map[prikke.ID]bool{}
	for i := range flips {
		f := newTestFlip(j, T0.Add(time.Duration(i)*time.Millisecond))
		if err := s.FlipInsert(ctx, f); err != nil {
			t.Fatal(err)
		}
		want[f.ID] = true
	}

	var mu sync.Mutex
	seen := map[prikke.ID]int{}
	var wg sync.WaitGroup
	errs := make(chan error, claimers)
	for range claimers {
		wg.Go(func() {
			for {
				got, err := s.FlipClaim(ctx, T0.Add(time.Hour), batch)
				if err != nil {
					errs <- err
					return
				}
				if len(got) > batch {
					errs <- fmt.Errorf("FlipClaim returned %d flips, limit %d", len(got), batch)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, f := range got {
					seen[f.ID]++
				}
				mu.Unlock()
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
		if n != 1 || !want[id] {
			t.Errorf("flip %s claimed %d times (known: %v)", id, n, want[id])
		}
	}
	if got, err := s.FlipClaim(ctx, T0.Add(time.Hour), batch); err != nil || len(got) != 0 {
		t.Errorf("flips left after the claimers: %v, %v", got, err)
	}
}

func testNotifications(t *testing.T, open Opener, cov *coverage) {
	cov.covers("NotificationInsert", "NotificationList")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	ch := createTestChannel(t, s, newTestChannel(a, "hook", 0))
	j := NewJob(t, s, a, nil)
	execID := prikke.NewID()

	n1 := &prikke.Notification{ID: prikke.NewID(), ProjectID: a.Project.ID, ChannelID: &ch.ID, JobID: &j.ID, ExecutionID: &execID,
		Event: prikke.EventJobFailing, Recipient: "example.com", OK: false, Error: "HTTP 502", CreatedAt: T0}
	n2 := &prikke.Notification{ID: prikke.NewID(), ProjectID: a.Project.ID, ChannelID: &ch.ID, Event: prikke.EventTest,
		Recipient: "example.com", OK: true, CreatedAt: T0.Add(time.Second)}
	n3 := &prikke.Notification{ID: prikke.NewID(), ProjectID: a.Project.ID, JobID: &j.ID, Event: prikke.EventJobRecovered,
		Recipient: "ops@example.com", OK: true, CreatedAt: T0.Add(2 * time.Second)}
	// A quota email concerns an organization, not a project.
	n4 := &prikke.Notification{ID: prikke.NewID(), Event: prikke.EventQuota80, Recipient: a.User.Email, OK: true, CreatedAt: T0.Add(3 * time.Second)}
	nb := &prikke.Notification{ID: prikke.NewID(), ProjectID: b.Project.ID, Event: prikke.EventTest, OK: true, CreatedAt: T0.Add(4 * time.Second)}
	for _, n := range []*prikke.Notification{n1, n2, n3, n4, nb} {
		if err := s.NotificationInsert(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	Errcode(t, s.NotificationInsert(ctx, n1), prikke.ECONFLICT)

	check := func(name string, f store.NotificationFilter, want ...*prikke.Notification) {
		t.Helper()
		got, err := s.NotificationList(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ok := len(got) == len(want)
		for i := range min(len(got), len(want)) {
			ok = ok && matches(got[i], want[i])
		}
		if !ok {
			t.Errorf("%s: NotificationList = %s, want %s", name, formatList(got), formatList(want))
		}
	}
	check("project", store.NotificationFilter{ProjectID: &a.Project.ID}, n3, n2, n1)
	check("channel", store.NotificationFilter{ChannelID: &ch.ID}, n2, n1)
	check("job", store.NotificationFilter{JobID: &j.ID}, n3, n1)
	check("project and channel", store.NotificationFilter{ProjectID: &a.Project.ID, ChannelID: &ch.ID}, n2, n1)
	check("limit", store.NotificationFilter{ProjectID: &a.Project.ID, Limit: 2}, n3, n2)
	check("other tenant", store.NotificationFilter{ProjectID: &b.Project.ID}, nb)
	check("all", store.NotificationFilter{}, nb, n4, n3, n2, n1)
	other := prikke.NewID()
	check("unknown job", store.NotificationFilter{JobID: &other})

	// The record outlives the channel.
	if err := s.ChannelDelete(ctx, ch.ID); err != nil {
		t.Fatal(err)
	}
	n1.ChannelID, n2.ChannelID = nil, nil
	check("after channel delete", store.NotificationFilter{ProjectID: &a.Project.ID}, n3, n2, n1)
}

func testUsageMarkNotified(t *testing.T, open Opener, cov *coverage) {
	cov.covers("UsageMarkNotified")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)

	mark := func(org prikke.ID, month string, percent int, want bool) {
		t.Helper()
		if got, err := s.UsageMarkNotified(ctx, org, month, percent); err != nil || got != want {
			t.Errorf("UsageMarkNotified(%s, %d%%) = %v, %v; want %v", month, percent, got, err, want)
		}
	}
	mark(a.Org.ID, "2026-11", 80, true)
	mark(a.Org.ID, "2026-11", 80, false)
	mark(a.Org.ID, "2026-11", 100, true)
	mark(a.Org.ID, "2026-11", 100, false)
	mark(a.Org.ID, "2026-11", 80, false)
	mark(a.Org.ID, "2026-12", 100, true) // each month on its own
	mark(a.Org.ID, "2026-12", 80, true)  // and each threshold
	mark(b.Org.ID, "2026-11", 80, true)  // and each organization

	_, err := s.UsageMarkNotified(ctx, a.Org.ID, "2026-11", 50)
	Errcode(t, err, prikke.EINVALID)
	_, err = s.UsageMarkNotified(ctx, prikke.NewID(), "2026-11", 80)
	Errcode(t, err, prikke.ENOTFOUND)

	// Exactly one of concurrent callers wins, whether the month's row is
	// missing (insert race) or present (update race).
	race := func(month string, percent int) {
		t.Helper()
		const callers = 16
		var wg sync.WaitGroup
		results := make(chan error, callers)
		var mu sync.Mutex
		wins := 0
		for range callers {
			wg.Go(func() {
				set, err := s.UsageMarkNotified(ctx, a.Org.ID, month, percent)
				if err != nil {
					results <- err
					return
				}
				if set {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(results)
		for err := range results {
			t.Errorf("concurrent UsageMarkNotified(%s, %d%%): %v", month, percent, err)
		}
		if wins != 1 {
			t.Errorf("concurrent UsageMarkNotified(%s, %d%%): %d callers set the flag, want 1", month, percent, wins)
		}
	}
	race("2027-01", 80)
	race("2027-01", 100)
}

// matches reports whether got equals want field by field, comparing times as
// instants and requiring got's times to be in UTC. Nil and empty slices
// are equal.
func matches(got, want any) bool {
	return matchValue(reflect.ValueOf(got), reflect.ValueOf(want))
}

var matchTimeType = reflect.TypeFor[time.Time]()

func matchValue(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == matchTimeType {
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		return ta.Equal(tb) && (ta.IsZero() || ta.Location() == time.UTC)
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return matchValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !matchValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !matchValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// formatList formats a list of pointers to structs for failure messages.
func formatList[T any](xs []*T) string {
	s := "["
	for i, x := range xs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%+v", *x)
	}
	return s + "]"
}
