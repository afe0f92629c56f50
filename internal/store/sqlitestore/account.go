package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// nullID stores NilID as NULL, for optional references held in plain IDs.
func nullID(id prikke.ID) any {
	if id == prikke.NilID {
		return nil
	}
	return id.String()
}

const userColumns = "id, email, password_hash, confirmed_at, time_zone, created_at, updated_at"

func scanUser(row scanner) (*prikke.User, error) {
	var u prikke.User
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, timePtrScan{&u.ConfirmedAt}, &u.TimeZone, timeScan{&u.CreatedAt}, timeScan{&u.UpdatedAt}); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserGet implements store.Store.
func (s *Store) UserGet(ctx context.Context, id prikke.ID) (*prikke.User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get user: %w", mapErr(err))
	}
	return u, nil
}

// UserGetByEmail implements store.Store. The email must be normalised
// (prikke.NormalizeEmail); the match is exact.
func (s *Store) UserGetByEmail(ctx context.Context, email string) (*prikke.User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE email = $1", email))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get user by email: %w", mapErr(err))
	}
	return u, nil
}

// userZone is the zone to store for u: "UTC" when it has none.
func userZone(u *prikke.User) string {
	if u.TimeZone == "" {
		return "UTC"
	}
	return u.TimeZone
}

// UserUpdate implements store.Store.
func (s *Store) UserUpdate(ctx context.Context, u *prikke.User) error {
	return s.execOne(ctx, "update user", `UPDATE users SET email = $2, password_hash = $3, confirmed_at = $4, time_zone = $5, updated_at = $6
		WHERE id = $1`, u.ID, u.Email, u.PasswordHash, tsp(u.ConfirmedAt), userZone(u), ts(u.UpdatedAt))
}

// UserSetTimeZone implements store.Store.
func (s *Store) UserSetTimeZone(ctx context.Context, id prikke.ID, zone string, now time.Time) error {
	return s.execOne(ctx, "set user time zone", "UPDATE users SET time_zone = $2, updated_at = $3 WHERE id = $1", id, zone, ts(now))
}

