package sqlitestore

// Placeholders until the AccountStore methods are written.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

var errTODOAccountStore = errors.New("sqlitestore: not implemented yet")

func (s *Store) UserGet(ctx context.Context, id prikke.ID) (*prikke.User, error) {
	return nil, errTODOAccountStore
}

func (s *Store) UserGetByEmail(ctx context.Context, email string) (*prikke.User, error) {
	return nil, errTODOAccountStore
}

func (s *Store) UserUpdate(ctx context.Context, u *prikke.User) error { return errTODOAccountStore }

func (s *Store) UserDelete(ctx context.Context, id prikke.ID) error { return errTODOAccountStore }

func (s *Store) TokenCreate(ctx context.Context, t *prikke.Token) error { return errTODOAccountStore }

func (s *Store) TokenGetByHash(ctx context.Context, kind prikke.TokenKind, hash []byte, now time.Time) (*prikke.Token, error) {
	return nil, errTODOAccountStore
}

func (s *Store) TokenTouch(ctx context.Context, id prikke.ID, now time.Time) error {
	return errTODOAccountStore
}

func (s *Store) TokenDelete(ctx context.Context, id prikke.ID) error { return errTODOAccountStore }

func (s *Store) TokenDeleteByUser(ctx context.Context, userID prikke.ID, kinds []prikke.TokenKind, except prikke.ID) (int, error) {
	return 0, errTODOAccountStore
}

func (s *Store) TokenListByUser(ctx context.Context, userID prikke.ID, kind prikke.TokenKind) ([]*prikke.Token, error) {
	return nil, errTODOAccountStore
}

func (s *Store) TokenDeleteExpired(ctx context.Context, now time.Time) (int, error) {
	return 0, errTODOAccountStore
}

func (s *Store) MembershipCreate(ctx context.Context, m *prikke.Membership) error {
	return errTODOAccountStore
}

func (s *Store) MembershipGet(ctx context.Context, orgID, userID prikke.ID) (*prikke.Membership, error) {
	return nil, errTODOAccountStore
}

func (s *Store) MembershipListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Membership, error) {
	return nil, errTODOAccountStore
}

func (s *Store) MembershipListByUser(ctx context.Context, userID prikke.ID) ([]*prikke.Membership, error) {
	return nil, errTODOAccountStore
}

func (s *Store) MembershipUpdateRole(ctx context.Context, orgID, userID prikke.ID, role prikke.Role) error {
	return errTODOAccountStore
}

func (s *Store) MembershipDelete(ctx context.Context, orgID, userID prikke.ID) error {
	return errTODOAccountStore
}

func (s *Store) InvitationCreate(ctx context.Context, inv *prikke.Invitation) error {
	return errTODOAccountStore
}

func (s *Store) InvitationGet(ctx context.Context, id prikke.ID) (*prikke.Invitation, error) {
	return nil, errTODOAccountStore
}

func (s *Store) InvitationGetByTokenHash(ctx context.Context, hash []byte) (*prikke.Invitation, error) {
	return nil, errTODOAccountStore
}

func (s *Store) InvitationListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Invitation, error) {
	return nil, errTODOAccountStore
}

func (s *Store) InvitationAccept(ctx context.Context, id, userID prikke.ID, now time.Time) error {
	return errTODOAccountStore
}

func (s *Store) InvitationDecline(ctx context.Context, id prikke.ID, now time.Time) error {
	return errTODOAccountStore
}

func (s *Store) InvitationDelete(ctx context.Context, id prikke.ID) error { return errTODOAccountStore }

func (s *Store) APIKeyCreate(ctx context.Context, k *prikke.APIKey) error { return errTODOAccountStore }

func (s *Store) APIKeyGet(ctx context.Context, id prikke.ID) (*prikke.APIKey, error) {
	return nil, errTODOAccountStore
}

func (s *Store) APIKeyGetByKeyID(ctx context.Context, keyID string) (*prikke.APIKey, error) {
	return nil, errTODOAccountStore
}

func (s *Store) APIKeyListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.APIKey, error) {
	return nil, errTODOAccountStore
}

func (s *Store) APIKeyRevoke(ctx context.Context, id prikke.ID, now time.Time) error {
	return errTODOAccountStore
}

func (s *Store) APIKeyTouch(ctx context.Context, id prikke.ID, now time.Time) error {
	return errTODOAccountStore
}

func (s *Store) AuditInsert(ctx context.Context, e *prikke.AuditEntry) error {
	return errTODOAccountStore
}

func (s *Store) AuditList(ctx context.Context, f store.AuditFilter) ([]*prikke.AuditEntry, error) {
	return nil, errTODOAccountStore
}

func (s *Store) RateLimitHit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error) {
	return 0, time.Time{}, errTODOAccountStore
}

func (s *Store) RateLimitReset(ctx context.Context, key string) error { return errTODOAccountStore }

func (s *Store) UsageGet(ctx context.Context, orgID prikke.ID, month string) (int64, error) {
	return 0, errTODOAccountStore
}

func (s *Store) UsageAdd(ctx context.Context, orgID prikke.ID, month string, n int64) (int64, error) {
	return 0, errTODOAccountStore
}

var (
	_ = prikke.NilID
	_ store.Topic
	_ = time.Now
	_ context.Context
)
