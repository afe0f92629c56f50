package sqlitestore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlitestore"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestMigratePingKeys: projects from before monitors (migration 5) get
// distinct random ping keys, by which they are then found.
func TestMigratePingKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "old.db"),
		sqlitestore.OpenOptions{Options: store.Options{Sealer: storetest.Sealer(t)}, Exclusive: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.MigrateTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	t0 := storetest.T0.UnixMicro()
	org := prikke.NewID()
	projects := []prikke.ID{prikke.NewID(), prikke.NewID()}
	sealed, err := storetest.Sealer(t).Seal([]byte("whsec_dGVzdC1zZWNyZXQtbWlncmF0ZWQtMDEyMzQ1Njc4OWFiY2RlZg=="))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO organizations (id, name, tier, created_at, updated_at) VALUES ($1, 'old', 'pro', $2, $2)`,
		org.String(), t0); err != nil {
		t.Fatal(err)
	}
	for _, id := range projects {
		if _, err := s.DB().ExecContext(ctx, `INSERT INTO projects (id, organization_id, name, signing_secret, created_at, updated_at)
			VALUES ($1, $2, 'old', $3, $4, $4)`, id.String(), org.String(), sealed, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// An organization from before billing has its tier as its base tier.
	if o, err := s.OrganizationGet(ctx, org); err != nil || o.Tier != prikke.TierPro || o.BaseTier != prikke.TierPro {
		t.Errorf("an organization from before billing = %+v, %v; want tier and base tier pro", o, err)
	}
	keys := map[string]bool{}
	for _, id := range projects {
		p, err := s.ProjectGet(ctx, id)
		if err != nil || len(p.PingKey) != 22 || strings.Trim(p.PingKey, "0123456789abcdef") != "" {
			t.Fatalf("a project from before ping keys = %+v, %v; want 22 random hex digits", p, err)
		}
		keys[p.PingKey] = true
		if got, err := s.ProjectGetByPingKey(ctx, p.PingKey); err != nil || got.ID != id {
			t.Errorf("ProjectGetByPingKey(%s) = %+v, %v", p.PingKey, got, err)
		}
	}
	if len(keys) != len(projects) {
		t.Errorf("backfilled ping keys %v are not distinct", keys)
	}
}