// UserDelete implements store.Store. Deleting the user row cascades to
// their tokens and memberships; organizations they owned alone are
// deleted first (cascading to projects, jobs and history). The single
// writer serialises concurrent deletions.
func (s *Store) UserDelete(ctx context.Context, id prikke.ID) error {
	return s.inTx(ctx, "delete user", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM organizations WHERE id IN (
				SELECT m.organization_id FROM memberships m
				WHERE m.user_id = $1 AND m.role = 'owner'
				  AND NOT EXISTS (SELECT 1 FROM memberships other
				                  WHERE other.organization_id = m.organization_id
				                    AND other.role = 'owner' AND other.user_id <> $1))`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM users WHERE id = $1", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound()
		}
		return nil
	})
}

const tokenColumns = "id, user_id, kind, hash, data, ip, user_agent, expires_at, last_seen_at, created_at"

func scanToken(row scanner) (*prikke.Token, error) {
	var t prikke.Token
	if err := row.Scan(&t.ID, &t.UserID, &t.Kind, &t.Hash, &t.Data, &t.IP, &t.UserAgent,
		timeScan{&t.ExpiresAt}, timeScan{&t.LastSeenAt}, timeScan{&t.CreatedAt}); err != nil {
		return nil, err
	}
	return &t, nil
}

// TokenCreate implements store.Store.
func (s *Store) TokenCreate(ctx context.Context, t *prikke.Token) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.ID, t.UserID, t.Kind, t.Hash, t.Data, t.IP, t.UserAgent, ts(t.ExpiresAt), ts(t.LastSeenAt), ts(t.CreatedAt)); err != nil {
		return fmt.Errorf("sqlitestore: create token: %w", mapErr(err))
	}
	return nil
}

// TokenGetByHash implements store.Store. A token is unexpired while now is
// before its expires_at.
func (s *Store) TokenGetByHash(ctx context.Context, kind prikke.TokenKind, hash []byte, now time.Time) (*prikke.Token, error) {
	t, err := scanToken(s.rdb.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE hash = $1 AND kind = $2 AND expires_at > $3",
		hash, kind, ts(now)))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get token: %w", mapErr(err))
	}
	return t, nil
}

// TokenTouch implements store.Store.
func (s *Store) TokenTouch(ctx context.Context, id prikke.ID, now time.Time) error {
	return s.execOne(ctx, "touch token", "UPDATE tokens SET last_seen_at = $2 WHERE id = $1", id, ts(now))
}

// TokenDelete implements store.Store.
func (s *Store) TokenDelete(ctx context.Context, id prikke.ID) error {
	return s.execOne(ctx, "delete token", "DELETE FROM tokens WHERE id = $1", id)
}

// TokenDeleteByUser implements store.Store. Deleting none is not an error.
// The kinds travel as one JSON array, so the statement is the same for any
// number of them.
func (s *Store) TokenDeleteByUser(ctx context.Context, userID prikke.ID, kinds []prikke.TokenKind, except prikke.ID) (int, error) {
	if kinds == nil {
		kinds = []prikke.TokenKind{}
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM tokens
		WHERE user_id = $1 AND kind IN (SELECT value FROM json_each($2)) AND id <> $3`,
		userID, jsonValue{kinds}, except)
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: delete user tokens: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// TokenListByUser implements store.Store: the user's tokens of one kind,
// expired ones included, newest first.
func (s *Store) TokenListByUser(ctx context.Context, userID prikke.ID, kind prikke.TokenKind) ([]*prikke.Token, error) {
	return list(ctx, s, "list tokens", scanToken,
		"SELECT "+tokenColumns+" FROM tokens WHERE user_id = $1 AND kind = $2 ORDER BY created_at DESC, id DESC", userID, kind)
}

// TokenDeleteExpired implements store.Store: it deletes tokens whose
// expires_at is at or before now, and returns how many.
func (s *Store) TokenDeleteExpired(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM tokens WHERE expires_at <= $1", ts(now))
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: delete expired tokens: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// MembershipCreate implements store.Store.
func (s *Store) MembershipCreate(ctx context.Context, m *prikke.Membership) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		m.OrganizationID, m.UserID, m.Role, ts(m.CreatedAt)); err != nil {
		return fmt.Errorf("sqlitestore: create membership: %w", mapErr(err))
	}
	return nil
}

// MembershipGet implements store.Store. It does not fill the list fields.
func (s *Store) MembershipGet(ctx context.Context, orgID, userID prikke.ID) (*prikke.Membership, error) {
	var m prikke.Membership
	err := s.rdb.QueryRowContext(ctx, `SELECT organization_id, user_id, role, created_at FROM memberships
		WHERE organization_id = $1 AND user_id = $2`, orgID, userID).Scan(&m.OrganizationID, &m.UserID, &m.Role, timeScan{&m.CreatedAt})
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get membership: %w", mapErr(err))
	}
	return &m, nil
}

