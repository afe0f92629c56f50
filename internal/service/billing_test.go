package service_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/billing/billingtest"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestBillingRefusesOtherTenants checks every billing operation the
// dashboard calls: another organization's billing is not found (not
// forbidden) for a user and for an API key, and nothing reaches Lemon
// Squeezy; within the organization a viewer reads billing but may not
// upgrade, manage or claim, and an admin may; on both stores.
func TestBillingRefusesOtherTenants(t *testing.T) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			fake := billingtest.New(t)
			svc := service.New(st, auth.NewHasher(), mail.NewMailbox(), delivery.New(delivery.Options{}),
				service.Config{BaseURL: "http://prikke.test", Billing: service.Billing{Provider: billing.New(fake.Config()),
					SigningSecret: billingtest.Secret, ProVariantID: billingtest.ProVariantID}}, slog.New(slog.DiscardHandler))
			ctx := context.Background()
			alice := storetest.NewTenant(t, st, prikke.TierFree)
			mallory := storetest.NewTenant(t, st, prikke.TierFree)
			asMallory := &service.Actor{User: mallory.User}
			_, malloryKey, err := svc.CreateAPIKey(ctx, asMallory, mallory.Org.ID, service.APIKeyInput{Name: "ci"})
			if err != nil {
				t.Fatal(err)
			}
			asMalloryKey := &service.Actor{APIKey: malloryKey}

			now := time.Now().UTC().Truncate(time.Microsecond)
			sub := billingtest.ProSubscription("1", now.Add(-time.Minute))
			body := billingtest.SubscriptionEvent("subscription_created", sub, alice.Org.ID.String(), false)
			if res, err := svc.BillingWebhook(ctx, body, billingtest.Sign(billingtest.Secret, body)); err != nil || res.Outcome != prikke.BillingApplied {
				t.Fatalf("webhook: %+v, %v", res, err)
			}
			fake.PutSubscription(sub)
			loose := billingtest.ProSubscription("2", now.Add(-time.Minute))
			loose.CustomerEmail = mallory.User.Email
			body = billingtest.SubscriptionEvent("subscription_created", loose, "", false)
			if res, err := svc.BillingWebhook(ctx, body, billingtest.Sign(billingtest.Secret, body)); err != nil || res.Outcome != prikke.BillingUnclaimed {
				t.Fatalf("webhook: %+v, %v", res, err)
			}

			ops := map[string]func(a *service.Actor) error{
				"BillingInfo": func(a *service.Actor) error { _, err := svc.BillingInfo(ctx, a, alice.Org.ID); return err },
				"Checkout":    func(a *service.Actor) error { _, err := svc.Checkout(ctx, a, alice.Org.ID); return err },
				"BillingPortal": func(a *service.Actor) error {
					_, err := svc.BillingPortal(ctx, a, alice.Org.ID)
					return err
				},
				"ClaimSubscription": func(a *service.Actor) error { return svc.ClaimSubscription(ctx, a, alice.Org.ID, "2") },
			}
			for op, call := range ops {
				for who, a := range map[string]*service.Actor{"user": asMallory, "API key": asMalloryKey} {
					if err := call(a); prikke.ErrorCode(err) != prikke.ENOTFOUND {
						t.Errorf("%s on another organization by %s: %v; want ENOTFOUND", op, who, err)
					}
				}
			}
			if fake.PortalHits() != 0 || len(fake.Checkouts()) != 0 {
				t.Errorf("refused calls reached Lemon Squeezy: %d portal hits, %d checkouts", fake.PortalHits(), len(fake.Checkouts()))
			}
			if s, err := st.SubscriptionGet(ctx, "2"); err != nil || s.OrganizationID != nil {
				t.Errorf("subscription 2 = %+v, %v; want still unclaimed", s, err)
			}

			// A key limited to one project sees nothing of the organization's billing.
			_, projectKey, err := svc.CreateAPIKey(ctx, &service.Actor{User: alice.User}, alice.Org.ID,
				service.APIKeyInput{Name: "one project", ProjectID: &alice.Project.ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.BillingInfo(ctx, &service.Actor{APIKey: projectKey}, alice.Org.ID); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
				t.Errorf("BillingInfo with a key limited to one project: %v; want EFORBIDDEN", err)
			}

			// A viewer reads, an admin manages.
			viewer := storetest.NewTenant(t, st, prikke.TierFree)
			admin := storetest.NewTenant(t, st, prikke.TierFree)
			for _, m := range []*prikke.Membership{
				{OrganizationID: alice.Org.ID, UserID: viewer.User.ID, Role: prikke.RoleViewer, CreatedAt: now},
				{OrganizationID: alice.Org.ID, UserID: admin.User.ID, Role: prikke.RoleAdmin, CreatedAt: now},
			} {
				if err := st.MembershipCreate(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			asViewer, asAdmin := &service.Actor{User: viewer.User}, &service.Actor{User: admin.User}
			b, err := svc.BillingInfo(ctx, asViewer, alice.Org.ID)
			if err != nil || b.Tier != prikke.TierPro || b.Subscription == nil || b.Subscription.ID != "1" || b.CanManage || len(b.Events) != 1 {
				t.Errorf("a viewer's billing: %+v, %v; want Pro with subscription 1, its event, and no management", b, err)
			}
			for _, op := range []string{"Checkout", "BillingPortal", "ClaimSubscription"} {
				if err := ops[op](asViewer); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
					t.Errorf("%s by a viewer: %v; want EFORBIDDEN", op, err)
				}
			}
			b, err = svc.BillingInfo(ctx, asAdmin, alice.Org.ID)
			if err != nil || !b.CanManage {
				t.Errorf("an admin's billing: %+v, %v; want can manage", b, err)
			}
			link, err := svc.BillingPortal(ctx, asAdmin, alice.Org.ID)
			if err != nil || !strings.HasPrefix(link, fake.URL+"/portal/1") {
				t.Errorf("an admin's portal: %q, %v", link, err)
			}
			// Mallory's own claim works, on her own organization.
			if err := svc.ClaimSubscription(ctx, asMallory, mallory.Org.ID, "2"); err != nil {
				t.Errorf("mallory claims her own subscription: %v", err)
			}
			if b, err := svc.BillingInfo(ctx, asMallory, mallory.Org.ID); err != nil || b.Tier != prikke.TierPro {
				t.Errorf("mallory's billing after her claim: %+v, %v; want Pro", b, err)
			}
		})
	}
}

