package prikke

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// User is a person who signs in to the dashboard.
type User struct {
	ID           ID
	Email        string // normalised: see NormalizeEmail
	PasswordHash string // PHC string, argon2id
	ConfirmedAt  *time.Time
	// TimeZone is the IANA zone the dashboard shows instants in; sign-up
	// takes the browser's, and "UTC" when it has none.
	TimeZone  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Confirmed reports whether the user confirmed their email address.
func (u *User) Confirmed() bool { return u.ConfirmedAt != nil }

// NormalizeEmail returns the canonical form of an email address, so that one
// address is one account: surrounding space trimmed and the whole address
// lower-cased. (Local parts are case-sensitive in theory; no mail provider in
// practice treats them so, and two accounts differing in case are a trap.)
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// ValidateEmail checks an (already normalised) email address.
func ValidateEmail(v *Validation, field, email string) {
	switch {
	case email == "":
		v.Add(field, "is required")
	case len(email) > 254:
		v.Add(field, "is too long: max 254 characters")
	case !utf8.ValidString(email) || strings.ContainsFunc(email, isControl):
		v.Add(field, "contains an invalid character")
	default:
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
			v.Add(field, "must be an email address like name@example.com")
		}
	}
}

// Password length limits (ASVS 6.2.1, 6.2.9). Passwords are never truncated
// or case-folded.
const (
	PasswordMinLength = 8
	PasswordMaxLength = 1024
)

// TokenKind says what a user token is for.
type TokenKind string

// Token kinds. Sessions and one-time links share one table; only the SHA-256
// of a token is stored.
const (
	TokenSession     TokenKind = "session"
	TokenConfirm     TokenKind = "confirm"      // confirm the account's email; Data may be ConfirmChoosePassword
	TokenReset       TokenKind = "reset"        // reset a forgotten password
	TokenEmailChange TokenKind = "email_change" // confirm a new email; Data holds it
)

// ConfirmChoosePassword is the Data of a TokenConfirm mailed after the
// address was signed up again before it was confirmed: following it
// confirms the address, clears the password and hands over a TokenReset to
// choose one. A token never carries a password.
const ConfirmChoosePassword = "choose_password"

// Token is a session or a one-time link, stored hashed.
type Token struct {
	ID         ID
	UserID     ID
	Kind       TokenKind
	Hash       []byte
	Data       string
	ExpiresAt  time.Time
	LastSeenAt time.Time
	CreatedAt  time.Time
	IP         string
	UserAgent  string
}

// Session lifetimes (ASVS 7.3.1, 7.3.2).
const (
	SessionIdleTimeout     = 7 * 24 * time.Hour
	SessionAbsoluteTimeout = 30 * 24 * time.Hour
	ConfirmTokenLifetime   = 48 * time.Hour
	ResetTokenLifetime     = time.Hour
	InvitationLifetime     = 7 * 24 * time.Hour
)

// SessionValid reports whether a session token may still be used at now.
func (t *Token) SessionValid(now time.Time) bool {
	return now.Before(t.ExpiresAt) && now.Sub(t.LastSeenAt) < SessionIdleTimeout
}
