package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/store"
)

// Abuse limits (healthchecks' numbers): attempts per window.
const (
	loginPerIP      = 20 // per hour
	loginPerAccount = 20 // per day
	signupPerIP     = 20 // per hour
	mailPerAddress  = 10 // reset/confirmation mails per address per hour
)

// rateLimit counts a hit and returns ERATELIMIT (with the wait) when over.
func (s *Service) rateLimit(ctx context.Context, key string, window time.Duration, limit int) error {
	n, reset, err := s.store.RateLimitHit(ctx, key, window, s.now())
	if err != nil {
		return err
	}
	if n > limit {
		return &prikke.RateLimitError{RetryAfter: max(time.Second, reset.Sub(s.now()))}
	}
	return nil
}

// bucket hides an email inside a rate-limit key.
func bucket(kind, email string) string {
	h := sha256.Sum256([]byte("prikke rate " + email))
	return kind + ":" + hex.EncodeToString(h[:12])
}

// SignupInput is a registration.
type SignupInput struct {
	Email    string
	Password string
	// TimeZone is the zone the dashboard shows the user's instants in: the
	// sign-up page sends the browser's. Empty or unknown is UTC, since a
	// browser's guess should never stop anyone signing up; the account page
	// and PATCH /api/v1/account change it.
	TimeZone string
}

// Signup registers a user with a personal organization and a default
// project, and mails a confirmation link. It answers the same way whether
// or not the address already has an account, so registration reveals
// nothing: a confirmed account's owner gets a password reset link instead;
// an account never confirmed gets a fresh confirmation link, and the
// password sent is dropped. That link carries no password: following it
// confirms the address and then asks for one (see Confirm), so whoever
// signs up someone else's address again cannot choose its password; only
// the mailbox's owner does.
func (s *Service) Signup(ctx context.Context, in SignupInput, ip string) error {
	if !s.cfg.SignupOpen {
		return prikke.Errorf(prikke.EFORBIDDEN, "Registration is closed on this Prikke; ask its operator for an account.")
	}
	email := prikke.NormalizeEmail(in.Email)
	var v prikke.Validation
	prikke.ValidateEmail(&v, "email", email)
	auth.ValidatePassword(&v, "password", in.Password)
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.rateLimit(ctx, "signup:ip:"+ip, time.Hour, signupPerIP); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return err
	}
	_, err = s.createUser(ctx, email, hash, false, s.defaultTier(), signupZone(in.TimeZone))
	if isCode(err, prikke.ECONFLICT) {
		if err := s.rateLimit(ctx, bucket("mail", email), time.Hour, mailPerAddress); err != nil {
			return nil
		}
		u, err := s.store.UserGetByEmail(ctx, email)
		switch {
		case err != nil:
			return err
		case u.Confirmed():
			s.sendReset(ctx, email, "")
		default:
			// Nobody knows who chose the password now, so it is
			// forgotten: the account has none until a visitor who
			// followed a mailed link chooses one, however long that
			// takes (a mark on a link would expire with it).
			u.PasswordHash, u.UpdatedAt = "", s.now()
			if err := s.store.UserUpdate(ctx, u); err != nil {
				return err
			}
			s.sendConfirmation(ctx, email, true)
		}
		return nil
	}
	if err != nil {
		return err
	}
	s.sendConfirmation(ctx, email, false)
	return nil
}