// MembershipListByOrganization implements store.Store: owners first, then
// by email.
func (s *Store) MembershipListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Membership, error) {
	return list(ctx, s, "list organization memberships", func(row scanner) (*prikke.Membership, error) {
		var m prikke.Membership
		if err := row.Scan(&m.OrganizationID, &m.UserID, &m.Role, timeScan{&m.CreatedAt}, &m.UserEmail); err != nil {
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
func (s *Store) MembershipListByUser(ctx context.Context, userID prikke.ID) ([]*prikke.Membership, error) {
	return list(ctx, s, "list user memberships", func(row scanner) (*prikke.Membership, error) {
		var m prikke.Membership
		if err := row.Scan(&m.OrganizationID, &m.UserID, &m.Role, timeScan{&m.CreatedAt}, &m.OrganizationName, &m.OrganizationTier, &m.OrganizationPersonal); err != nil {
			return nil, err
		}
		return &m, nil
	}, `SELECT m.organization_id, m.user_id, m.role, m.created_at, o.name, o.tier, o.personal
		FROM memberships m JOIN organizations o ON o.id = m.organization_id
		WHERE m.user_id = $1
		ORDER BY o.personal DESC, o.name, o.id`, userID)
}

// MembershipUpdateRole implements store.Store.
func (s *Store) MembershipUpdateRole(ctx context.Context, orgID, userID prikke.ID, role prikke.Role) error {
	return s.execOne(ctx, "update membership role", "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2",
		orgID, userID, role)
}

// MembershipDelete implements store.Store.
func (s *Store) MembershipDelete(ctx context.Context, orgID, userID prikke.ID) error {
	return s.execOne(ctx, "delete membership", "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2", orgID, userID)
}

// Every invitation read fills OrganizationName.
const invitationSelect = `SELECT i.id, i.organization_id, i.email, i.role, i.token_hash, i.invited_by,
		i.expires_at, i.accepted_at, i.declined_at, i.created_at, o.name
	FROM invitations i JOIN organizations o ON o.id = i.organization_id`

func scanInvitation(row scanner) (*prikke.Invitation, error) {
	var inv prikke.Invitation
	var invitedBy *prikke.ID
	if err := row.Scan(&inv.ID, &inv.OrganizationID, &inv.Email, &inv.Role, &inv.TokenHash, idPtrScan{&invitedBy},
		timeScan{&inv.ExpiresAt}, timePtrScan{&inv.AcceptedAt}, timePtrScan{&inv.DeclinedAt}, timeScan{&inv.CreatedAt},
		&inv.OrganizationName); err != nil {
		return nil, err
	}
	if invitedBy != nil {
		inv.InvitedBy = *invitedBy
	}
	return &inv, nil
}

// InvitationCreate implements store.Store. A NilID InvitedBy is stored as
// NULL (as it becomes when the inviter deletes their account).
func (s *Store) InvitationCreate(ctx context.Context, inv *prikke.Invitation) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO invitations (id, organization_id, email, role, token_hash, invited_by,
			expires_at, accepted_at, declined_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		inv.ID, inv.OrganizationID, inv.Email, inv.Role, inv.TokenHash, nullID(inv.InvitedBy),
		ts(inv.ExpiresAt), tsp(inv.AcceptedAt), tsp(inv.DeclinedAt), ts(inv.CreatedAt)); err != nil {
		return fmt.Errorf("sqlitestore: create invitation: %w", mapErr(err))
	}
	return nil
}

// InvitationGet implements store.Store.
func (s *Store) InvitationGet(ctx context.Context, id prikke.ID) (*prikke.Invitation, error) {
	inv, err := scanInvitation(s.rdb.QueryRowContext(ctx, invitationSelect+" WHERE i.id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get invitation: %w", mapErr(err))
	}
	return inv, nil
}

// InvitationGetByTokenHash implements store.Store. It returns the
// invitation whatever its state; callers check Pending.
func (s *Store) InvitationGetByTokenHash(ctx context.Context, hash []byte) (*prikke.Invitation, error) {
	inv, err := scanInvitation(s.rdb.QueryRowContext(ctx, invitationSelect+" WHERE i.token_hash = $1", hash))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get invitation by token: %w", mapErr(err))
	}
	return inv, nil
}

// InvitationListByOrganization implements store.Store: every invitation
// of the organization, whatever its state, newest first.
func (s *Store) InvitationListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Invitation, error) {
	return list(ctx, s, "list invitations", scanInvitation,
		invitationSelect+" WHERE i.organization_id = $1 ORDER BY i.created_at DESC, i.id DESC", orgID)
}

// errNotPending is returned when an invitation was accepted, declined or
// has expired.
func errNotPending() error {
	return prikke.Errorf(prikke.ECONFLICT, "This invitation is no longer pending.")
}

// invitationNotPending explains why a conditional update of invitation id
// touched nothing: it does not exist, or it is no longer pending.
func invitationNotPending(ctx context.Context, tx *sql.Tx, id prikke.ID) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM invitations WHERE id = $1)", id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return notFound()
	}
	return errNotPending()
}

