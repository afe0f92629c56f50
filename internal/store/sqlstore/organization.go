package sqlstore

import (
	"time"

	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// SettingGet implements store.Store.
func (r *Records) SettingGet(ctx context.Context, key string) (string, error) {
	var v string
	if err := r.d.Reader().QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v); err != nil {
		return "", r.fail("get setting", err)
	}
	return v, nil
}

// SignupCreate implements store.Store.
func (r *Records) SignupCreate(ctx context.Context, p *store.SignupParams) error {
	return r.inTx(ctx, "signup", func(tx Tx) error {
		u, o, pr := p.User, p.Organization, p.Project
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, password_hash, confirmed_at, time_zone, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, u.ID, u.Email, u.PasswordHash, r.d.TimePtr(u.ConfirmedAt), userZone(u), r.d.Time(u.CreatedAt), r.d.Time(u.UpdatedAt)); err != nil {
			return err
		}
		if err := r.insertOrganization(ctx, tx, o, u.ID); err != nil {
			return err
		}
		return r.insertProject(ctx, tx, pr)
	})
}

// insertOrganization inserts o with its owner's membership. An empty
// BaseTier is o's Tier (set in o): until a subscription raises it, the
// tier is the base tier.
func (r *Records) insertOrganization(ctx context.Context, tx Tx, o *prikke.Organization, owner prikke.ID) error {
	if o.BaseTier == "" {
		o.BaseTier = o.Tier
	}
	if _, err := tx.Exec(ctx, `INSERT INTO organizations (id, name, tier, base_tier, personal, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, o.ID, o.Name, o.Tier, o.BaseTier, o.Personal, r.d.Time(o.CreatedAt), r.d.Time(o.UpdatedAt)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)`,
		o.ID, owner, r.d.Time(o.CreatedAt))
	return err
}

// OrganizationCreate implements store.Store.
func (r *Records) OrganizationCreate(ctx context.Context, o *prikke.Organization, owner prikke.ID) error {
	return r.inTx(ctx, "create organization", func(tx Tx) error {
		return r.insertOrganization(ctx, tx, o, owner)
	})
}

const organizationColumns = "o.id, o.name, o.tier, o.base_tier, o.personal, o.created_at, o.updated_at"

func (r *Records) scanOrganization(row Row) (*prikke.Organization, error) {
	var o prikke.Organization
	if err := row.Scan(&o.ID, &o.Name, &o.Tier, &o.BaseTier, &o.Personal, r.d.ScanTime(&o.CreatedAt), r.d.ScanTime(&o.UpdatedAt)); err != nil {
		return nil, err
	}
	return &o, nil
}

// OrganizationGet implements store.Store.
func (r *Records) OrganizationGet(ctx context.Context, id prikke.ID) (*prikke.Organization, error) {
	return one(ctx, r, "get organization", r.scanOrganization, "SELECT "+organizationColumns+" FROM organizations o WHERE o.id = $1", id)
}

// OrganizationGetPersonal implements store.Store.
func (r *Records) OrganizationGetPersonal(ctx context.Context, userID prikke.ID) (*prikke.Organization, error) {
	return one(ctx, r, "get personal organization", r.scanOrganization, `SELECT `+organizationColumns+`
		FROM organizations o JOIN memberships m ON m.organization_id = o.id
		WHERE m.user_id = $1 AND m.role = 'owner' AND o.personal ORDER BY o.created_at LIMIT 1`, userID)
}

// OrganizationUpdate implements store.Store.
func (r *Records) OrganizationUpdate(ctx context.Context, o *prikke.Organization) error {
	return r.execOne(ctx, "update organization", `UPDATE organizations SET name = $2, tier = $3, updated_at = $4 WHERE id = $1`,
		o.ID, o.Name, o.Tier, r.d.Time(o.UpdatedAt))
}

// OrganizationDelete implements store.Store.
func (r *Records) OrganizationDelete(ctx context.Context, id prikke.ID) error {
	return r.execOne(ctx, "delete organization", "DELETE FROM organizations WHERE id = $1", id)
}

const projectColumns = `id, organization_id, name, signing_secret, previous_secret, previous_until, alert_after, ping_key,
	snooze_until, created_at, updated_at, redact`

