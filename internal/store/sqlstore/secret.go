package sqlstore

import (
	"context"

	"github.com/prikke/prikke"
)

// Project secrets: values sealed with the store's Sealer, like signing
// secrets; lists never carry them.

// SecretPut implements store.Store.
func (r *Records) SecretPut(ctx context.Context, s *prikke.Secret) error {
	sealed, err := r.sealer.Seal([]byte(s.Value))
	if err != nil {
		return r.fail("put secret", err)
	}
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = s.CreatedAt
	}
	return r.inTx(ctx, "put secret", func(tx Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM project_secrets WHERE project_id = $1 AND name = $2)",
			s.ProjectID, s.Name).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM project_secrets WHERE project_id = $1", s.ProjectID).Scan(&n); err != nil {
				return err
			}
			if n >= prikke.MaxSecretsPerProject {
				return prikke.Errorf(prikke.EINVALID, "A project has at most %d secrets; delete one first.", prikke.MaxSecretsPerProject)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO project_secrets (project_id, name, value, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (project_id, name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
			s.ProjectID, s.Name, sealed, r.d.Time(s.CreatedAt), r.d.Time(s.UpdatedAt))
		return err
	})
}

// SecretList implements store.Store.
func (r *Records) SecretList(ctx context.Context, projectID prikke.ID) ([]*prikke.Secret, error) {
	return list(ctx, r, "list secrets", func(row Row) (*prikke.Secret, error) {
		s := &prikke.Secret{}
		if err := row.Scan(&s.ProjectID, &s.Name, r.d.ScanTime(&s.CreatedAt), r.d.ScanTime(&s.UpdatedAt)); err != nil {
			return nil, err
		}
		return s, nil
	}, "SELECT project_id, name, created_at, updated_at FROM project_secrets WHERE project_id = $1 ORDER BY name", projectID)
}

// SecretDelete implements store.Store.
func (r *Records) SecretDelete(ctx context.Context, projectID prikke.ID, name string) error {
	return r.execOne(ctx, "delete secret", "DELETE FROM project_secrets WHERE project_id = $1 AND name = $2", projectID, name)
}

// SecretValues implements store.Store.
func (r *Records) SecretValues(ctx context.Context, projectID prikke.ID) (map[string]string, error) {
	type sealed struct {
		name  string
		value []byte
	}
	rows, err := list(ctx, r, "secret values", func(row Row) (sealed, error) {
		var s sealed
		err := row.Scan(&s.name, &s.value)
		return s, err
	}, "SELECT name, value FROM project_secrets WHERE project_id = $1", projectID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, s := range rows {
		v, err := r.sealer.Open(s.value)
		if err != nil {
			return nil, r.fail("open secret "+s.name, err)
		}
		out[s.name] = string(v)
	}
	return out, nil
}
