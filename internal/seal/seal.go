// Package seal encrypts secrets that Prikke must read back in clear, such
// as project signing secrets (they sign, so they cannot be hashed). It uses
// AES-256-GCM with a key derived from PRIKKE_SECRET_KEY by HKDF-SHA256, so a
// database dump alone reveals no secret.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// version prefixes every sealed value so the scheme can change later.
const version = 1

// Sealer seals and opens values with one key.
type Sealer struct {
	aead cipher.AEAD
}

// New derives the sealing key from secretKey.
func New(secretKey string) (*Sealer, error) {
	if len(secretKey) < 32 {
		return nil, errors.New("seal: secret key must be at least 32 characters")
	}
	key, err := hkdf.Key(sha256.New, []byte(secretKey), nil, "prikke seal v1", 32)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext: version byte, random nonce, ciphertext and tag.
func (s *Sealer) Seal(plaintext []byte) ([]byte, error) {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:], plaintext, []byte{version}), nil
}

// ErrOpen means a sealed value could not be opened: it was sealed with
// another key, or altered.
var ErrOpen = errors.New("seal: cannot open value (wrong PRIKKE_SECRET_KEY or altered data)")

// Open decrypts a value made by Seal.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte{version})
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