func (r *Records) scanProject(row Row) (*prikke.Project, error) {
	var p prikke.Project
	var secret, prev []byte
	if err := row.Scan(&p.ID, &p.OrganizationID, &p.Name, &secret, &prev, r.d.ScanTimePtr(&p.PreviousUntil), &p.AlertAfter,
		&p.PingKey, r.d.ScanTimePtr(&p.SnoozeUntil), r.d.ScanTime(&p.CreatedAt), r.d.ScanTime(&p.UpdatedAt),
		r.d.ScanJSON(&p.Redact)); err != nil {
		return nil, err
	}
	p.PreviousUntil, p.SnoozeUntil = utcp(p.PreviousUntil), utcp(p.SnoozeUntil)
	var err error
	if p.SigningSecret, err = r.open(secret); err != nil {
		return nil, err
	}
	if p.PreviousSecret, err = r.open(prev); err != nil {
		return nil, err
	}
	return &p, nil
}

// sealProject seals a project's current and previous signing secrets.
func (r *Records) sealProject(p *prikke.Project) (secret, prev []byte, err error) {
	if secret, err = r.seal(p.SigningSecret); err != nil {
		return nil, nil, err
	}
	if prev, err = r.seal(p.PreviousSecret); err != nil {
		return nil, nil, err
	}
	return secret, prev, nil
}

// NewPingKey returns a random project ping key: 16 random bytes in
// URL-safe base64, 22 characters.
func NewPingKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// insertProject inserts p, giving it a ping key when it has none.
func (r *Records) insertProject(ctx context.Context, q Querier, p *prikke.Project) error {
	secret, prev, err := r.sealProject(p)
	if err != nil {
		return err
	}
	if p.PingKey == "" {
		p.PingKey = NewPingKey()
	}
	_, err = q.Exec(ctx, `INSERT INTO projects (`+projectColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		p.ID, p.OrganizationID, p.Name, secret, prev, r.d.TimePtr(p.PreviousUntil), p.AlertAfter, p.PingKey,
		r.d.TimePtr(p.SnoozeUntil), r.d.Time(p.CreatedAt), r.d.Time(p.UpdatedAt), redactJSON(r.d, p.Redact))
	return err
}

// ProjectCreate implements store.Store. A project without a PingKey gets
// a random one (NewPingKey), set in p.
func (r *Records) ProjectCreate(ctx context.Context, p *prikke.Project) error {
	if err := r.insertProject(ctx, r.d.Writer(), p); err != nil {
		return r.fail("create project", err)
	}
	return nil
}

// ProjectGetByPingKey implements store.Store.
func (r *Records) ProjectGetByPingKey(ctx context.Context, key string) (*prikke.Project, error) {
	if key == "" {
		return nil, fmt.Errorf("%s: get project by ping key: %w", r.d.Name(), notFound())
	}
	return one(ctx, r, "get project by ping key", r.scanProject, "SELECT "+projectColumns+" FROM projects WHERE ping_key = $1", key)
}

// ProjectGet implements store.Store.
func (r *Records) ProjectGet(ctx context.Context, id prikke.ID) (*prikke.Project, error) {
	return one(ctx, r, "get project", r.scanProject, "SELECT "+projectColumns+" FROM projects WHERE id = $1", id)
}

// ProjectListByOrganization implements store.Store.
func (r *Records) ProjectListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Project, error) {
	return list(ctx, r, "list projects", r.scanProject,
		"SELECT "+projectColumns+" FROM projects WHERE organization_id = $1 ORDER BY created_at, id", orgID)
}

// ProjectUpdate implements store.Store. It writes SnoozeUntil too; the
// ping key never changes.
func (r *Records) ProjectUpdate(ctx context.Context, p *prikke.Project) error {
	secret, prev, err := r.sealProject(p)
	if err != nil {
		return fmt.Errorf("%s: update project: %w", r.d.Name(), err)
	}
	return r.execOne(ctx, "update project", `UPDATE projects SET name = $2, signing_secret = $3, previous_secret = $4,
		previous_until = $5, alert_after = $6, snooze_until = $7, updated_at = $8, redact = $9 WHERE id = $1`,
		p.ID, p.Name, secret, prev, r.d.TimePtr(p.PreviousUntil), p.AlertAfter, r.d.TimePtr(p.SnoozeUntil), r.d.Time(p.UpdatedAt),
		redactJSON(r.d, p.Redact))
}

// ProjectSetSnooze implements store.Store.
func (r *Records) ProjectSetSnooze(ctx context.Context, id prikke.ID, until *time.Time, now time.Time) error {
	return r.execOne(ctx, "snooze project", "UPDATE projects SET snooze_until = $2, updated_at = $3 WHERE id = $1",
		id, r.d.TimePtr(until), r.d.Time(now))
}

// ProjectDelete implements store.Store.
func (r *Records) ProjectDelete(ctx context.Context, id prikke.ID) error {
	return r.execOne(ctx, "delete project", "DELETE FROM projects WHERE id = $1", id)
}
