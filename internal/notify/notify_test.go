package notify_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/mail/mailtest"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/notify"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

type fixture struct {
	s     store.Store
	tn    *storetest.Tenant
	smtp  *mailtest.Server
	sink  *sink.Sink
	n     *notify.Notifier
	job   *prikke.Job
	clock time.Time
}

func setup(t *testing.T, s store.Store) *fixture {
	t.Helper()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	srv := mailtest.NewServer(t)
	mailer, err := mail.NewSMTP(mail.SMTPConfig{Host: srv.Host(), Port: srv.Port(), From: "Prikke <alerts@prikke.test>", TLS: mail.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	sk, err := sink.Start(sink.Options{Secrets: []string{tn.Project.SigningSecret}, RecordHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sk.Close)
	client := delivery.New(delivery.Options{Allow: []netip.AddrPort{sk.Addr()}})
	t.Cleanup(client.Close)
	n := notify.New(s, mailer, client, "https://prikke.test", metrics.New(), slog.New(slog.DiscardHandler))
	f := &fixture{s: s, tn: tn, smtp: srv, sink: sk, n: n, clock: storetest.T0}
	f.job = storetest.NewJob(t, s, tn, func(j *prikke.Job) { j.Name = "nightly <report>" })
	return f
}

func (f *fixture) channel(t *testing.T, kind prikke.ChannelKind, target string) *prikke.Channel {
	t.Helper()
	now := storetest.T0
	c := &prikke.Channel{ID: prikke.NewID(), ProjectID: f.tn.Project.ID, Kind: kind, Name: string(kind), Target: target,
		Enabled: true, CreatedAt: now, UpdatedAt: now}
	if kind == prikke.ChannelEmail {
		c.ConfirmedAt = &now
	}
	if err := f.s.ChannelCreate(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// run records one run of the job with the given outcome.
func (f *fixture) run(t *testing.T, st prikke.ExecutionStatus, code int) {
	t.Helper()
	ctx := context.Background()
	f.clock = f.clock.Add(time.Minute)
	storetest.NewExecution(t, f.s, f.job, prikke.TierPro, f.clock)
	res, err := f.s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 1, Now: f.clock})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v", err)
	}
	c := res.Claimed[0]
	h := store.HealthFailure
	if st == prikke.ExecutionStatusSuccess {
		h = store.HealthSuccess
	}
	cp := &store.Completion{ExecutionID: c.Execution.ID, JobID: f.job.ID, OrganizationID: f.tn.Org.ID, Attempt: 1, Status: st,
		StartedAt: f.clock, FinishedAt: f.clock.Add(time.Second), ResponseStatus: code, Health: h}
	if st != prikke.ExecutionStatusSuccess {
		cp.Error = "HTTP 503"
	}
	if _, err := f.s.ExecutionComplete(ctx, "n", []*store.Completion{cp}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) drain(t *testing.T) {
	t.Helper()
	if _, err := f.n.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestFlipsNotifyOncePerChannel: a failing job sends exactly one failure
// notice per channel, and one recovery notice on its first success.
func TestFlipsNotifyOncePerChannel(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		f := setup(t, s)
		f.channel(t, prikke.ChannelEmail, "ops@example.com")
		f.channel(t, prikke.ChannelWebhook, f.sink.URL("/ok?kind=webhook"))
		f.channel(t, prikke.ChannelSlack, f.sink.URL("/ok?kind=slack"))
		f.channel(t, prikke.ChannelDiscord, f.sink.URL("/ok?kind=discord"))
		unconfirmed := f.channel(t, prikke.ChannelEmail, "unconfirmed@example.com")
		unconfirmed.ConfirmedAt = nil
		if err := s.ChannelUpdate(context.Background(), unconfirmed); err != nil {
			t.Fatal(err)
		}

		f.run(t, prikke.ExecutionStatusSuccess, 200)
		f.drain(t)
		if f.sink.Count() != 0 || len(f.smtp.Messages()) != 0 {
			t.Fatal("a healthy run notified someone")
		}
		for range 3 {
			f.run(t, prikke.ExecutionStatusFailed, 503)
			f.drain(t)
		}
		mails := f.smtp.Messages()
		if len(mails) != 1 || mails[0].To[0] != "ops@example.com" || !strings.Contains(mails[0].Subject, "is failing") ||
			!strings.Contains(mails[0].Text, "503") {
			t.Fatalf("failure mails = %+v", mails)
		}
		kinds := map[string]int{}
		for _, r := range f.sink.Requests() {
			kinds[strings.TrimPrefix(r.Query, "kind=")]++
			if !r.SignatureValid {
				t.Errorf("notification to %s not signed: %s", r.Query, r.SignatureError)
			}
		}
		if kinds["webhook"] != 1 || kinds["slack"] != 1 || kinds["discord"] != 1 {
			t.Fatalf("failure webhooks = %v; want one per channel", kinds)
		}
		for range 2 {
			f.run(t, prikke.ExecutionStatusSuccess, 200)
			f.drain(t)
		}
		mails = f.smtp.Messages()
		if len(mails) != 2 || !strings.Contains(mails[1].Subject, "recovered") {
			t.Fatalf("after recovery mails = %d: %+v", len(mails), mails)
		}
		if f.sink.Count() != 6 {
			t.Errorf("webhook sends = %d, want 6 (failing and recovered, per channel)", f.sink.Count())
		}
		var body notify.WebhookPayload
		for _, r := range f.sink.Requests() {
			if r.Query == "kind=webhook" {
				if err := json.Unmarshal(r.Body, &body); err != nil {
					t.Fatal(err)
				}
			}
		}
		if body.Type != "job.recovered" || body.Job.ID != f.job.ID.String() || body.Execution == nil ||
			body.Execution.Status != "success" || body.Project.Name != "Default" {
			t.Errorf("webhook payload = %+v", body)
		}
		ns, err := s.NotificationList(context.Background(), store.NotificationFilter{ProjectID: &f.tn.Project.ID, Limit: 100})
		if err != nil || len(ns) != 8 {
			t.Fatalf("recorded notifications = %d, %v; want 8", len(ns), err)
		}
		for _, n := range ns {
			if !n.OK || n.JobID == nil || *n.JobID != f.job.ID {
				t.Errorf("notification record = %+v", n)
			}
		}
	})
}

// TestPermanentFailureDisablesChannel: a webhook answering 410 is disabled
// at once and the project's owners are told by email; a muted job notifies
// nobody.
func TestPermanentFailureDisablesChannel(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		f := setup(t, s)
		gone := f.channel(t, prikke.ChannelWebhook, f.sink.URL("/410"))
		flaky := f.channel(t, prikke.ChannelWebhook, f.sink.URL("/500"))
		bounced := f.channel(t, prikke.ChannelEmail, "nobody@example.com")
		f.smtp.RejectRecipient("nobody@example.com")
		f.run(t, prikke.ExecutionStatusFailed, 500)
		f.drain(t)
		ctx := context.Background()
		g, _ := s.ChannelGet(ctx, gone.ID)
		if g.Enabled || g.DisabledReason == "" || g.FailureCount != 1 {
			t.Errorf("410 channel = %+v; want disabled", g)
		}
		b, _ := s.ChannelGet(ctx, bounced.ID)
		if b.Enabled {
			t.Errorf("a rejected address must disable its channel: %+v", b)
		}
		fl, _ := s.ChannelGet(ctx, flaky.ID)
		if !fl.Enabled || fl.FailureCount != 1 || !strings.Contains(fl.LastError, "500") {
			t.Errorf("transient failure = %+v; want counted, still enabled", fl)
		}
		owners := 0
		for _, m := range f.smtp.Messages() {
			if m.To[0] == f.tn.User.Email && strings.Contains(m.Subject, "turned off") {
				owners++
			}
		}
		if owners != 2 {
			t.Errorf("owner mails about disabled channels = %d, want 2", owners)
		}
		// Transient failures disable the channel after enough in a row.
		for i := 0; i < 20 && fl.Enabled; i++ {
			f.run(t, prikke.ExecutionStatusSuccess, 200)
			f.run(t, prikke.ExecutionStatusFailed, 500)
			f.drain(t)
			fl, _ = s.ChannelGet(ctx, flaky.ID)
		}
		if fl.Enabled || fl.FailureCount != prikke.ChannelFailuresBeforeDisable {
			t.Errorf("flaky channel = enabled %v after %d failures; want disabled at %d", fl.Enabled, fl.FailureCount, prikke.ChannelFailuresBeforeDisable)
		}

		// Muted: nothing is sent.
		before := f.sink.Count()
		f.job.NotifyMode = prikke.NotifyMuted
		if err := s.JobUpdate(ctx, f.job); err != nil {
			t.Fatal(err)
		}
		f.channel(t, prikke.ChannelWebhook, f.sink.URL("/ok"))
		f.run(t, prikke.ExecutionStatusSuccess, 200)
		f.run(t, prikke.ExecutionStatusFailed, 500)
		f.drain(t)
		if f.sink.Count() != before {
			t.Errorf("a muted job notified %d times", f.sink.Count()-before)
		}
	})
}

