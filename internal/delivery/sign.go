package delivery

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SecretPrefix starts every Standard Webhooks signing secret.
const SecretPrefix = "whsec_"

// ErrMalformedSecret is returned for a secret that is not "whsec_" followed
// by standard base64 of at least one byte. The secret itself is never
// included in an error.
var ErrMalformedSecret = errors.New("delivery: malformed signing secret")

// NewSecret returns a new signing secret: "whsec_" + base64 of 32 random
// bytes (the spec allows 24 to 64).
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

func decodeSecret(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrMalformedSecret
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) == 0 {
		return nil, ErrMalformedSecret
	}
	return key, nil
}

// Sign returns the Standard Webhooks signature "v1,<base64>" of body for
// one secret: HMAC-SHA256 keyed by the secret's bytes over
// msgID + "." + unix seconds of ts + "." + body.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	s := newSigner(key)
	return string(s.append(nil, msgID, ts.Unix(), body)), nil
}

// signer signs with one key. HMACs are pooled and reset rather than built
// per request: building one costs more than signing a small body.
type signer struct {
	pool sync.Pool // of *macState
}

type macState struct {
	mac hash.Hash
	buf []byte
}

func newSigner(key []byte) *signer {
	s := &signer{}
	s.pool.New = func() any {
		return &macState{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)}
	}
	return s
}

// append appends "v1,<base64 signature>" to dst.
func (s *signer) append(dst []byte, msgID string, unix int64, body []byte) []byte {
	st := s.pool.Get().(*macState)
	st.mac.Reset()
	b := append(st.buf[:0], msgID...)
	b = append(b, '.')
	b = strconv.AppendInt(b, unix, 10)
	b = append(b, '.')
	st.mac.Write(b)
	st.mac.Write(body)
	sum := st.mac.Sum(b[:0])
	dst = append(dst, "v1,"...)
	dst = base64.StdEncoding.AppendEncode(dst, sum)
	st.buf = sum[:0]
	s.pool.Put(st)
	return dst
}

// maxSigners bounds the signer cache; past it the cache starts over.
const maxSigners = 4096

// signers caches a signer per secret so hot paths skip decoding the secret
// and keying an HMAC.
type signers struct {
	mu sync.RWMutex
	m  map[string]*signer
}

func (ss *signers) get(secret string) (*signer, error) {
	ss.mu.RLock()
	s := ss.m[secret]
	ss.mu.RUnlock()
	if s != nil {
		return s, nil
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return nil, err
	}
	s = newSigner(key)
	ss.mu.Lock()
	if ss.m == nil || len(ss.m) >= maxSigners {
		ss.m = make(map[string]*signer)
	}
	ss.m[secret] = s
	ss.mu.Unlock()
	return s, nil
}
