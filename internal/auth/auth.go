// Package auth holds Prikke's credentials: argon2id password hashes, API
// keys ("pk_live_<id>_<secret>", stored as the public id and a SHA-256 of
// the secret), and random tokens for sessions and one-time links (stored
// hashed). It does no I/O.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
)

// base62 is the alphabet of API key parts: letters and digits only, so a
// key survives copy-paste, URLs and shell quoting.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomBase62(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(base62)))
	for i := range b {
		x, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand never fails on Linux
		}
		b[i] = base62[x.Int64()]
	}
	return string(b)
}

// API key layout: "pk_live_" + 12-character id + "_" + 32-character secret.
// 32 base62 characters carry about 190 bits.
const (
	APIKeyPrefix    = "pk_live_"
	apiKeyIDLen     = 12
	apiKeySecretLen = 32
)

// NewAPIKey returns a new key in full (shown once), its public id
// ("pk_live_<id>") and the SHA-256 of its secret (stored).
func NewAPIKey() (full, keyID string, secretHash []byte) {
	id := randomBase62(apiKeyIDLen)
	secret := randomBase62(apiKeySecretLen)
	keyID = APIKeyPrefix + id
	h := sha256.Sum256([]byte(secret))
	return keyID + "_" + secret, keyID, h[:]
}

// ErrMalformedKey is returned for anything that is not a well-formed key.
var ErrMalformedKey = errors.New("auth: malformed API key")

// ParseAPIKey splits a full key into its public id and secret without
// touching the database, so garbage is refused cheaply.
func ParseAPIKey(s string) (keyID, secret string, err error) {
	if len(s) != len(APIKeyPrefix)+apiKeyIDLen+1+apiKeySecretLen || !strings.HasPrefix(s, APIKeyPrefix) {
		return "", "", ErrMalformedKey
	}
	rest := s[len(APIKeyPrefix):]
	if rest[apiKeyIDLen] != '_' {
		return "", "", ErrMalformedKey
	}
	id, sec := rest[:apiKeyIDLen], rest[apiKeyIDLen+1:]
	if !isBase62(id) || !isBase62(sec) {
		return "", "", ErrMalformedKey
	}
	return APIKeyPrefix + id, sec, nil
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(base62, rune(s[i])) {
			return false
		}
	}
	return true
}

// CheckAPIKeySecret compares a presented secret with the stored hash in
// constant time.
func CheckAPIKeySecret(secret string, hash []byte) bool {
	h := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(h[:], hash) == 1
}

// NewToken returns a random token (256 bits, URL-safe) and the SHA-256 to
// store for it.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the stored form of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
