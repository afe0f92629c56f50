package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

const userColumns = "id, email, password_hash, confirmed_at, time_zone, created_at, updated_at"

func (r *Records) scanUser(row Row) (*prikke.User, error) {
	var u prikke.User
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, r.d.ScanTimePtr(&u.ConfirmedAt), &u.TimeZone, r.d.ScanTime(&u.CreatedAt), r.d.ScanTime(&u.UpdatedAt)); err != nil {
		return nil, err
	}
	u.ConfirmedAt = utcp(u.ConfirmedAt)
	return &u, nil
}

// UserGet implements store.Store.
func (r *Records) UserGet(ctx context.Context, id prikke.ID) (*prikke.User, error) {
	return one(ctx, r, "get user", r.scanUser, "SELECT "+userColumns+" FROM users WHERE id = $1", id)
}

// UserGetByEmail implements store.Store. The email must be normalised
// (prikke.NormalizeEmail); the match is exact.
func (r *Records) UserGetByEmail(ctx context.Context, email string) (*prikke.User, error) {
	return one(ctx, r, "get user by email", r.scanUser, "SELECT "+userColumns+" FROM users WHERE email = $1", email)
}

// userZone is the zone to store for u: "UTC" when it has none.
func userZone(u *prikke.User) string {
	if u.TimeZone == "" {
		return "UTC"
	}
	return u.TimeZone
}

// UserUpdate implements store.Store.
func (r *Records) UserUpdate(ctx context.Context, u *prikke.User) error {
	return r.execOne(ctx, "update user", `UPDATE users SET email = $2, password_hash = $3, confirmed_at = $4, time_zone = $5, updated_at = $6
		WHERE id = $1`, u.ID, u.Email, u.PasswordHash, r.d.TimePtr(u.ConfirmedAt), userZone(u), r.d.Time(u.UpdatedAt))
}

// UserSetTimeZone implements store.Store.
func (r *Records) UserSetTimeZone(ctx context.Context, id prikke.ID, zone string, now time.Time) error {
	return r.execOne(ctx, "set user time zone", "UPDATE users SET time_zone = $2, updated_at = $3 WHERE id = $1", id, zone, r.d.Time(now))
}

