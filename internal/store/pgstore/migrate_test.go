package pgstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestMigrateExecutionQueue upgrades a database whose executions were the
// queue (migration 2) holding a pending, a running and a finished
// execution: afterwards the pending one is claimed, the running one is
// rescued when its lease runs out, and the finished one stays history.
// Its projects, from before monitors, get ping keys.
func TestMigrateExecutionQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := storetest.NewSchemaName()
	s, err := pgstore.Open(ctx, storetest.PostgresURL(), store.Options{Sealer: storetest.Sealer(t), Schema: schema, Namespace: schema}, nil)
	if err == nil {
		err = s.Ping(ctx)
	}
	if err != nil {
		if storetest.RequirePostgres() {
			t.Fatal(err)
		}
		t.Skip("PostgreSQL is not reachable:", err)
	}
	t.Cleanup(func() {
		if err := s.DropSchema(context.Background()); err != nil && !strings.Contains(err.Error(), "does not exist") {
			t.Log(err)
		}
		s.Close()
	})
	if err := s.MigrateTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// The user and organization rows as migration 2 had them (users' time
	// zones and organizations' base tiers came later).
	t0 := storetest.T0
	tn := &storetest.Tenant{
		User: &prikke.User{ID: prikke.NewID(), Email: "migrated@example.com", PasswordHash: "$argon2id$test", CreatedAt: t0, UpdatedAt: t0},
		Org:  &prikke.Organization{ID: prikke.NewID(), Name: "migrated", Tier: prikke.TierPro, Personal: true, CreatedAt: t0, UpdatedAt: t0},
	}
	tn.Project = &prikke.Project{ID: prikke.NewID(), OrganizationID: tn.Org.ID, Name: "Default", AlertAfter: 1, CreatedAt: t0, UpdatedAt: t0,
		SigningSecret: "whsec_dGVzdC1zZWNyZXQtbWlncmF0ZWQtMDEyMzQ1Njc4OWFiY2RlZg=="}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
		tn.User.ID, tn.User.Email, tn.User.PasswordHash, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO organizations (id, name, tier, personal, created_at, updated_at) VALUES ($1, $2, $3, true, $4, $4)`,
		tn.Org.ID, tn.Org.Name, tn.Org.Tier, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)`,
		tn.Org.ID, tn.User.ID, t0); err != nil {
		t.Fatal(err)
	}
	// The project as migration 2 had it (ping keys came with monitors).
	sealed, err := storetest.Sealer(t).Seal([]byte(tn.Project.SigningSecret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO projects (id, organization_id, name, signing_secret, alert_after, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 1, $5, $5)`, tn.Project.ID, tn.Org.ID, tn.Project.Name, sealed, t0); err != nil {
		t.Fatal(err)
	}
	second := prikke.NewID()
	if _, err := s.Pool().Exec(ctx, `INSERT INTO projects (id, organization_id, name, signing_secret, alert_after, created_at, updated_at)
		VALUES ($1, $2, 'Second', $3, 1, $4, $4)`, second, tn.Org.ID, sealed, t0); err != nil {
		t.Fatal(err)
	}
	// The job row as migration 2 had it (alert policies came later).
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: tn.Project.ID, OrganizationID: tn.Org.ID}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO jobs (id, project_id, organization_id, kind, url, run_at, next_run_at, created_at, updated_at)
		VALUES ($1, $2, $3, 'once', 'https://example.com/hook', $4, $4, $4, $4)`, j.ID, j.ProjectID, j.OrganizationID, t0); err != nil {
		t.Fatal(err)
	}
	pending, running, done := prikke.NewID(), prikke.NewID(), prikke.NewID()
	insert := `INSERT INTO executions (id, job_id, project_id, organization_id, scheduled_for, due_at, attempt, status,
		claimed_by, claimed_at, lease_expires_at, finished_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $5)`
	rows := [][]any{
		{pending, t0, 1, "pending", "", nil, nil, nil},
		{running, t0.Add(-time.Hour), 1, "running", "gone-node", t0.Add(-time.Hour), t0.Add(-30 * time.Minute), nil},
		{done, t0.Add(-2 * time.Hour), 1, "success", "n1", t0.Add(-2 * time.Hour), nil, t0.Add(-2 * time.Hour)},
	}
	for _, r := range rows {
		args := append([]any{r[0], j.ID, j.ProjectID, j.OrganizationID, r[1]}, r[2:]...)
		if _, err := s.Pool().Exec(ctx, insert, args...); err != nil {
			t.Fatal(err)
		}
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if u, err := s.UserGet(ctx, tn.User.ID); err != nil || u.TimeZone != "UTC" {
		t.Errorf("a user from before time zones = %+v, %v; want the zone UTC", u, err)
	}
	// An organization from before billing has its tier as its base tier.
	if o, err := s.OrganizationGet(ctx, tn.Org.ID); err != nil || o.BaseTier != prikke.TierPro || o.Tier != prikke.TierPro {
		t.Errorf("an organization from before billing = %+v, %v; want tier and base tier pro", o, err)
	}
	// Projects from before monitors get distinct random ping keys.
	keys := map[string]bool{}
	for _, id := range []prikke.ID{tn.Project.ID, second} {
		p, err := s.ProjectGet(ctx, id)
		if err != nil || len(p.PingKey) != 22 || strings.Trim(p.PingKey, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			t.Fatalf("a project from before ping keys = %+v, %v; want a 22-character URL-safe key", p, err)
		}
		keys[p.PingKey] = true
		if got, err := s.ProjectGetByPingKey(ctx, p.PingKey); err != nil || got.ID != id || got.SigningSecret != tn.Project.SigningSecret {
			t.Errorf("ProjectGetByPingKey(%s) = %+v, %v", p.PingKey, got, err)
		}
	}
	if len(keys) != 2 {
		t.Errorf("backfilled ping keys %v are not distinct", keys)
	}
	var queued []string
	qr, err := s.Pool().Query(ctx, "SELECT id::text || ' ' || coalesce(claimed_by, '') || ' ' || (lease_expires_at IS NULL)::text FROM execution_queue ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for qr.Next() {
		var line string
		if err := qr.Scan(&line); err != nil {
			t.Fatal(err)
		}
		queued = append(queued, line)
	}
	if want := []string{pending.String() + "  true", running.String() + " gone-node false"}; strings.Join(queued, "\n") != strings.Join(want, "\n") {
		t.Fatalf("queue after migration:\n%s\nwant:\n%s", strings.Join(queued, "\n"), strings.Join(want, "\n"))
	}
	if due, inFlight, err := s.ExecutionQueueDepth(ctx, t0); err != nil || due != 1 || inFlight != 1 {
		t.Errorf("queue depth = %d due, %d running, %v; want 1, 1", due, inFlight, err)
	}

	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n2", Limit: 10, Now: t0, LeaseGrace: time.Second, DefaultOrgRoom: 10})
	if err != nil || len(res.Claimed) != 1 || res.Claimed[0].Execution.ID != pending {
		t.Fatalf("claim after migration = %+v, %v; want the pending execution", res, err)
	}
	if n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: t0, Limit: 10}); err != nil || n != 1 {
		t.Fatalf("rescue after migration = %d, %v; want the running execution", n, err)
	}
	got, err := s.ExecutionGet(ctx, running)
	if err != nil || got.Status == prikke.ExecutionStatusRunning {
		t.Errorf("rescued execution = %+v, %v; want it finished", got, err)
	}
	if got, err := s.ExecutionGet(ctx, done); err != nil || got.Status != prikke.ExecutionStatusSuccess {
		t.Errorf("finished execution = %+v, %v", got, err)
	}
}

// MigrationVersions (what /readyz asks) answers while another node holds
// the migration lock: a readiness probe never waits behind a migration.
func TestMigrationVersionsBesideALock(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t).(*pgstore.Store)
	ctx := context.Background()
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", s.MigrateLockKey()); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", s.MigrateLockKey())
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	applied, needed, err := s.MigrationVersions(qctx)
	if err != nil || applied == 0 || applied < needed {
		t.Errorf("MigrationVersions beside the migration lock = %d, %d, %v; want every needed migration applied", applied, needed, err)
	}
}
