package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// SettingGet implements store.Store.
func (s *Store) SettingGet(ctx context.Context, key string) (string, error) {
	var v string
	if err := s.pool.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v); err != nil {
		return "", fmt.Errorf("pgstore: get setting: %w", mapErr(err))
	}
	return v, nil
}

// SettingPutIfAbsent implements store.Store.
func (s *Store) SettingPutIfAbsent(ctx context.Context, key, value string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value
		)
		SELECT value FROM ins UNION ALL SELECT value FROM settings WHERE key = $1 LIMIT 1`, key, value).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("pgstore: put setting: %w", mapErr(err))
	}
	return v, nil
}

// SignupCreate implements store.Store.
func (s *Store) SignupCreate(ctx context.Context, p *store.SignupParams) error {
	secret, err := s.seal(p.Project.SigningSecret)
	if err != nil {
		return fmt.Errorf("pgstore: signup: %w", err)
	}
	return s.inTx(ctx, "signup", func(tx pgx.Tx) error {
		u, o, pr := p.User, p.Organization, p.Project
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, password_hash, confirmed_at, time_zone, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, u.ID, u.Email, u.PasswordHash, u.ConfirmedAt, userZone(u), u.CreatedAt, u.UpdatedAt); err != nil {
			return err
		}
		if err := insertOrganization(ctx, tx, o, u.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO projects (id, organization_id, name, signing_secret, alert_after, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, pr.ID, pr.OrganizationID, pr.Name, secret, pr.AlertAfter, pr.CreatedAt, pr.UpdatedAt)
		return err
	})
}

func insertOrganization(ctx context.Context, tx pgx.Tx, o *prikke.Organization, owner prikke.ID) error {
	if _, err := tx.Exec(ctx, `INSERT INTO organizations (id, name, tier, personal, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, o.ID, o.Name, o.Tier, o.Personal, o.CreatedAt, o.UpdatedAt); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)`,
		o.ID, owner, o.CreatedAt)
	return err
}

// OrganizationCreate implements store.Store.
func (s *Store) OrganizationCreate(ctx context.Context, o *prikke.Organization, owner prikke.ID) error {
	return s.inTx(ctx, "create organization", func(tx pgx.Tx) error {
		return insertOrganization(ctx, tx, o, owner)
	})
}

const organizationColumns = "id, name, tier, personal, created_at, updated_at"

func scanOrganization(row pgx.Row) (*prikke.Organization, error) {
	var o prikke.Organization
	if err := row.Scan(&o.ID, &o.Name, &o.Tier, &o.Personal, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return nil, err
	}
	return &o, nil
}

// OrganizationGet implements store.Store.
func (s *Store) OrganizationGet(ctx context.Context, id prikke.ID) (*prikke.Organization, error) {
	o, err := scanOrganization(s.pool.QueryRow(ctx, "SELECT "+organizationColumns+" FROM organizations WHERE id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("pgstore: get organization: %w", mapErr(err))
	}
	return o, nil
}

// OrganizationGetPersonal implements store.Store.
func (s *Store) OrganizationGetPersonal(ctx context.Context, userID prikke.ID) (*prikke.Organization, error) {
	o, err := scanOrganization(s.pool.QueryRow(ctx, `SELECT o.id, o.name, o.tier, o.personal, o.created_at, o.updated_at
		FROM organizations o JOIN memberships m ON m.organization_id = o.id
		WHERE m.user_id = $1 AND m.role = 'owner' AND o.personal ORDER BY o.created_at LIMIT 1`, userID))
	if err != nil {
		return nil, fmt.Errorf("pgstore: get personal organization: %w", mapErr(err))
	}
	return o, nil
}

// OrganizationUpdate implements store.Store.
func (s *Store) OrganizationUpdate(ctx context.Context, o *prikke.Organization) error {
	return s.execOne(ctx, "update organization", `UPDATE organizations SET name = $2, tier = $3, updated_at = $4 WHERE id = $1`,
		o.ID, o.Name, o.Tier, o.UpdatedAt)
}

// OrganizationDelete implements store.Store.
func (s *Store) OrganizationDelete(ctx context.Context, id prikke.ID) error {
	return s.execOne(ctx, "delete organization", "DELETE FROM organizations WHERE id = $1", id)
}

const projectColumns = "id, organization_id, name, signing_secret, previous_secret, previous_until, alert_after, created_at, updated_at"

func (s *Store) scanProject(row pgx.Row) (*prikke.Project, error) {
	var p prikke.Project
	var secret, prev []byte
	if err := row.Scan(&p.ID, &p.OrganizationID, &p.Name, &secret, &prev, &p.PreviousUntil, &p.AlertAfter, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	var err error
	if p.SigningSecret, err = s.open(secret); err != nil {
		return nil, err
	}
	if p.PreviousSecret, err = s.open(prev); err != nil {
		return nil, err
	}
	return &p, nil
}

// ProjectCreate implements store.Store.
func (s *Store) ProjectCreate(ctx context.Context, p *prikke.Project) error {
	secret, err := s.seal(p.SigningSecret)
	if err != nil {
		return fmt.Errorf("pgstore: create project: %w", err)
	}
	prev, err := s.seal(p.PreviousSecret)
	if err != nil {
		return fmt.Errorf("pgstore: create project: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO projects (`+projectColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		p.ID, p.OrganizationID, p.Name, secret, prev, p.PreviousUntil, p.AlertAfter, p.CreatedAt, p.UpdatedAt); err != nil {
		return fmt.Errorf("pgstore: create project: %w", mapErr(err))
	}
	return nil
}

// ProjectGet implements store.Store.
func (s *Store) ProjectGet(ctx context.Context, id prikke.ID) (*prikke.Project, error) {
	p, err := s.scanProject(s.pool.QueryRow(ctx, "SELECT "+projectColumns+" FROM projects WHERE id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("pgstore: get project: %w", mapErr(err))
	}
	return p, nil
}

// ProjectListByOrganization implements store.Store.
func (s *Store) ProjectListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Project, error) {
	return list(ctx, s, "list projects", s.scanProject,
		"SELECT "+projectColumns+" FROM projects WHERE organization_id = $1 ORDER BY created_at, id", orgID)
}

// ProjectUpdate implements store.Store.
func (s *Store) ProjectUpdate(ctx context.Context, p *prikke.Project) error {
	secret, err := s.seal(p.SigningSecret)
	if err != nil {
		return fmt.Errorf("pgstore: update project: %w", err)
	}
	prev, err := s.seal(p.PreviousSecret)
	if err != nil {
		return fmt.Errorf("pgstore: update project: %w", err)
	}
	return s.execOne(ctx, "update project", `UPDATE projects SET name = $2, signing_secret = $3, previous_secret = $4,
		previous_until = $5, alert_after = $6, updated_at = $7 WHERE id = $1`,
		p.ID, p.Name, secret, prev, p.PreviousUntil, p.AlertAfter, p.UpdatedAt)
}

// ProjectDelete implements store.Store.
func (s *Store) ProjectDelete(ctx context.Context, id prikke.ID) error {
	return s.execOne(ctx, "delete project", "DELETE FROM projects WHERE id = $1", id)
}