// TestQuotaMailsOnce: owners and admins hear about 80% and 100% once per
// month, whatever the number of crossings reported.
func TestQuotaMailsOnce(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		f := setup(t, s)
		ctx := context.Background()
		q := store.QuotaCrossing{OrganizationID: f.tn.Org.ID, Month: "2026-11", Used: 4000, Limit: 5000}
		f.n.Quota(ctx, q)
		f.n.Quota(ctx, q)
		q.Used = 5000
		f.n.Quota(ctx, q)
		f.n.Quota(ctx, q)
		ms := f.smtp.Messages()
		if len(ms) != 2 || !strings.Contains(ms[0].Subject, "80%") || !strings.Contains(ms[1].Text, "5,000") && !strings.Contains(ms[1].Text, "5000") {
			for _, m := range ms {
				t.Logf("%s", m.Subject)
			}
			t.Fatalf("quota mails = %d", len(ms))
		}
	})
}

// TestSendTest: "send test notification" reaches the channel and is recorded.
func TestSendTest(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	f := setup(t, s)
	for _, c := range []*prikke.Channel{
		f.channel(t, prikke.ChannelEmail, "ops@example.com"),
		f.channel(t, prikke.ChannelSlack, f.sink.URL("/ok")),
		f.channel(t, prikke.ChannelDiscord, f.sink.URL("/ok")),
	} {
		if err := f.n.Test(context.Background(), c, "me@example.com"); err != nil {
			t.Errorf("test to %s: %v", c.Kind, err)
		}
	}
	bad := f.channel(t, prikke.ChannelWebhook, f.sink.URL("/410"))
	if err := f.n.Test(context.Background(), bad, ""); err == nil {
		t.Error("a test to a 410 endpoint reported success")
	}
	if c, _ := s.ChannelGet(context.Background(), bad.ID); !c.Enabled {
		t.Error("a failed test disabled the channel")
	}
	if len(f.smtp.Messages()) != 1 || f.sink.Count() != 3 {
		t.Errorf("mails %d, webhooks %d", len(f.smtp.Messages()), f.sink.Count())
	}
}