// A staging Prikke (test mode on) takes test-mode events; a Prikke with a
// provider but no signing secret takes no webhook at all.
func TestBillingWebhookConfig(t *testing.T) {
	t.Parallel()
	st := storetest.OpenSQLite(t)
	fake := billingtest.New(t)
	newSvc := func(b service.Billing) *service.Service {
		return service.New(st, auth.NewHasher(), mail.NewMailbox(), delivery.New(delivery.Options{}),
			service.Config{BaseURL: "http://prikke.test", Billing: b}, slog.New(slog.DiscardHandler))
	}
	ctx := context.Background()
	tn := storetest.NewTenant(t, st, prikke.TierFree)
	sub := billingtest.ProSubscription("1", time.Now().UTC().Truncate(time.Microsecond).Add(-time.Minute))
	sub.TestMode = true
	body := billingtest.SubscriptionEvent("subscription_created", sub, tn.Org.ID.String(), true)
	sig := billingtest.Sign(billingtest.Secret, body)

	noSecret := newSvc(service.Billing{Provider: billing.New(fake.Config()), ProVariantID: billingtest.ProVariantID})
	if _, err := noSecret.BillingWebhook(ctx, body, sig); prikke.ErrorCode(err) != prikke.EUNAUTHORIZED {
		t.Errorf("no signing secret: %v; want EUNAUTHORIZED", err)
	}
	staging := newSvc(service.Billing{Provider: billing.New(fake.Config()), SigningSecret: billingtest.Secret,
		ProVariantID: billingtest.ProVariantID, TestMode: true})
	res, err := staging.BillingWebhook(ctx, body, sig)
	if err != nil || res.Outcome != prikke.BillingApplied || res.Event != "subscription_created" {
		t.Fatalf("a test-mode event on staging: %+v, %v; want applied", res, err)
	}
	o, err := st.OrganizationGet(ctx, tn.Org.ID)
	if err != nil || o.Tier != prikke.TierPro {
		t.Errorf("tier after the staging webhook: %v, %v; want pro (applied at once)", o, err)
	}
}
