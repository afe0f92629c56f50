package notify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/notify"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// newMonitor stores a monitor of the fixture's project, last pinged at
// storetest.T0.
func (f *fixture) newMonitor(t *testing.T, name string) *prikke.Monitor {
	t.Helper()
	m := &prikke.Monitor{ID: prikke.NewID(), ProjectID: f.tn.Project.ID, Name: name, Slug: "backup",
		PingToken: uuid.NewString(), BadgeToken: strings.ReplaceAll(uuid.NewString(), "-", ""),
		Period: time.Hour, Grace: time.Hour, NotifyMode: prikke.NotifyProject,
		AlertPolicy: prikke.AlertPolicy{FailThreshold: 1, RecoveryThreshold: 1},
		CreatedAt:   storetest.T0, UpdatedAt: storetest.T0}
	last := storetest.T0
	m.Status, m.LastPingAt, m.LastPingKind = prikke.MonitorUp, &last, prikke.PingSuccess
	if err := f.s.MonitorCreate(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

// flip writes one flip of m, as the state machine would, at.
func (f *fixture) flip(t *testing.T, m *prikke.Monitor, ev prikke.NotificationEvent, to prikke.MonitorStatus, at time.Time, edit func(*prikke.MonitorFlip)) *prikke.MonitorFlip {
	t.Helper()
	var fl *prikke.MonitorFlip
	_, err := f.s.MonitorModify(context.Background(), m.ID, func(cur *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		fl = &prikke.MonitorFlip{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Event: ev,
			From: cur.Status, To: to, CreatedAt: at, Detail: "expected by " + at.Format(time.RFC3339)}
		if edit != nil {
			edit(fl)
		}
		cur.Status = to
		return []*prikke.MonitorFlip{fl}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// TestMonitorFlipsNotify: a monitor that goes down alerts every active
// channel of its project once (a real SMTP server, a signed loopback
// webhook with the documented payload), a muted flip is processed but sent
// nowhere, the flip of a deadline that passed while Prikke was down says
// so, the up flip says how long it was down, and every send is recorded
// with the monitor's ID.
func TestMonitorFlipsNotify(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		f.channel(t, prikke.ChannelEmail, "ops@example.com")
		f.channel(t, prikke.ChannelWebhook, f.sink.URL("/ok?kind=webhook"))
		m := f.newMonitor(t, "nightly <backup>")

		// Muted: claimed, sent nowhere.
		f.flip(t, m, prikke.EventMonitorDown, prikke.MonitorDown, storetest.T0.Add(time.Hour), func(fl *prikke.MonitorFlip) { fl.Muted = true })
		if n, err := f.n.Drain(ctx); err != nil || n != 1 {
			t.Fatalf("drained %d, %v; want the muted flip", n, err)
		}
		if f.sink.Count() != 0 || len(f.smtp.Messages()) != 0 {
			t.Fatal("a muted flip was sent")
		}
		f.flip(t, m, prikke.EventMonitorUp, prikke.MonitorUp, storetest.T0.Add(90*time.Minute), func(fl *prikke.MonitorFlip) { fl.Muted = true })

		down := f.flip(t, m, prikke.EventMonitorDown, prikke.MonitorDown, storetest.T0.Add(2*time.Hour), func(fl *prikke.MonitorFlip) {
			fl.PrikkeDown = true
			fl.Detail += "; Prikke was not running from … to …; the ping may have been lost on our side."
		})
		f.drain(t)
		f.drain(t) // nothing twice
		mails := f.smtp.Messages()
		if len(mails) != 1 || mails[0].To[0] != "ops@example.com" || mails[0].Subject != "[prikke] nightly <backup> is down" ||
			!strings.Contains(mails[0].Text, "No ping from nightly <backup>") || !strings.Contains(mails[0].Text, "lost on our side") {
			t.Fatalf("down mails = %+v", mails)
		}
		reqs := f.sink.Requests()
		if len(reqs) != 1 || !reqs[0].SignatureValid || reqs[0].WebhookID != "msg_"+strings.ReplaceAll(down.ID.String(), "-", "") {
			t.Fatalf("down webhooks = %+v", reqs)
		}
		var p notify.MonitorWebhookPayload
		if err := json.Unmarshal(reqs[0].Body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Type != "monitor.down" || p.Monitor.ID != m.ID.String() || p.Monitor.Slug != "backup" || p.Monitor.Status != "down" ||
			!p.PrikkeDown || p.Flip.ID != down.ID.String() || !strings.HasPrefix(p.Monitor.PingURL, "https://prikke.test/ping/") ||
			p.Monitor.LastPingAt == nil || !p.Monitor.LastPingAt.Equal(storetest.T0) {
			t.Errorf("payload = %+v", p)
		}

		f.flip(t, m, prikke.EventMonitorUp, prikke.MonitorUp, storetest.T0.Add(5*time.Hour), nil)
		f.drain(t)
		mails = f.smtp.Messages()
		if len(mails) != 2 || mails[1].Subject != "[prikke] nightly <backup> is up again" || !strings.Contains(mails[1].Text, "down for 3 h") {
			t.Fatalf("up mail = %+v", mails[len(mails)-1])
		}
		reqs = f.sink.Requests()
		if len(reqs) != 2 {
			t.Fatalf("%d webhooks; want 2", len(reqs))
		}
		json.Unmarshal(reqs[1].Body, &p)
		if p.Type != "monitor.up" || p.Flip.DownSince == nil || !p.Flip.DownSince.Equal(down.CreatedAt) || p.PrikkeDown {
			t.Errorf("up payload = %+v", p)
		}

		recs, err := s.NotificationList(ctx, store.NotificationFilter{MonitorID: &m.ID})
		if err != nil {
			t.Fatal(err)
		}
		events := map[prikke.NotificationEvent]int{}
		for _, r := range recs {
			if r.MonitorID == nil || *r.MonitorID != m.ID || r.JobID != nil || !r.OK || r.ChannelID == nil {
				t.Errorf("record = %+v", r)
			}
			events[r.Event]++
		}
		if events[prikke.EventMonitorDown] != 2 || events[prikke.EventMonitorUp] != 2 || len(recs) != 4 {
			t.Errorf("records = %v; want a down and an up per channel", events)
		}
	})
}

// TestMonitorFlipToGoneWebhook: a monitor alert that a channel refuses
// for good disables the channel, as a job alert does.
func TestMonitorFlipToGoneWebhook(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		f := setup(t, s)
		gone := f.channel(t, prikke.ChannelWebhook, f.sink.URL("/410"))
		m := f.newMonitor(t, "backup")
		f.flip(t, m, prikke.EventMonitorFailed, prikke.MonitorDown, storetest.T0.Add(time.Minute), func(fl *prikke.MonitorFlip) {
			fl.Detail = "exit status 3\ndisk full"
		})
		f.drain(t)
		c, err := s.ChannelGet(context.Background(), gone.ID)
		if err != nil || c.Enabled || c.FailureCount != 1 {
			t.Fatalf("channel = %+v, %v; want disabled", c, err)
		}
		recs, _ := s.NotificationList(context.Background(), store.NotificationFilter{MonitorID: &m.ID})
		if len(recs) != 1 || recs[0].OK || recs[0].Event != prikke.EventMonitorFailed {
			t.Errorf("records = %+v", recs)
		}
	})
}

// TestMonitorFlipClaimedByDeadNotifier: a notifier killed between claiming
// a flip and confirming it loses nothing. Its lease keeps the flip from
// the others until it ends; then another notifier sends it, with the same
// webhook-id as the first attempt so that the receiver can drop the
// duplicate, and confirms it, once.
func TestMonitorFlipClaimedByDeadNotifier(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		m := f.newMonitor(t, "backup")
		lease := store.MonitorFlipLease
		at := storetest.T0.Add(3 * time.Hour)
		drainAt := func(now time.Time) int {
			t.Helper()
			f.n.NowFunc = func() time.Time { return now }
			n, err := f.n.Drain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		msgID := func(fl *prikke.MonitorFlip) string { return "msg_" + strings.ReplaceAll(fl.ID.String(), "-", "") }

		// Killed right after the claim: nothing was sent.
		hook := f.channel(t, prikke.ChannelWebhook, f.sink.URL("/ok"))
		down := f.flip(t, m, prikke.EventMonitorDown, prikke.MonitorDown, at, nil)
		if got, err := s.MonitorFlipClaim(ctx, at, 50); err != nil || len(got) != 1 || got[0].ID != down.ID {
			t.Fatalf("dead notifier's claim = %v, %v", got, err)
		}
		if n := drainAt(at.Add(lease - time.Microsecond)); n != 0 || f.sink.Count() != 0 {
			t.Fatalf("inside the dead notifier's lease: drained %d, sent %d", n, f.sink.Count())
		}
		if n := drainAt(at.Add(lease)); n != 1 {
			t.Fatalf("after the lease: drained %d; want the dead notifier's flip", n)
		}
		if n := drainAt(at.Add(2 * lease)); n != 0 {
			t.Fatalf("after the confirmation: drained %d", n)
		}
		if reqs := f.sink.Requests(); len(reqs) != 1 || reqs[0].WebhookID != msgID(down) {
			t.Fatalf("webhooks = %+v; want the down flip once", reqs)
		}

		// Killed in the middle of a send: the receiver got the request
		// (but no answer was read); the next notifier sends it again with
		// the same webhook-id.
		hook.Target = f.sink.URL("/hang")
		if err := s.ChannelUpdate(ctx, hook); err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Hour)
		up := f.flip(t, m, prikke.EventMonitorUp, prikke.MonitorUp, at, nil)
		dying, kill := context.WithCancel(ctx)
		done := make(chan struct{})
		f.n.NowFunc = func() time.Time { return at }
		go func() {
			defer close(done)
			f.n.Drain(dying) // its error is the kill's
		}()
		if err := f.sink.WaitCount(ctx, 2); err != nil {
			t.Fatal(err)
		}
		kill()
		<-done
		hook.Target = f.sink.URL("/ok")
		if err := s.ChannelUpdate(ctx, hook); err != nil {
			t.Fatal(err)
		}
		if n := drainAt(at.Add(lease / 2)); n != 0 || f.sink.Count() != 2 {
			t.Fatalf("inside the lease: drained %d, %d requests", n, f.sink.Count())
		}
		if n := drainAt(at.Add(lease)); n != 1 {
			t.Fatalf("after the lease: drained %d", n)
		}
		drainAt(at.Add(3 * lease))
		reqs := f.sink.Requests()
		if len(reqs) != 3 || reqs[1].WebhookID != msgID(up) || reqs[2].WebhookID != msgID(up) || !reqs[2].SignatureValid {
			t.Fatalf("webhooks = %+v; want the up flip twice with one webhook-id", reqs)
		}
		fs, err := s.MonitorFlipList(ctx, m.ID, 10)
		if err != nil || len(fs) != 2 || fs[0].ProcessedAt == nil || !fs[0].ProcessedAt.Equal(at.Add(lease)) {
			t.Errorf("flips = %v, %v; want the up flip processed when it was sent", fs, err)
		}
	})
}