// TestMutedFlipsAreNotSent: a job snoozed until its second run fails
// muted (the flip is kept, processed, and sent to nobody); its first run
// after the snooze sends the held failure once.
func TestMutedFlipsAreNotSent(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		f.channel(t, prikke.ChannelWebhook, f.sink.URL("/ok?kind=webhook"))
		until := storetest.T0.Add(2 * time.Minute)
		f.job.AlertPolicy.SnoozeUntil = &until
		if err := s.JobUpdate(ctx, f.job); err != nil {
			t.Fatal(err)
		}
		f.run(t, prikke.ExecutionStatusFailed, 503) // at T0+1m: snoozed
		if n, err := f.n.Drain(ctx); err != nil || n != 1 {
			t.Fatalf("drained %d flips, %v; want the muted one", n, err)
		}
		if f.sink.Count() != 0 {
			t.Fatalf("a muted flip was sent %d times", f.sink.Count())
		}
		if n, _ := f.n.Drain(ctx); n != 0 {
			t.Fatalf("the muted flip was left unprocessed (%d drained again)", n)
		}
		f.run(t, prikke.ExecutionStatusFailed, 503) // at T0+2m: the snooze is over
		f.drain(t)
		f.run(t, prikke.ExecutionStatusFailed, 503)
		f.drain(t)
		if f.sink.Count() != 1 {
			t.Fatalf("after the snooze: %d sends, want the held failure once", f.sink.Count())
		}
		var body notify.WebhookPayload
		if err := json.Unmarshal(f.sink.Requests()[0].Body, &body); err != nil || body.Type != "job.failing" {
			t.Errorf("held alert = %+v, %v", body, err)
		}
	})
}

// TestQuotaUpgradeOnlyWithBilling: the quota mail of a Free organization
// suggests upgrading only when this Prikke sells plans.
func TestQuotaUpgradeOnlyWithBilling(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	f := setup(t, s)
	ctx := context.Background()
	for i, billing := range []bool{false, true} {
		f.n.Billing = billing
		free := storetest.NewTenant(t, s, prikke.TierFree)
		f.n.Quota(ctx, store.QuotaCrossing{OrganizationID: free.Org.ID, Month: "2026-11", Used: 5000, Limit: 5000})
		ms := f.smtp.Messages()
		if len(ms) != i+1 {
			t.Fatalf("billing %v: %d quota mails so far, want %d", billing, len(ms), i+1)
		}
		if got := strings.Contains(ms[i].Text, "Upgrading to Pro"); got != billing {
			t.Errorf("billing %v: the mail offers the upgrade: %v\n%s", billing, got, ms[i].Text)
		}
	}
}