// InvitationAccept implements store.Store.
func (s *Store) InvitationAccept(ctx context.Context, id, userID prikke.ID, now time.Time) error {
	return s.inTx(ctx, "accept invitation", func(tx *sql.Tx) error {
		var orgID prikke.ID
		var role prikke.Role
		err := tx.QueryRowContext(ctx, `UPDATE invitations SET accepted_at = $2
			WHERE id = $1 AND accepted_at IS NULL AND declined_at IS NULL AND expires_at > $2
			RETURNING organization_id, role`, id, ts(now)).Scan(&orgID, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return invitationNotPending(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (organization_id, user_id) DO NOTHING`, orgID, userID, role, ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return prikke.Errorf(prikke.ECONFLICT, "You are already a member of this organization.")
		}
		return nil
	})
}

// InvitationDecline implements store.Store: ECONFLICT if the invitation is
// no longer pending.
func (s *Store) InvitationDecline(ctx context.Context, id prikke.ID, now time.Time) error {
	return s.inTx(ctx, "decline invitation", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET declined_at = $2
			WHERE id = $1 AND accepted_at IS NULL AND declined_at IS NULL AND expires_at > $2`, id, ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return invitationNotPending(ctx, tx, id)
		}
		return nil
	})
}

// InvitationDelete implements store.Store.
func (s *Store) InvitationDelete(ctx context.Context, id prikke.ID) error {
	return s.execOne(ctx, "delete invitation", "DELETE FROM invitations WHERE id = $1", id)
}

const apiKeyColumns = "id, organization_id, project_id, name, key_id, secret_hash, created_by, last_used_at, revoked_at, created_at"

func scanAPIKey(row scanner) (*prikke.APIKey, error) {
	var k prikke.APIKey
	if err := row.Scan(&k.ID, &k.OrganizationID, idPtrScan{&k.ProjectID}, &k.Name, &k.KeyID, &k.SecretHash, idPtrScan{&k.CreatedBy},
		timePtrScan{&k.LastUsedAt}, timePtrScan{&k.RevokedAt}, timeScan{&k.CreatedAt}); err != nil {
		return nil, err
	}
	return &k, nil
}

// APIKeyCreate implements store.Store.
func (s *Store) APIKeyCreate(ctx context.Context, k *prikke.APIKey) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		k.ID, k.OrganizationID, idp(k.ProjectID), k.Name, k.KeyID, k.SecretHash, idp(k.CreatedBy),
		tsp(k.LastUsedAt), tsp(k.RevokedAt), ts(k.CreatedAt)); err != nil {
		return fmt.Errorf("sqlitestore: create api key: %w", mapErr(err))
	}
	return nil
}

// APIKeyGet implements store.Store.
func (s *Store) APIKeyGet(ctx context.Context, id prikke.ID) (*prikke.APIKey, error) {
	k, err := scanAPIKey(s.rdb.QueryRowContext(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get api key: %w", mapErr(err))
	}
	return k, nil
}

// APIKeyGetByKeyID implements store.Store. Revoked keys are returned too;
// callers check Active.
func (s *Store) APIKeyGetByKeyID(ctx context.Context, keyID string) (*prikke.APIKey, error) {
	k, err := scanAPIKey(s.rdb.QueryRowContext(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE key_id = $1", keyID))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get api key by key id: %w", mapErr(err))
	}
	return k, nil
}

// APIKeyListByOrganization implements store.Store: revoked keys included,
// newest first.
func (s *Store) APIKeyListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.APIKey, error) {
	return list(ctx, s, "list api keys", scanAPIKey,
		"SELECT "+apiKeyColumns+" FROM api_keys WHERE organization_id = $1 ORDER BY created_at DESC, id DESC", orgID)
}

// APIKeyRevoke implements store.Store. Revoking a revoked key keeps the
// first revocation time.
func (s *Store) APIKeyRevoke(ctx context.Context, id prikke.ID, now time.Time) error {
	return s.execOne(ctx, "revoke api key", "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1", id, ts(now))
}

