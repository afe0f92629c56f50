package sink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Tolerance is how far a webhook-timestamp may be from the sink's clock.
const Tolerance = 5 * time.Minute

// Verification failures. They are static so recording one costs nothing.
var (
	ErrMissingHeaders   = errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	ErrInvalidTimestamp = errors.New("webhook-timestamp is not a unix time in seconds")
	ErrTooOld           = errors.New("webhook-timestamp too old")
	ErrTooNew           = errors.New("webhook-timestamp too new")
	ErrNoMatch          = errors.New("no matching signature")
	ErrNoSecrets        = errors.New("no secrets configured")
)

// key is one decoded secret with a pool of HMACs keyed by it.
type key struct {
	macs sync.Pool
}

func newKey(secret string) (*key, error) {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New(`secret must start with "whsec_"`)
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(b) == 0 {
		return nil, errors.New("secret is not base64 after whsec_")
	}
	k := &key{}
	k.macs.New = func() any { return hmac.New(sha256.New, b) }
	return k, nil
}

// Verify checks a request's Standard Webhooks signature against secrets,
// allowing Tolerance of clock difference from now. It is the sink's own
// verifier, independent of the sender's code.
func Verify(secrets []string, h http.Header, body []byte, now time.Time) error {
	keys := make([]*key, 0, len(secrets))
	for _, s := range secrets {
		k, err := newKey(s)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	return verify(keys, h, body, now)
}

func verify(keys []*key, h http.Header, body []byte, now time.Time) error {
	if len(keys) == 0 {
		return ErrNoSecrets
	}
	id := first(h["Webhook-Id"])
	ts := first(h["Webhook-Timestamp"])
	sigs := first(h["Webhook-Signature"])
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	switch d := now.Unix() - unix; {
	case d > int64(Tolerance/time.Second):
		return ErrTooOld
	case d < -int64(Tolerance/time.Second):
		return ErrTooNew
	}

	const sigLen = 44 // base64 of a SHA-256 sum, padded
	var want [sha256.Size]byte
	var got [sha256.Size + 1]byte
	var enc [sigLen]byte
	for _, k := range keys {
		mac := k.macs.Get().(hash.Hash)
		mac.Reset()
		var prefix [128]byte
		p := append(prefix[:0], id...)
		p = append(p, '.')
		p = append(p, ts...)
		p = append(p, '.')
		mac.Write(p)
		mac.Write(body)
		mac.Sum(want[:0])
		k.macs.Put(mac)

		for rest := sigs; rest != ""; {
			var sig string
			sig, rest, _ = strings.Cut(rest, " ")
			b64, ok := strings.CutPrefix(sig, "v1,")
			if !ok || len(b64) != sigLen {
				continue
			}
			copy(enc[:], b64)
			n, err := base64.StdEncoding.Decode(got[:], enc[:])
			if err != nil || n != sha256.Size {
				continue
			}
			if hmac.Equal(got[:n], want[:]) {
				return nil
			}
		}
	}
	return ErrNoMatch
}