// UserDelete implements store.Store. Deleting the user row cascades to
// their tokens and memberships; organizations they owned alone are
// deleted first (cascading to projects, jobs and history). Where the
// dialect locks rows, the user's owned organizations are locked first, so
// that two co-owners deleting themselves at once cannot both leave, each
// counting on the other; SQLite's single writer serialises deletions.
func (r *Records) UserDelete(ctx context.Context, id prikke.ID) error {
	return r.inTx(ctx, "delete user", func(tx Tx) error {
		if lock := r.d.ForUpdate(); lock != "" {
			if _, err := tx.Exec(ctx, `SELECT id FROM organizations
				WHERE id IN (SELECT organization_id FROM memberships WHERE user_id = $1 AND role = 'owner')
				ORDER BY id `+lock, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM organizations WHERE id IN (
				SELECT m.organization_id FROM memberships m
				WHERE m.user_id = $1 AND m.role = 'owner'
				  AND NOT EXISTS (SELECT 1 FROM memberships other
				                  WHERE other.organization_id = m.organization_id
				                    AND other.role = 'owner' AND other.user_id <> $1))`, id); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM users WHERE id = $1", id)
		if err != nil {
			return err
		}
		if res == 0 {
			return notFound()
		}
		return nil
	})
}

const tokenColumns = "id, user_id, kind, hash, data, ip, user_agent, expires_at, last_seen_at, created_at"

func (r *Records) scanToken(row Row) (*prikke.Token, error) {
	var t prikke.Token
	if err := row.Scan(&t.ID, &t.UserID, &t.Kind, &t.Hash, &t.Data, &t.IP, &t.UserAgent,
		r.d.ScanTime(&t.ExpiresAt), r.d.ScanTime(&t.LastSeenAt), r.d.ScanTime(&t.CreatedAt)); err != nil {
		return nil, err
	}
	return &t, nil
}

// TokenCreate implements store.Store.
func (r *Records) TokenCreate(ctx context.Context, t *prikke.Token) error {
	if _, err := r.d.Writer().Exec(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.ID, t.UserID, t.Kind, t.Hash, t.Data, t.IP, t.UserAgent, r.d.Time(t.ExpiresAt), r.d.Time(t.LastSeenAt), r.d.Time(t.CreatedAt)); err != nil {
		return r.fail("create token", err)
	}
	return nil
}

// TokenGetByHash implements store.Store. A token is unexpired while now is
// before its expires_at.
func (r *Records) TokenGetByHash(ctx context.Context, kind prikke.TokenKind, hash []byte, now time.Time) (*prikke.Token, error) {
	return one(ctx, r, "get token", r.scanToken, "SELECT "+tokenColumns+" FROM tokens WHERE hash = $1 AND kind = $2 AND expires_at > $3",
		hash, kind, r.d.Time(now))
}

// TokenTouch implements store.Store.
func (r *Records) TokenTouch(ctx context.Context, id prikke.ID, now time.Time) error {
	return r.execOne(ctx, "touch token", "UPDATE tokens SET last_seen_at = $2 WHERE id = $1", id, r.d.Time(now))
}

// TokenDelete implements store.Store.
func (r *Records) TokenDelete(ctx context.Context, id prikke.ID) error {
	return r.execOne(ctx, "delete token", "DELETE FROM tokens WHERE id = $1", id)
}

// TokenDeleteByUser implements store.Store. Deleting none is not an error.
func (r *Records) TokenDeleteByUser(ctx context.Context, userID prikke.ID, kinds []prikke.TokenKind, except prikke.ID) (int, error) {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	res, err := r.d.Writer().Exec(ctx, "DELETE FROM tokens WHERE user_id = $1 AND "+r.d.AnyOf("kind", "$2")+" AND id <> $3",
		userID, r.d.List(ks), except)
	if err != nil {
		return 0, r.fail("delete user tokens", err)
	}
	return int(res), nil
}

// TokenListByUser implements store.Store: the user's tokens of one kind,
// expired ones included, newest first.
func (r *Records) TokenListByUser(ctx context.Context, userID prikke.ID, kind prikke.TokenKind) ([]*prikke.Token, error) {
	return list(ctx, r, "list tokens", r.scanToken,
		"SELECT "+tokenColumns+" FROM tokens WHERE user_id = $1 AND kind = $2 ORDER BY created_at DESC, id DESC", userID, kind)
}

// TokenDeleteExpired implements store.Store: it deletes tokens whose
// expires_at is at or before now, and returns how many.
func (r *Records) TokenDeleteExpired(ctx context.Context, now time.Time) (int, error) {
	res, err := r.d.Writer().Exec(ctx, "DELETE FROM tokens WHERE expires_at <= $1", r.d.Time(now))
	if err != nil {
		return 0, r.fail("delete expired tokens", err)
	}
	return int(res), nil
}

// MembershipCreate implements store.Store.
func (r *Records) MembershipCreate(ctx context.Context, m *prikke.Membership) error {
	if _, err := r.d.Writer().Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		m.OrganizationID, m.UserID, m.Role, r.d.Time(m.CreatedAt)); err != nil {
		return r.fail("create membership", err)
	}
	return nil
}

// MembershipGet implements store.Store. It does not fill the list fields.
func (r *Records) MembershipGet(ctx context.Context, orgID, userID prikke.ID) (*prikke.Membership, error) {
	var m prikke.Membership
	err := r.d.Reader().QueryRow(ctx, `SELECT organization_id, user_id, role, created_at FROM memberships
		WHERE organization_id = $1 AND user_id = $2`, orgID, userID).Scan(&m.OrganizationID, &m.UserID, &m.Role, r.d.ScanTime(&m.CreatedAt))
	if err != nil {
		return nil, r.fail("get membership", err)
	}
	return &m, nil
}

// MembershipListByOrganization implements store.Store: owners first, then
// by email.
func (r *Records) MembershipListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Membership, error) {
	return list(ctx, r, "list organization memberships", func(row Row) (*prikke.Membership, error) {
		var m prikke.Membership
		if err := row.Scan(&m.OrganizationID, &m.UserID, &m.Role, r.d.ScanTime(&m.CreatedAt), &m.UserEmail); err != nil {
			return nil, err
		}
		return &m, nil
	}, `SELECT m.organization_id, m.user_id, m.role, m.created_at, u.email
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.organization_id = $1
		ORDER BY CASE m.role WHEN 'owner' THEN 0 ELSE 1 END, u.email`, orgID)
}

// MembershipListByUser implements store.Store: the personal organization
// first, then by organization name.
func (r *Records) MembershipListByUser(ctx context.Context, userID prikke.ID) ([]*prikke.Membership, error) {
	return list(ctx, r, "list user memberships", func(row Row) (*prikke.Membership, error) {
		var m prikke.Membership
		if err := row.Scan(&m.OrganizationID, &m.UserID, &m.Role, r.d.ScanTime(&m.CreatedAt), &m.OrganizationName, &m.OrganizationTier, &m.OrganizationPersonal); err != nil {
			return nil, err
		}
		return &m, nil
	}, `SELECT m.organization_id, m.user_id, m.role, m.created_at, o.name, o.tier, o.personal
		FROM memberships m JOIN organizations o ON o.id = m.organization_id
		WHERE m.user_id = $1
		ORDER BY o.personal DESC, o.name, o.id`, userID)
}

// MembershipUpdateRole implements store.Store.
func (r *Records) MembershipUpdateRole(ctx context.Context, orgID, userID prikke.ID, role prikke.Role) error {
	return r.execOne(ctx, "update membership role", "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2",
		orgID, userID, role)
}

// MembershipDelete implements store.Store.
func (r *Records) MembershipDelete(ctx context.Context, orgID, userID prikke.ID) error {
	return r.execOne(ctx, "delete membership", "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2", orgID, userID)
}

// Every invitation read fills OrganizationName.
const invitationSelect = `SELECT i.id, i.organization_id, i.email, i.role, i.token_hash, i.invited_by,
		i.expires_at, i.accepted_at, i.declined_at, i.created_at, o.name
	FROM invitations i JOIN organizations o ON o.id = i.organization_id`

func (r *Records) scanInvitation(row Row) (*prikke.Invitation, error) {
	var inv prikke.Invitation
	var invitedBy *prikke.ID
	if err := row.Scan(&inv.ID, &inv.OrganizationID, &inv.Email, &inv.Role, &inv.TokenHash, r.d.ScanIDPtr(&invitedBy),
		r.d.ScanTime(&inv.ExpiresAt), r.d.ScanTimePtr(&inv.AcceptedAt), r.d.ScanTimePtr(&inv.DeclinedAt), r.d.ScanTime(&inv.CreatedAt),
		&inv.OrganizationName); err != nil {
		return nil, err
	}
	inv.AcceptedAt, inv.DeclinedAt = utcp(inv.AcceptedAt), utcp(inv.DeclinedAt)
	if invitedBy != nil {
		inv.InvitedBy = *invitedBy
	}
	return &inv, nil
}

// InvitationCreate implements store.Store. A NilID InvitedBy is stored as
// NULL (as it becomes when the inviter deletes their account).
func (r *Records) InvitationCreate(ctx context.Context, inv *prikke.Invitation) error {
	if _, err := r.d.Writer().Exec(ctx, `INSERT INTO invitations (id, organization_id, email, role, token_hash, invited_by,
			expires_at, accepted_at, declined_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		inv.ID, inv.OrganizationID, inv.Email, inv.Role, inv.TokenHash, nullID(inv.InvitedBy),
		r.d.Time(inv.ExpiresAt), r.d.TimePtr(inv.AcceptedAt), r.d.TimePtr(inv.DeclinedAt), r.d.Time(inv.CreatedAt)); err != nil {
		return r.fail("create invitation", err)
	}
	return nil
}

// InvitationGet implements store.Store.
func (r *Records) InvitationGet(ctx context.Context, id prikke.ID) (*prikke.Invitation, error) {
	return one(ctx, r, "get invitation", r.scanInvitation, invitationSelect+" WHERE i.id = $1", id)
}

// InvitationGetByTokenHash implements store.Store. It returns the
// invitation whatever its state; callers check Pending.
func (r *Records) InvitationGetByTokenHash(ctx context.Context, hash []byte) (*prikke.Invitation, error) {
	return one(ctx, r, "get invitation by token", r.scanInvitation, invitationSelect+" WHERE i.token_hash = $1", hash)
}

// InvitationListByOrganization implements store.Store: every invitation
// of the organization, whatever its state, newest first.
func (r *Records) InvitationListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Invitation, error) {
	return list(ctx, r, "list invitations", r.scanInvitation,
		invitationSelect+" WHERE i.organization_id = $1 ORDER BY i.created_at DESC, i.id DESC", orgID)
}

// errNotPending is returned when an invitation was accepted, declined or
// has expired.
func errNotPending() error {
	return prikke.Errorf(prikke.ECONFLICT, "This invitation is no longer pending.")
}

// invitationNotPending explains why a conditional update of invitation id
// touched nothing: it does not exist, or it is no longer pending.
func invitationNotPending(ctx context.Context, tx Querier, id prikke.ID) error {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM invitations WHERE id = $1)", id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return notFound()
	}
	return errNotPending()
}

// InvitationAccept implements store.Store. The conditional UPDATE takes the
// row lock (or waits for the single writer), so of two concurrent accepts
// exactly one succeeds.
func (r *Records) InvitationAccept(ctx context.Context, id, userID prikke.ID, now time.Time) error {
	return r.inTx(ctx, "accept invitation", func(tx Tx) error {
		var orgID prikke.ID
		var role prikke.Role
		err := tx.QueryRow(ctx, `UPDATE invitations SET accepted_at = $2
			WHERE id = $1 AND accepted_at IS NULL AND declined_at IS NULL AND expires_at > $2
			RETURNING organization_id, role`, id, r.d.Time(now)).Scan(&orgID, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return invitationNotPending(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (organization_id, user_id) DO NOTHING`, orgID, userID, role, r.d.Time(now))
		if err != nil {
			return err
		}
		if res == 0 {
			return prikke.Errorf(prikke.ECONFLICT, "You are already a member of this organization.")
		}
		return nil
	})
}

// InvitationDecline implements store.Store: ECONFLICT if the invitation is
// no longer pending.
func (r *Records) InvitationDecline(ctx context.Context, id prikke.ID, now time.Time) error {
	return r.inTx(ctx, "decline invitation", func(tx Tx) error {
		res, err := tx.Exec(ctx, `UPDATE invitations SET declined_at = $2
			WHERE id = $1 AND accepted_at IS NULL AND declined_at IS NULL AND expires_at > $2`, id, r.d.Time(now))
		if err != nil {
			return err
		}
		if res == 0 {
			return invitationNotPending(ctx, tx, id)
		}
		return nil
	})
}

// InvitationDelete implements store.Store.
func (r *Records) InvitationDelete(ctx context.Context, id prikke.ID) error {
	return r.execOne(ctx, "delete invitation", "DELETE FROM invitations WHERE id = $1", id)
}

const apiKeyColumns = "id, organization_id, project_id, name, key_id, secret_hash, created_by, last_used_at, revoked_at, created_at"

func (r *Records) scanAPIKey(row Row) (*prikke.APIKey, error) {
	var k prikke.APIKey
	if err := row.Scan(&k.ID, &k.OrganizationID, r.d.ScanIDPtr(&k.ProjectID), &k.Name, &k.KeyID, &k.SecretHash, r.d.ScanIDPtr(&k.CreatedBy),
		r.d.ScanTimePtr(&k.LastUsedAt), r.d.ScanTimePtr(&k.RevokedAt), r.d.ScanTime(&k.CreatedAt)); err != nil {
		return nil, err
	}
	k.LastUsedAt, k.RevokedAt = utcp(k.LastUsedAt), utcp(k.RevokedAt)
	return &k, nil
}

// APIKeyCreate implements store.Store.
func (r *Records) APIKeyCreate(ctx context.Context, k *prikke.APIKey) error {
	if _, err := r.d.Writer().Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		k.ID, k.OrganizationID, r.d.IDPtr(k.ProjectID), k.Name, k.KeyID, k.SecretHash, r.d.IDPtr(k.CreatedBy),
		r.d.TimePtr(k.LastUsedAt), r.d.TimePtr(k.RevokedAt), r.d.Time(k.CreatedAt)); err != nil {
		return r.fail("create api key", err)
	}
	return nil
}

// APIKeyGet implements store.Store.
func (r *Records) APIKeyGet(ctx context.Context, id prikke.ID) (*prikke.APIKey, error) {
	return one(ctx, r, "get api key", r.scanAPIKey, "SELECT "+apiKeyColumns+" FROM api_keys WHERE id = $1", id)
}

// APIKeyGetByKeyID implements store.Store. Revoked keys are returned too;
// callers check Active.
func (r *Records) APIKeyGetByKeyID(ctx context.Context, keyID string) (*prikke.APIKey, error) {
	return one(ctx, r, "get api key by key id", r.scanAPIKey, "SELECT "+apiKeyColumns+" FROM api_keys WHERE key_id = $1", keyID)
}

// APIKeyListByOrganization implements store.Store: revoked keys included,
// newest first.
func (r *Records) APIKeyListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.APIKey, error) {
	return list(ctx, r, "list api keys", r.scanAPIKey,
		"SELECT "+apiKeyColumns+" FROM api_keys WHERE organization_id = $1 ORDER BY created_at DESC, id DESC", orgID)
}

// APIKeyRevoke implements store.Store. Revoking a revoked key keeps the
// first revocation time.
func (r *Records) APIKeyRevoke(ctx context.Context, id prikke.ID, now time.Time) error {
	return r.execOne(ctx, "revoke api key", "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1", id, r.d.Time(now))
}

// APIKeyTouch implements store.Store. It is one conditional UPDATE and
// never reads: a throttled touch, or one of a missing key, writes nothing
// and is not an error.
func (r *Records) APIKeyTouch(ctx context.Context, id prikke.ID, now time.Time) error {
	if _, err := r.d.Writer().Exec(ctx, `UPDATE api_keys SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
		id, r.d.Time(now), r.d.Time(now.Add(-prikke.APIKeyTouchInterval))); err != nil {
		return r.fail("touch api key", err)
	}
	return nil
}

const auditColumns = "id, organization_id, actor_user_id, actor_api_key_id, actor_email, action, target_type, target_id, ip, request_id, detail, created_at"

// AuditInsert implements store.Store.
func (r *Records) AuditInsert(ctx context.Context, e *prikke.AuditEntry) error {
	if _, err := r.d.Writer().Exec(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, r.d.IDPtr(e.OrganizationID), r.d.IDPtr(e.ActorUserID), r.d.IDPtr(e.ActorAPIKeyID), e.ActorEmail, e.Action, e.TargetType, e.TargetID,
		e.IP, e.RequestID, e.Detail, r.d.Time(e.CreatedAt)); err != nil {
		return r.fail("insert audit entry", err)
	}
	return nil
}

// AuditList implements store.Store: newest first by (created_at, id);
// Limit 0 means 100, and at most 1000 are returned.
func (r *Records) AuditList(ctx context.Context, f store.AuditFilter) ([]*prikke.AuditEntry, error) {
	return r.auditList(ctx, "list audit entries", f, false)
}

// auditList lists f's audit entries: of f.OrganizationID, or with
// operator, the operator actions of f.OrganizationID when set, else of
// every organization and none.
func (r *Records) auditList(ctx context.Context, op string, f store.AuditFilter, operator bool) ([]*prikke.AuditEntry, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if operator {
		where = append(where, "action LIKE "+arg("operator.%"))
	}
	if !operator || f.OrganizationID != prikke.NilID {
		where = append(where, "organization_id = "+arg(f.OrganizationID))
	}
	if !f.BeforeCreatedAt.IsZero() {
		where = append(where, "(created_at, id) < ("+arg(r.d.Time(f.BeforeCreatedAt))+", "+arg(f.BeforeID)+")")
	}
	q := "SELECT " + auditColumns + " FROM audit_log WHERE " + strings.Join(where, " AND ") +
		fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT %d", auditLimit(f.Limit))
	return list(ctx, r, op, func(row Row) (*prikke.AuditEntry, error) {
		var e prikke.AuditEntry
		if err := row.Scan(&e.ID, r.d.ScanIDPtr(&e.OrganizationID), r.d.ScanIDPtr(&e.ActorUserID), r.d.ScanIDPtr(&e.ActorAPIKeyID),
			&e.ActorEmail, &e.Action, &e.TargetType, &e.TargetID, &e.IP, &e.RequestID, &e.Detail, r.d.ScanTime(&e.CreatedAt)); err != nil {
			return nil, err
		}
		return &e, nil
	}, q, args...)
}

func auditLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

// RateLimitHit implements store.Store. A window is [window_start,
// window_start+window); a hit at or after its end starts a new window at
// now. One upsert, atomic: every SET expression reads the row as it was
// before the hit, and the single writer runs one statement at a time.
func (r *Records) RateLimitHit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	var count int
	var start time.Time
	err := r.d.Writer().QueryRow(ctx, `INSERT INTO rate_limits AS r (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key) DO UPDATE SET
			window_start = CASE WHEN r.window_start <= $3 THEN excluded.window_start ELSE r.window_start END,
			count        = CASE WHEN r.window_start <= $3 THEN 1 ELSE r.count + 1 END
		RETURNING window_start, count`, key, r.d.Time(now), r.d.Time(now.Add(-window))).Scan(r.d.ScanTime(&start), &count)
	if err != nil {
		return 0, time.Time{}, r.fail("rate limit hit", err)
	}
	return count, start.Add(window), nil
}

// RateLimitReset implements store.Store. Resetting a key with no hits is
// not an error.
func (r *Records) RateLimitReset(ctx context.Context, key string) error {
	if _, err := r.d.Writer().Exec(ctx, "DELETE FROM rate_limits WHERE key = $1", key); err != nil {
		return r.fail("reset rate limit", err)
	}
	return nil
}

// UsageGet implements store.Store.
func (r *Records) UsageGet(ctx context.Context, orgID prikke.ID, month string) (int64, error) {
	var n int64
	err := r.d.Reader().QueryRow(ctx, "SELECT requests FROM usage WHERE organization_id = $1 AND month = $2", orgID, month).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, r.fail("get usage", err)
	}
	return n, nil
}

// UsageAdd implements store.Store.
func (r *Records) UsageAdd(ctx context.Context, orgID prikke.ID, month string, n int64) (int64, error) {
	var total int64
	err := r.d.Writer().QueryRow(ctx, `INSERT INTO usage (organization_id, month, requests) VALUES ($1, $2, $3)
		ON CONFLICT (organization_id, month) DO UPDATE SET requests = usage.requests + excluded.requests
		RETURNING requests`, orgID, month, n).Scan(&total)
	if err != nil {
		return 0, r.fail("add usage", err)
	}
	return total, nil
}
