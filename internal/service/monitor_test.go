package service_test

import (
	"context"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// onStores runs fn with a service over each store.
func onStores(t *testing.T, fn func(t *testing.T, st store.Store, svc *service.Service)) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			svc := service.New(st, auth.NewHasher(), mail.NewMailbox(), delivery.New(delivery.Options{}),
				service.Config{BaseURL: "http://prikke.test"}, slog.New(slog.DiscardHandler))
			fn(t, st, svc)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestMonitorMethodsRefuseOtherTenants: every monitor method answers not
// found for another organization's monitor, ping or project, and changes
// nothing.
func TestMonitorMethodsRefuseOtherTenants(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, st store.Store, svc *service.Service) {
		ctx := context.Background()
		alice, mallory := storetest.NewTenant(t, st, prikke.TierPro), storetest.NewTenant(t, st, prikke.TierPro)
		asAlice, asMallory := &service.Actor{User: alice.User}, &service.Actor{User: mallory.User}
		m, err := svc.CreateMonitor(ctx, asAlice, &service.MonitorInput{Slug: ptr("backup"), Period: ptr("10m")})
		if err != nil {
			t.Fatal(err)
		}
		p := &prikke.Ping{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Kind: prikke.PingFail, Method: "GET", CreatedAt: time.Now().UTC()}
		if _, err := st.PingsRecord(ctx, []*prikke.Ping{p}, monitor.OnPing); err != nil {
			t.Fatal(err)
		}
		before, err := st.MonitorGet(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		until := time.Now().Add(time.Hour)
		calls := map[string]func() error{
			"Monitor": func() error { _, err := svc.Monitor(ctx, asMallory, m.ID); return err },
			"UpdateMonitor": func() error {
				_, err := svc.UpdateMonitor(ctx, asMallory, m.ID, &service.MonitorInput{Name: ptr("x")})
				return err
			},
			"PutMonitorBySlug": func() error {
				_, _, err := svc.PutMonitorBySlug(ctx, asMallory, alice.Project.ID, "backup", &service.MonitorInput{Name: ptr("x")})
				return err
			},
			"DeleteMonitor": func() error { return svc.DeleteMonitor(ctx, asMallory, m.ID) },
			"PauseMonitor":  func() error { _, err := svc.PauseMonitor(ctx, asMallory, m.ID); return err },
			"ResumeMonitor": func() error { _, err := svc.ResumeMonitor(ctx, asMallory, m.ID); return err },
			"SnoozeMonitor": func() error { _, err := svc.SnoozeMonitor(ctx, asMallory, m.ID, &until); return err },
			"SnoozeProject": func() error { _, err := svc.SnoozeProject(ctx, asMallory, alice.Project.ID, &until); return err },
			"MonitorPings":  func() error { _, err := svc.MonitorPings(ctx, asMallory, m.ID, service.PingFilter{}); return err },
			"MonitorPing":   func() error { _, err := svc.MonitorPing(ctx, asMallory, m.ID, p.ID); return err },
			"MonitorFlips":  func() error { _, err := svc.MonitorFlips(ctx, asMallory, m.ID, 10); return err },
			"Monitors": func() error {
				_, err := svc.Monitors(ctx, asMallory, service.MonitorFilter{ProjectID: &alice.Project.ID})
				return err
			},
			"SubscribeMonitorPings": func() error {
				_, sub, err := svc.SubscribeMonitorPings(ctx, asMallory, m.ID)
				if sub != nil {
					t.Error("SubscribeMonitorPings across tenants returned a subscription")
					sub.Close()
				}
				return err
			},
		}
		for name, call := range calls {
			if err := call(); prikke.ErrorCode(err) != prikke.ENOTFOUND {
				t.Errorf("%s across tenants: %v; want ENOTFOUND", name, err)
			}
		}
		after, err := st.MonitorGet(ctx, m.ID)
		if err != nil || after.Version != before.Version || after.Name != before.Name || after.SnoozeUntil != nil {
			t.Errorf("alice's monitor changed: %+v, %v", after, err)
		}
		if ms, err := svc.Monitors(ctx, asMallory, service.MonitorFilter{}); err != nil || len(ms) != 0 {
			t.Errorf("mallory lists %d monitors, %v; want none", len(ms), err)
		}

		// Alice's own reads work, and her subscription is live.
		if ps, err := svc.MonitorPings(ctx, asAlice, m.ID, service.PingFilter{}); err != nil || len(ps) != 1 {
			t.Errorf("alice's pings: %d, %v", len(ps), err)
		}
		_, sub, err := svc.SubscribeMonitorPings(ctx, asAlice, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		sub.Close()
	})
}

// TestPutMonitorBySlugConcurrently: PUTs of one new slug at once create
// one monitor, which every caller gets.
func TestPutMonitorBySlugConcurrently(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, st store.Store, svc *service.Service) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, st, prikke.TierPro)
		a := &service.Actor{User: tn.User}
		const n = 8
		var wg sync.WaitGroup
		ids, created, errs := make([]prikke.ID, n), make([]bool, n), make([]error, n)
		for i := range n {
			wg.Go(func() {
				var m *prikke.Monitor
				m, created[i], errs[i] = svc.PutMonitorBySlug(ctx, a, tn.Project.ID, "nightly", &service.MonitorInput{Period: ptr("1h")})
				if m != nil {
					ids[i] = m.ID
				}
			})
		}
		wg.Wait()
		nCreated := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("PUT %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Errorf("PUT %d got monitor %s, PUT 0 %s", i, ids[i], ids[0])
			}
			if created[i] {
				nCreated++
			}
		}
		if nCreated != 1 {
			t.Errorf("%d PUTs say they created it; want 1", nCreated)
		}
	})
}