// APIKeyTouch implements store.Store. It is one conditional UPDATE and
// never reads: a throttled touch, or one of a missing key, writes nothing
// and is not an error.
func (s *Store) APIKeyTouch(ctx context.Context, id prikke.ID, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
		id, ts(now), ts(now.Add(-prikke.APIKeyTouchInterval))); err != nil {
		return fmt.Errorf("sqlitestore: touch api key: %w", mapErr(err))
	}
	return nil
}

const auditColumns = "id, organization_id, actor_user_id, actor_api_key_id, actor_email, action, target_type, target_id, ip, request_id, detail, created_at"

// AuditInsert implements store.Store.
func (s *Store) AuditInsert(ctx context.Context, e *prikke.AuditEntry) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, idp(e.OrganizationID), idp(e.ActorUserID), idp(e.ActorAPIKeyID), e.ActorEmail, e.Action, e.TargetType, e.TargetID,
		e.IP, e.RequestID, e.Detail, ts(e.CreatedAt)); err != nil {
		return fmt.Errorf("sqlitestore: insert audit entry: %w", mapErr(err))
	}
	return nil
}

// AuditList implements store.Store: newest first by (created_at, id);
// Limit 0 means 100, and at most 1000 are returned.
func (s *Store) AuditList(ctx context.Context, f store.AuditFilter) ([]*prikke.AuditEntry, error) {
	q := "SELECT " + auditColumns + " FROM audit_log WHERE organization_id = $1"
	args := []any{f.OrganizationID}
	if !f.BeforeCreatedAt.IsZero() {
		q += " AND (created_at, id) < ($2, $3)"
		args = append(args, ts(f.BeforeCreatedAt), f.BeforeID)
	}
	q += fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT %d", auditLimit(f.Limit))
	return list(ctx, s, "list audit entries", func(row scanner) (*prikke.AuditEntry, error) {
		var e prikke.AuditEntry
		if err := row.Scan(&e.ID, idPtrScan{&e.OrganizationID}, idPtrScan{&e.ActorUserID}, idPtrScan{&e.ActorAPIKeyID},
			&e.ActorEmail, &e.Action, &e.TargetType, &e.TargetID, &e.IP, &e.RequestID, &e.Detail, timeScan{&e.CreatedAt}); err != nil {
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
func (s *Store) RateLimitHit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	var count int
	var start time.Time
	err := s.db.QueryRowContext(ctx, `INSERT INTO rate_limits AS r (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key) DO UPDATE SET
			window_start = CASE WHEN r.window_start <= $3 THEN excluded.window_start ELSE r.window_start END,
			count        = CASE WHEN r.window_start <= $3 THEN 1 ELSE r.count + 1 END
		RETURNING window_start, count`, key, ts(now), ts(now.Add(-window))).Scan(timeScan{&start}, &count)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlitestore: rate limit hit: %w", mapErr(err))
	}
	return count, start.Add(window), nil
}

// RateLimitReset implements store.Store. Resetting a key with no hits is
// not an error.
func (s *Store) RateLimitReset(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM rate_limits WHERE key = $1", key); err != nil {
		return fmt.Errorf("sqlitestore: reset rate limit: %w", mapErr(err))
	}
	return nil
}

// UsageGet implements store.Store.
func (s *Store) UsageGet(ctx context.Context, orgID prikke.ID, month string) (int64, error) {
	var n int64
	err := s.rdb.QueryRowContext(ctx, "SELECT requests FROM usage WHERE organization_id = $1 AND month = $2", orgID, month).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: get usage: %w", mapErr(err))
	}
	return n, nil
}

// UsageAdd implements store.Store.
func (s *Store) UsageAdd(ctx context.Context, orgID prikke.ID, month string, n int64) (int64, error) {
	var total int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO usage (organization_id, month, requests) VALUES ($1, $2, $3)
		ON CONFLICT (organization_id, month) DO UPDATE SET requests = usage.requests + excluded.requests
		RETURNING requests`, orgID, month, n).Scan(&total)
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: add usage: %w", mapErr(err))
	}
	return total, nil
}
