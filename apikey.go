package prikke

import "time"

// APIKey authenticates programmatic access to one organization, optionally
// limited to one project. The key is "pk_live_<id>_<secret>"; only
// "pk_live_<id>" (KeyID) and the SHA-256 of the secret are stored.
type APIKey struct {
	ID             ID
	OrganizationID ID
	ProjectID      *ID
	Name           string
	KeyID          string // "pk_live_<id>": public, shown in lists
	SecretHash     []byte
	CreatedBy      *ID
	LastUsedAt     *time.Time
	RevokedAt      *time.Time
	CreatedAt      time.Time
}

// Active reports whether the key may authenticate.
func (k *APIKey) Active() bool { return k.RevokedAt == nil }

// APIKeyTouchInterval bounds how often last_used_at is written per key, so a
// busy client does not turn every request into a write.
const APIKeyTouchInterval = time.Minute