// TestMonitorPublicLookups: the ping API's create by ping key (defaults,
// idempotent, the job limit) and the badge's lookup, which need no actor,
// and the public URLs.
func TestMonitorPublicLookups(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, st store.Store, svc *service.Service) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, st, prikke.TierFree)
		p, err := st.ProjectGet(ctx, tn.Project.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.PingKey == "" {
			t.Fatal("a new project has no ping key")
		}
		m, created, err := svc.CreateMonitorByPingKey(ctx, p.PingKey, "from-cron")
		if err != nil || !created {
			t.Fatalf("create by ping key: %v, %v", created, err)
		}
		if m.Name != "from-cron" || m.Period != prikke.DefaultMonitorPeriod || m.Grace != prikke.DefaultMonitorGrace || m.Status != prikke.MonitorNew {
			t.Errorf("created %+v", m)
		}
		again, created, err := svc.CreateMonitorByPingKey(ctx, p.PingKey, "from-cron")
		if err != nil || created || again.ID != m.ID {
			t.Errorf("again: %v, created %v, %v", again, created, err)
		}
		if _, _, err := svc.CreateMonitorByPingKey(ctx, "no-such-key", "x"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("unknown ping key: %v", err)
		}
		if _, _, err := svc.CreateMonitorByPingKey(ctx, p.PingKey, "Bad Slug"); prikke.ErrorCode(err) != prikke.EINVALID ||
			len(prikke.ErrorFields(err)) == 0 || prikke.ErrorFields(err)[0].Field != "slug" {
			t.Errorf("bad slug: %v", err)
		}
		for range 4 {
			storetest.NewJob(t, st, tn, nil)
		}
		if _, _, err := svc.CreateMonitorByPingKey(ctx, p.PingKey, "one-too-many"); prikke.ErrorCode(err) != prikke.ELIMIT {
			t.Errorf("over the Free limit: %v; want ELIMIT", err)
		}

		b, err := svc.MonitorByBadgeToken(ctx, m.BadgeToken)
		if err != nil || b.ID != m.ID {
			t.Errorf("by badge token: %v, %v", b, err)
		}
		for _, tok := range []string{"", "nope", m.PingToken} {
			if _, err := svc.MonitorByBadgeToken(ctx, tok); prikke.ErrorCode(err) != prikke.ENOTFOUND {
				t.Errorf("badge token %q: %v; want ENOTFOUND", tok, err)
			}
		}
		if got := svc.PingURL(m); !regexp.MustCompile(`^http://prikke\.test/ping/[0-9a-f-]{36}$`).MatchString(got) {
			t.Errorf("PingURL %q", got)
		}
		if got, want := svc.SlugPingURL(p, m), "http://prikke.test/ping/"+p.PingKey+"/from-cron"; got != want {
			t.Errorf("SlugPingURL %q; want %q", got, want)
		}
		if got := svc.BadgeURL(m); got != "http://prikke.test/badge/"+m.BadgeToken+".svg" || len(m.BadgeToken) < 22 {
			t.Errorf("BadgeURL %q", got)
		}
	})
}

// TestFormatDuration: durations are written as they are read back.
func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 90 * time.Second: "1m30s", 10 * time.Minute: "10m", 90 * time.Minute: "1h30m",
		24 * time.Hour: "24h", 1500 * time.Millisecond: "1.5s", time.Hour + time.Second: "1h0m1s",
	} {
		got := service.FormatDuration(d)
		if got != want {
			t.Errorf("FormatDuration(%v) = %q; want %q", d, got, want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != d {
			t.Errorf("%q reads back as %v, %v", got, back, err)
		}
	}
}
