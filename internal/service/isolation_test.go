package service_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestDashboardReadsRefuseOtherTenants checks the reads the dashboard
// makes beside its pages' own (the key named after a revoke, the jobs of
// the notification log, the job page's event stream): each is refused,
// as not found, for an id of another organization or outside a
// project-limited key's project, and a viewer gets what its role allows,
// on both stores.
func TestDashboardReadsRefuseOtherTenants(t *testing.T) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			svc := service.New(st, auth.NewHasher(), mail.NewMailbox(), delivery.New(delivery.Options{}),
				service.Config{BaseURL: "http://prikke.test"}, slog.New(slog.DiscardHandler))
			ctx := context.Background()
			alice := storetest.NewTenant(t, st, prikke.TierPro)
			mallory := storetest.NewTenant(t, st, prikke.TierFree)
			asAlice, asMallory := &service.Actor{User: alice.User}, &service.Actor{User: mallory.User}
			job := storetest.NewJob(t, st, alice, nil)
			_, key, err := svc.CreateAPIKey(ctx, asAlice, alice.Org.ID, service.APIKeyInput{Name: "ci"})
			if err != nil {
				t.Fatal(err)
			}

			// Alice sees her own.
			if k, err := svc.APIKey(ctx, asAlice, key.ID); err != nil || k.ID != key.ID {
				t.Fatalf("own key: %v, %v", k, err)
			}
			if j, err := svc.ProjectJob(ctx, asAlice, alice.Project.ID, job.ID); err != nil || j.ID != job.ID {
				t.Fatalf("own job: %v, %v", j, err)
			}
			j, sub, err := svc.SubscribeExecutions(ctx, asAlice, job.ID)
			if err != nil || j.ID != job.ID {
				t.Fatalf("own job's events: %v, %v", j, err)
			}
			sub.Close()

			// Mallory gets not found for every one of Alice's ids.
			notFound := func(what string, err error) {
				t.Helper()
				if prikke.ErrorCode(err) != prikke.ENOTFOUND {
					t.Errorf("%s across tenants: got %v, want ENOTFOUND", what, err)
				}
			}
			_, err = svc.APIKey(ctx, asMallory, key.ID)
			notFound("APIKey", err)
			_, err = svc.ProjectJob(ctx, asMallory, alice.Project.ID, job.ID)
			notFound("ProjectJob", err)
			_, err = svc.ProjectJob(ctx, asMallory, mallory.Project.ID, job.ID)
			notFound("ProjectJob under her own project", err)
			_, sub, err = svc.SubscribeExecutions(ctx, asMallory, job.ID)
			notFound("SubscribeExecutions", err)
			if sub != nil {
				t.Error("SubscribeExecutions across tenants returned a subscription")
			}

			// A job asked for under a project it is not in is not found,
			// even for its own tenant.
			otherName := "Other"
			other, err := svc.CreateProject(ctx, asAlice, alice.Org.ID, service.ProjectInput{Name: &otherName})
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.ProjectJob(ctx, asAlice, other.ID, job.ID)
			notFound("ProjectJob under another project", err)

			// A viewer of Alice's organization sees the job and its events,
			// and, like RevokeAPIKey, is refused the key by role (403: the
			// organization is hers to see).
			viewer := storetest.NewTenant(t, st, prikke.TierFree).User
			if err := st.MembershipCreate(ctx, &prikke.Membership{OrganizationID: alice.Org.ID, UserID: viewer.ID,
				Role: prikke.RoleViewer, CreatedAt: storetest.T0}); err != nil {
				t.Fatal(err)
			}
			asViewer := &service.Actor{User: viewer}
			if j, err := svc.ProjectJob(ctx, asViewer, alice.Project.ID, job.ID); err != nil || j.ID != job.ID {
				t.Fatalf("viewer, ProjectJob: %v, %v", j, err)
			}
			if _, sub, err := svc.SubscribeExecutions(ctx, asViewer, job.ID); err != nil {
				t.Fatalf("viewer, SubscribeExecutions: %v", err)
			} else {
				sub.Close()
			}
			if _, err := svc.APIKey(ctx, asViewer, key.ID); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
				t.Errorf("viewer, APIKey: got %v, want EFORBIDDEN as RevokeAPIKey gives", err)
			}
			if err := svc.RevokeAPIKey(ctx, asViewer, key.ID); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
				t.Errorf("viewer, RevokeAPIKey: got %v, want EFORBIDDEN", err)
			}

			// A key limited to Alice's other project sees neither the
			// organization's key nor the default project's job.
			_, limited, err := svc.CreateAPIKey(ctx, asAlice, alice.Org.ID, service.APIKeyInput{Name: "other only", ProjectID: &other.ID})
			if err != nil {
				t.Fatal(err)
			}
			asLimited := &service.Actor{APIKey: limited}
			_, err = svc.APIKey(ctx, asLimited, key.ID)
			notFound("APIKey with a key limited to another project", err)
			if k, err := svc.APIKey(ctx, asLimited, limited.ID); err != nil || k.ID != limited.ID {
				t.Fatalf("limited key, its own: %v, %v", k, err)
			}
			_, err = svc.ProjectJob(ctx, asLimited, alice.Project.ID, job.ID)
			notFound("ProjectJob with a key limited to another project", err)
			_, _, err = svc.SubscribeExecutions(ctx, asLimited, job.ID)
			notFound("SubscribeExecutions with a key limited to another project", err)
		})
	}
}