// createUser creates a user with a personal organization and a default
// project.
func (s *Service) createUser(ctx context.Context, email, hash string, confirmed bool, tier prikke.Tier, zone string) (*prikke.User, error) {
	now := s.now()
	u := &prikke.User{ID: prikke.NewID(), Email: email, PasswordHash: hash, TimeZone: zone, CreatedAt: now, UpdatedAt: now}
	if confirmed {
		u.ConfirmedAt = &now
	}
	name := email
	if i := strings.IndexByte(email, '@'); i > 0 {
		name = email[:i]
	}
	o := &prikke.Organization{ID: prikke.NewID(), Name: name, Tier: tier, BaseTier: tier, Personal: true, CreatedAt: now, UpdatedAt: now}
	p := &prikke.Project{ID: prikke.NewID(), OrganizationID: o.ID, Name: "Default", SigningSecret: delivery.NewSecret(),
		AlertAfter: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.store.SignupCreate(ctx, &store.SignupParams{User: u, Organization: o, Project: p}); err != nil {
		return nil, err
	}
	s.record(ctx, &Actor{User: u}, &o.ID, prikke.AuditSignup, "user", u.ID.String(), "")
	return u, nil
}

// signupZone is the zone a new user starts with: the one the browser
// named when Prikke knows it, else UTC.
func signupZone(zone string) string {
	if _, err := cron.LoadLocation(zone); err != nil {
		return "UTC"
	}
	return zone
}

// CreateConfirmedUser is `prikke user create`: a confirmed user with a
// personal organization of the given tier ("": the default tier).
func (s *Service) CreateConfirmedUser(ctx context.Context, email, password string, tier prikke.Tier) (*prikke.User, error) {
	if tier == "" {
		tier = s.defaultTier()
	}
	email = prikke.NormalizeEmail(email)
	var v prikke.Validation
	prikke.ValidateEmail(&v, "email", email)
	auth.ValidatePassword(&v, "password", password)
	if !tier.Valid() {
		v.Add("tier", "must be free or pro")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	u, err := s.createUser(ctx, email, hash, true, tier, "UTC")
	if isCode(err, prikke.ECONFLICT) {
		return nil, prikke.Errorf(prikke.ECONFLICT, "A user with the email %s already exists.", email)
	}
	return u, err
}

func (s *Service) newToken(ctx context.Context, userID prikke.ID, kind prikke.TokenKind, ttl time.Duration, data string) (string, error) {
	tok, hash := auth.NewToken()
	now := s.now()
	t := &prikke.Token{ID: prikke.NewID(), UserID: userID, Kind: kind, Hash: hash, Data: data,
		ExpiresAt: now.Add(ttl), LastSeenAt: now, CreatedAt: now}
	if err := s.store.TokenCreate(ctx, t); err != nil {
		return "", err
	}
	return tok, nil
}

// sendConfirmation mails a confirmation link for email's account.
// resignup says the address was signed up again before it was confirmed:
// then nobody knows who chose the account's password (Signup has cleared
// it), so the link, like any sent while the account has no password, asks
// the visitor to choose one once it confirms the address, and earlier
// links stop working.
func (s *Service) sendConfirmation(ctx context.Context, email string, resignup bool) {
	u, err := s.store.UserGetByEmail(ctx, email)
	if err != nil {
		return
	}
	choose := resignup || u.PasswordHash == ""
	data := ""
	if choose {
		data = prikke.ConfirmChoosePassword
		if _, err := s.store.TokenDeleteByUser(ctx, u.ID, []prikke.TokenKind{prikke.TokenConfirm}, prikke.NilID); err != nil {
			s.logger.Error("delete earlier confirmation tokens failed", "error", err)
			return
		}
	}
	tok, err := s.newToken(ctx, u.ID, prikke.TokenConfirm, prikke.ConfirmTokenLifetime, data)
	if err != nil {
		s.logger.Error("create confirmation token failed", "error", err)
		return
	}
	s.send(ctx, email, mail.ConfirmAccount{Email: email, ConfirmURL: s.url("/confirm?token=" + tok),
		ExpiresAt: s.now().Add(prikke.ConfirmTokenLifetime), ChoosePassword: choose})
}

// ResendConfirmation mails a new confirmation link if the address has an
// unconfirmed account; it answers the same either way.
func (s *Service) ResendConfirmation(ctx context.Context, email, ip string) error {
	email = prikke.NormalizeEmail(email)
	if err := s.rateLimit(ctx, "signup:ip:"+ip, time.Hour, signupPerIP); err != nil {
		return err
	}
	if err := s.rateLimit(ctx, bucket("mail", email), time.Hour, mailPerAddress); err != nil {
		return nil
	}
	if u, err := s.store.UserGetByEmail(ctx, email); err == nil && !u.Confirmed() {
		s.sendConfirmation(ctx, email, false)
	}
	return nil
}

// Confirmation is what following a confirmation link did.
type Confirmation struct {
	User *prikke.User
	// PasswordToken is set when the link was mailed after the address was
	// signed up again: the account is confirmed but has no password, since
	// nobody knows who chose the earlier one. It is a password reset token
	// (valid for prikke.ResetTokenLifetime) for ResetPassword, with which
	// the visitor, who has just shown they read the mailbox, chooses it.
	PasswordToken string
}

// Confirm confirms an account (or, for a change-of-address link, the new
// address) with the token from the mail. Whichever of an account's links
// is followed first wins, and the others stop working. A link mailed
// after a repeated sign-up confirms the address and clears the password;
// the Confirmation's PasswordToken then chooses one.
func (s *Service) Confirm(ctx context.Context, token string) (*Confirmation, error) {
	hash := auth.HashToken(token)
	now := s.now()
	if t, err := s.store.TokenGetByHash(ctx, prikke.TokenConfirm, hash, now); err == nil {
		u, err := s.store.UserGet(ctx, t.UserID)
		if err != nil {
			return nil, err
		}
		c := &Confirmation{User: u}
		if u.ConfirmedAt == nil {
			u.ConfirmedAt, u.UpdatedAt = &now, now
			choose := t.Data == prikke.ConfirmChoosePassword || u.PasswordHash == ""
			if choose {
				u.PasswordHash = "" // signs in with nothing until the visitor chooses
			}
			if err := s.store.UserUpdate(ctx, u); err != nil {
				return nil, err
			}
			if choose {
				if c.PasswordToken, err = s.newToken(ctx, u.ID, prikke.TokenReset, prikke.ResetTokenLifetime, ""); err != nil {
					return nil, err
				}
			}
		}
		_, _ = s.store.TokenDeleteByUser(ctx, u.ID, []prikke.TokenKind{prikke.TokenConfirm}, prikke.NilID)
		return c, nil
	}
	t, err := s.store.TokenGetByHash(ctx, prikke.TokenEmailChange, hash, now)
	if err != nil {
		return nil, prikke.Errorf(prikke.EINVALID, "This link is invalid or has expired. Request a new one.")
	}
	u, err := s.store.UserGet(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	old := u.Email
	u.Email, u.UpdatedAt = t.Data, now
	if u.ConfirmedAt == nil {
		u.ConfirmedAt = &now
	}
	if err := s.store.UserUpdate(ctx, u); err != nil {
		if isCode(err, prikke.ECONFLICT) {
			return nil, prikke.Errorf(prikke.ECONFLICT, "Another account uses %s now.", t.Data)
		}
		return nil, err
	}
	_, _ = s.store.TokenDeleteByUser(ctx, u.ID, []prikke.TokenKind{prikke.TokenEmailChange}, prikke.NilID)
	org, _ := s.personalOrgID(ctx, u.ID)
	s.record(ctx, &Actor{User: u}, org, prikke.AuditEmailChange, "user", u.ID.String(), "from "+old)
	return &Confirmation{User: u}, nil
}

func (s *Service) personalOrgID(ctx context.Context, userID prikke.ID) (*prikke.ID, error) {
	o, err := s.store.OrganizationGetPersonal(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &o.ID, nil
}

// Session is a signed-in browser: the token goes in the cookie.
type Session struct {
	Token string
	User  *prikke.User
}

// Login checks credentials and starts a new session (a new token every
// time, so a token planted before login is worthless). Unknown addresses
// and wrong passwords get the same answer in the same time. Attempts are
// limited per IP and per account.
func (s *Service) Login(ctx context.Context, email, password, ip, userAgent string) (*Session, error) {
	email = prikke.NormalizeEmail(email)
	if err := s.rateLimit(ctx, "login:ip:"+ip, time.Hour, loginPerIP); err != nil {
		return nil, err
	}
	if err := s.rateLimit(ctx, bucket("login", email), 24*time.Hour, loginPerAccount); err != nil {
		return nil, err
	}
	// An address that cannot be valid (a NUL byte, say, which PostgreSQL
	// refuses) names no account: it is not looked up, and is answered like
	// an unknown one.
	var u *prikke.User
	var v prikke.Validation
	prikke.ValidateEmail(&v, "email", email)
	hash := ""
	if v.Err() == nil {
		var err error
		u, err = s.store.UserGetByEmail(ctx, email)
		if err == nil {
			hash = u.PasswordHash
		} else if !isCode(err, prikke.ENOTFOUND) {
			return nil, err
		}
	}
	ok, verr := s.hasher.Verify(ctx, password, hash)
	if verr != nil {
		return nil, verr
	}
	if !ok || u == nil {
		var org *prikke.ID
		actor := &Actor{IP: ip}
		if u != nil {
			org, _ = s.personalOrgID(ctx, u.ID)
			actor.User = u
		}
		s.record(ctx, actor, org, prikke.AuditLoginFailed, "user", "", "")
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "Incorrect email or password.")
	}
	if !u.Confirmed() {
		s.sendConfirmation(ctx, email, false)
		return nil, prikke.Errorf(prikke.EFORBIDDEN, "Confirm your email address first: we have sent you a new link.")
	}
	_ = s.store.RateLimitReset(ctx, bucket("login", email))
	now := s.now()
	tok, thash := auth.NewToken()
	t := &prikke.Token{ID: prikke.NewID(), UserID: u.ID, Kind: prikke.TokenSession, Hash: thash, IP: ip,
		UserAgent: truncate(strings.ToValidUTF8(userAgent, "\uFFFD"), 200), ExpiresAt: now.Add(prikke.SessionAbsoluteTimeout), LastSeenAt: now, CreatedAt: now}
	if err := s.store.TokenCreate(ctx, t); err != nil {
		return nil, err
	}
	org, _ := s.personalOrgID(ctx, u.ID)
	s.record(ctx, &Actor{User: u, IP: ip}, org, prikke.AuditLogin, "user", u.ID.String(), "")
	return &Session{Token: tok, User: u}, nil
}

// truncate cuts s to at most n bytes, never inside a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sessionTouchInterval bounds how often a session's last_seen_at is written.
const sessionTouchInterval = time.Minute

// Authenticate returns the user of a session token, or EUNAUTHORIZED when
// it is unknown, expired (absolute) or idle too long.
func (s *Service) Authenticate(ctx context.Context, token string) (*prikke.User, *prikke.Token, error) {
	unauth := prikke.Errorf(prikke.EUNAUTHORIZED, "Your session has ended. Sign in again.")
	if token == "" || len(token) > 100 {
		return nil, nil, unauth
	}
	now := s.now()
	t, err := s.store.TokenGetByHash(ctx, prikke.TokenSession, auth.HashToken(token), now)
	if isCode(err, prikke.ENOTFOUND) {
		return nil, nil, unauth
	}
	if err != nil {
		return nil, nil, err
	}
	if !t.SessionValid(now) {
		_ = s.store.TokenDelete(ctx, t.ID)
		return nil, nil, unauth
	}
	u, err := s.store.UserGet(ctx, t.UserID)
	if err != nil {
		return nil, nil, unauth
	}
	if now.Sub(t.LastSeenAt) > sessionTouchInterval {
		_ = s.store.TokenTouch(ctx, t.ID, now)
	}
	return u, t, nil
}

// AuthenticateKey returns the API key of a bearer token, or EUNAUTHORIZED;
// a suspended organization's key is EFORBIDDEN with the operator's reason
// (SuspendedError). Malformed keys are refused before any database
// access; well-formed ones cost an indexed lookup, a constant-time
// comparison, and the organization's row by its key, cached for
// KeyCacheTTL (queue_auth.go). A revocation, suspension or plan change
// made on this node takes effect on the next request; one made on
// another node, within KeyCacheTTL.
func (s *Service) AuthenticateKey(ctx context.Context, bearer string) (*prikke.APIKey, error) {
	unauth := prikke.Errorf(prikke.EUNAUTHORIZED, "Invalid API key. Send `Authorization: Bearer pk_live_…` with an active key.")
	keyID, secret, err := auth.ParseAPIKey(bearer)
	if err != nil {
		return nil, unauth
	}
	// The key and its organization as read at most KeyCacheTTL ago (or
	// before a revocation or suspension through this node: forgetKeys).
	e := s.keys.get(keyID)
	if e == nil {
		gen := s.keys.generation()
		k, err := s.store.APIKeyGetByKeyID(ctx, keyID)
		if isCode(err, prikke.ENOTFOUND) {
			auth.CheckAPIKeySecret(secret, make([]byte, 32)) // same work either way
			return nil, unauth
		}
		if err != nil {
			return nil, err
		}
		// Its organization, for the suspension below (the secret is
		// checked once, below, on a hit and a miss alike).
		o, err := s.organization(ctx, k.OrganizationID)
		if err != nil {
			return nil, err
		}
		e = &keyEntry{key: k, org: o}
		if k.LastUsedAt != nil {
			e.touched.Store(k.LastUsedAt.UnixNano())
		}
		s.keys.put(gen, e)
	}
	k := e.key
	if !auth.CheckAPIKeySecret(secret, k.SecretHash) || !k.Active() {
		return nil, unauth
	}
	// A suspended organization's keys are refused with the operator's
	// reason (only to a caller who holds the key: it is checked first).
	if e.org.Suspended() {
		return nil, SuspendedError(e.org)
	}
	// last_used_at is written at most once per APIKeyTouchInterval, so a
	// busy client does not turn every request into a write (the store
	// checks again, for concurrent requests and nodes).
	now := s.now()
	if last := e.touched.Load(); last == 0 || now.Sub(time.Unix(0, last)) >= prikke.APIKeyTouchInterval {
		if e.touched.CompareAndSwap(last, now.UnixNano()) {
			if err := s.store.APIKeyTouch(ctx, k.ID, now); err != nil {
				s.logger.Warn("api key touch failed", "error", err)
			}
		}
	}
	return k, nil
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, a *Actor) error {
	if a == nil || a.Session == nil {
		return nil
	}
	if err := s.store.TokenDelete(ctx, a.Session.ID); err != nil && !isCode(err, prikke.ENOTFOUND) {
		return err
	}
	org, _ := s.personalOrgID(ctx, a.User.ID)
	s.record(ctx, a, org, prikke.AuditLogout, "user", a.User.ID.String(), "")
	return nil
}

// RequestPasswordReset mails a reset link if the address has an account;
// it answers the same either way.
func (s *Service) RequestPasswordReset(ctx context.Context, email, ip string) error {
	email = prikke.NormalizeEmail(email)
	var v prikke.Validation
	prikke.ValidateEmail(&v, "email", email)
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.rateLimit(ctx, "reset:ip:"+ip, time.Hour, signupPerIP); err != nil {
		return err
	}
	if err := s.rateLimit(ctx, bucket("mail", email), time.Hour, mailPerAddress); err != nil {
		return nil
	}
	s.sendReset(ctx, email, ip)
	return nil
}

func (s *Service) sendReset(ctx context.Context, email, _ string) {
	u, err := s.store.UserGetByEmail(ctx, email)
	if err != nil {
		return
	}
	tok, err := s.newToken(ctx, u.ID, prikke.TokenReset, prikke.ResetTokenLifetime, "")
	if err != nil {
		s.logger.Error("create reset token failed", "error", err)
		return
	}
	s.send(ctx, email, mail.PasswordReset{Email: email, ResetURL: s.url("/reset-password?token=" + tok),
		ExpiresAt: s.now().Add(prikke.ResetTokenLifetime)})
}

// ResetPassword sets a new password with a reset link's token and ends
// every session of the account.
func (s *Service) ResetPassword(ctx context.Context, token, password, ip string) error {
	var v prikke.Validation
	auth.ValidatePassword(&v, "password", password)
	if err := v.Err(); err != nil {
		return err
	}
	t, err := s.store.TokenGetByHash(ctx, prikke.TokenReset, auth.HashToken(token), s.now())
	if err != nil {
		return prikke.Errorf(prikke.EINVALID, "This reset link is invalid or has expired. Request a new one.")
	}
	u, err := s.store.UserGet(ctx, t.UserID)
	if err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	now := s.now()
	u.PasswordHash, u.UpdatedAt = hash, now
	if u.ConfirmedAt == nil {
		u.ConfirmedAt = &now // the reset link proved the address
	}
	if err := s.store.UserUpdate(ctx, u); err != nil {
		return err
	}
	if _, err := s.store.TokenDeleteByUser(ctx, u.ID, []prikke.TokenKind{prikke.TokenSession, prikke.TokenReset}, prikke.NilID); err != nil {
		return err
	}
	org, _ := s.personalOrgID(ctx, u.ID)
	s.record(ctx, &Actor{User: u, IP: ip}, org, prikke.AuditPasswordReset, "user", u.ID.String(), "")
	return nil
}

// checkPassword verifies the actor's current password for sensitive
// changes (password, email, deleting the account). Its guesses count
// against the account's login limit, so a stolen session cannot try
// passwords without end.
func (s *Service) checkPassword(ctx context.Context, u *prikke.User, password string) error {
	if err := s.rateLimit(ctx, bucket("login", u.Email), 24*time.Hour, loginPerAccount); err != nil {
		return err
	}
	ok, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return prikke.InvalidField("current_password", "is not your current password")
	}
	return nil
}

// ChangePassword changes the signed-in user's password and ends their
// other sessions.
func (s *Service) ChangePassword(ctx context.Context, a *Actor, current, password string) error {
	if a == nil || a.User == nil {
		return prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in first.")
	}
	if err := s.checkPassword(ctx, a.User, current); err != nil {
		return err
	}
	var v prikke.Validation
	auth.ValidatePassword(&v, "password", password)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	u := *a.User
	u.PasswordHash, u.UpdatedAt = hash, s.now()
	if err := s.store.UserUpdate(ctx, &u); err != nil {
		return err
	}
	keep := prikke.NilID
	if a.Session != nil {
		keep = a.Session.ID
	}
	if _, err := s.store.TokenDeleteByUser(ctx, u.ID, []prikke.TokenKind{prikke.TokenSession, prikke.TokenReset}, keep); err != nil {
		return err
	}
	org, _ := s.personalOrgID(ctx, u.ID)
	s.record(ctx, a, org, prikke.AuditPasswordChange, "user", u.ID.String(), "")
	return nil
}

// ChangeEmail mails a confirmation link to the new address; the change
// takes effect when it is opened.
func (s *Service) ChangeEmail(ctx context.Context, a *Actor, password, newEmail string) error {
	if a == nil || a.User == nil {
		return prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in first.")
	}
	newEmail = prikke.NormalizeEmail(newEmail)
	var v prikke.Validation
	prikke.ValidateEmail(&v, "email", newEmail)
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.checkPassword(ctx, a.User, password); err != nil {
		return err
	}
	if newEmail == a.User.Email {
		return prikke.InvalidField("email", "is already your address")
	}
	if err := s.rateLimit(ctx, bucket("mail", newEmail), time.Hour, mailPerAddress); err != nil {
		return err
	}
	tok, err := s.newToken(ctx, a.User.ID, prikke.TokenEmailChange, prikke.ConfirmTokenLifetime, newEmail)
	if err != nil {
		return err
	}
	s.send(ctx, newEmail, mail.ConfirmEmail{NewEmail: newEmail, ConfirmURL: s.url("/confirm?token=" + tok),
		ExpiresAt: s.now().Add(prikke.ConfirmTokenLifetime)})
	return nil
}

// DeleteAccount deletes the signed-in user, their sessions, and the
// organizations they alone own.
func (s *Service) DeleteAccount(ctx context.Context, a *Actor, password string) error {
	if a == nil || a.User == nil {
		return prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in first.")
	}
	if err := s.checkPassword(ctx, a.User, password); err != nil {
		return err
	}
	s.record(ctx, a, nil, prikke.AuditAccountDelete, "user", a.User.ID.String(), "")
	defer s.forgetKeys()
	return s.store.UserDelete(ctx, a.User.ID)
}

// SetTimeZone sets the zone the dashboard shows the signed-in user's
// instants in: an IANA name such as "Europe/Oslo", or "UTC".
func (s *Service) SetTimeZone(ctx context.Context, a *Actor, zone string) (*prikke.User, error) {
	if a == nil || a.User == nil {
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in first.")
	}
	zone = strings.TrimSpace(zone)
	if _, err := cron.LoadLocation(zone); err != nil {
		return nil, prikke.InvalidField("time_zone", "%s", err.Error())
	}
	// Only the zone is written: the actor's copy of the user was read at
	// the start of the request, and writing all of it back could undo a
	// password or email change made meanwhile.
	now := s.now()
	if err := s.store.UserSetTimeZone(ctx, a.User.ID, zone, now); err != nil {
		return nil, err
	}
	u := *a.User
	u.TimeZone, u.UpdatedAt = zone, now
	return &u, nil
}

// Sessions lists the user's sessions, newest first.
func (s *Service) Sessions(ctx context.Context, a *Actor) ([]*prikke.Token, error) {
	if a == nil || a.User == nil {
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in first.")
	}
	return s.store.TokenListByUser(ctx, a.User.ID, prikke.TokenSession)
}

// RevokeSessions ends the user's other sessions.
func (s *Service) RevokeSessions(ctx context.Context, a *Actor) (int, error) {
	if a == nil || a.User == nil || a.Session == nil {
		return 0, prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in first.")
	}
	n, err := s.store.TokenDeleteByUser(ctx, a.User.ID, []prikke.TokenKind{prikke.TokenSession}, a.Session.ID)
	if err == nil && n > 0 {
		org, _ := s.personalOrgID(ctx, a.User.ID)
		s.record(ctx, a, org, prikke.AuditSessionRevoke, "user", a.User.ID.String(), fmt.Sprintf("%d sessions", n))
	}
	return n, err
}
