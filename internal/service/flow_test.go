package service_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestFlowKeyService: the flow key methods the API and the dashboard
// share, on both stores: limits validated field by field (the key as
// "key"), a missing key ENOTFOUND (resume never creates one), another
// tenant's project ENOTFOUND for every method, and live figures read at
// the service's clock (a passed hold is not counted as held).
func TestFlowKeyService(t *testing.T) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			svc := service.New(st, auth.NewHasher(), mail.NewMailbox(), delivery.New(delivery.Options{}),
				service.Config{BaseURL: "http://prikke.test"}, slog.New(slog.DiscardHandler))
			now := time.Now().UTC().Truncate(time.Millisecond)
			svc.NowFunc = func() time.Time { return now }
			ctx := context.Background()
			alice := storetest.NewTenant(t, st, prikke.TierPro)
			mallory := storetest.NewTenant(t, st, prikke.TierPro)
			asAlice, asMallory := &service.Actor{User: alice.User}, &service.Actor{User: mallory.User}
			p := alice.Project.ID
			ptr := func(n int) *int { return &n }
			str := func(s string) *string { return &s }

			k, created, err := svc.PutFlowKey(ctx, asAlice, p, "api.example.com:443", &service.FlowKeyInput{Rate: ptr(20), Parallelism: ptr(5)})
			if err != nil || !created || k.Rate != 20 || k.Period != time.Second || k.Burst != 1 || k.Parallelism != 5 || !k.Configured {
				t.Fatalf("put = %+v, %v, %v", k, created, err)
			}
			if _, created, err = svc.PutFlowKey(ctx, asAlice, p, "api.example.com:443", &service.FlowKeyInput{Rate: ptr(20), Parallelism: ptr(5)}); err != nil || created {
				t.Errorf("put again: created %v, %v", created, err)
			}

			// Each bad field is named.
			for _, tc := range []struct {
				key   string
				in    service.FlowKeyInput
				field string
			}{
				{"k", service.FlowKeyInput{Rate: ptr(0)}, "rate"},
				{"k", service.FlowKeyInput{Rate: ptr(1), Period: str("61m")}, "period"},
				{"k", service.FlowKeyInput{Period: str("1s")}, "period"},
				{"k", service.FlowKeyInput{Rate: ptr(1), Burst: ptr(10_001)}, "burst"},
				{"k", service.FlowKeyInput{Burst: ptr(2)}, "burst"},
				{"k", service.FlowKeyInput{Parallelism: ptr(10_001)}, "parallelism"},
				{"a/b", service.FlowKeyInput{}, "key"},
				{"..", service.FlowKeyInput{}, "key"},
				{"a\u200fb", service.FlowKeyInput{}, "key"},
				{"bad\xffutf8", service.FlowKeyInput{}, "key"},
			} {
				_, _, err := svc.PutFlowKey(ctx, asAlice, p, tc.key, &tc.in)
				if fs := prikke.ErrorFields(err); prikke.ErrorCode(err) != prikke.EINVALID || len(fs) != 1 || fs[0].Field != tc.field {
					t.Errorf("put %q %+v: %v; want EINVALID on %s", tc.key, tc.in, err, tc.field)
				}
			}

			// Missing keys, and resume does not create one.
			if _, err := svc.FlowKey(ctx, asAlice, p, "billing"); prikke.ErrorCode(err) != prikke.ENOTFOUND || !strings.Contains(prikke.ErrorMessage(err), `"billing"`) {
				t.Errorf("missing key: %v", err)
			}
			if _, err := svc.ResumeFlowKey(ctx, asAlice, p, "billing"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
				t.Errorf("resume a missing key: %v", err)
			}
			if ks, err := svc.FlowKeys(ctx, asAlice, p); err != nil || len(ks) != 1 {
				t.Errorf("keys after resuming a missing one = %d, %v; want 1", len(ks), err)
			}
			if err := svc.DeleteFlowKey(ctx, asAlice, p, "billing"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
				t.Errorf("delete a missing key: %v", err)
			}

			// Another tenant: not found, whatever the method.
			notFound := func(what string, err error) {
				t.Helper()
				if prikke.ErrorCode(err) != prikke.ENOTFOUND {
					t.Errorf("%s across tenants: %v; want ENOTFOUND", what, err)
				}
			}
			_, _, err = svc.PutFlowKey(ctx, asMallory, p, "api.example.com:443", &service.FlowKeyInput{Rate: ptr(1)})
			notFound("PutFlowKey", err)
			_, _, err = svc.PutFlowKey(ctx, asMallory, p, "a/b", &service.FlowKeyInput{})
			notFound("PutFlowKey with a bad key", err)
			_, err = svc.FlowKey(ctx, asMallory, p, "api.example.com:443")
			notFound("FlowKey", err)
			_, err = svc.FlowKeys(ctx, asMallory, p)
			notFound("FlowKeys", err)
			_, err = svc.PauseFlowKey(ctx, asMallory, p, "api.example.com:443")
			notFound("PauseFlowKey", err)
			_, err = svc.ResumeFlowKey(ctx, asMallory, p, "api.example.com:443")
			notFound("ResumeFlowKey", err)
			_, err = svc.ReleaseFlowKey(ctx, asMallory, p, "api.example.com:443")
			notFound("ReleaseFlowKey", err)
			notFound("DeleteFlowKey", svc.DeleteFlowKey(ctx, asMallory, p, "api.example.com:443"))
			if k, err := svc.FlowKey(ctx, asAlice, p, "api.example.com:443"); err != nil || k.Rate != 20 || k.Paused {
				t.Errorf("alice's key after mallory: %+v, %v", k, err)
			}

			// Live figures at the service's clock: a hold that has passed
			// by it gives no next slot.
			if err := st.FlowKeyHold(ctx, p, "held", now.Add(time.Minute), "429 Too Many Requests, Retry-After 60s"); err != nil {
				t.Fatal(err)
			}
			k, err = svc.FlowKey(ctx, asAlice, p, "held")
			if err != nil || k.Configured || !k.Held(now) || k.NextSlot == nil || !k.NextSlot.Equal(now.Add(time.Minute)) {
				t.Errorf("held key = %+v, %v; want held, next slot at its end", k, err)
			}
			now = now.Add(2 * time.Minute)
			if k, err = svc.FlowKey(ctx, asAlice, p, "held"); err != nil || k.Held(now) || k.NextSlot != nil {
				t.Errorf("after the hold = %+v, %v; want no next slot", k, err)
			}
		})
	}
}
