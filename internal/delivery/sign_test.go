package delivery

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/prikke/prikke/internal/sink"
)

// The known-answer vector from the Standard Webhooks test suite.
func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()
	got, err := Sign(testSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	// The pooled signer Do uses agrees, on first use and on reuse.
	s, err := new(signers).get(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if b := s.append(nil, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`)); string(b) != got {
			t.Fatalf("signer = %s", b)
		}
	}
}

func TestSignMalformedSecret(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "whsec_!!!!", "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		_, err := Sign(secret, "msg_1", time.Now(), nil)
		if !errors.Is(err, ErrMalformedSecret) {
			t.Errorf("Sign(%q) error = %v", secret, err)
		}
		if err != nil && secret != "" && strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains the secret", err)
		}
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, b := NewSecret(), NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("NewSecret = %q, %q", a, b)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if err != nil || len(key) != 32 {
		t.Fatalf("key %d bytes, %v", len(key), err)
	}
	// Usable by the reference library and by Sign.
	wh, err := standardwebhooks.NewWebhook(a)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sig, err := Sign(a, "msg_1", now, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify([]byte("x"), webhookHeader("msg_1", now, sig)); err != nil {
		t.Fatal(err)
	}
}

func webhookHeader(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h
}

// One flipped body byte fails both verifiers; so does a 6-minute-old
// timestamp.
func TestSignatureTampering(t *testing.T) {
	t.Parallel()
	wh, _ := standardwebhooks.NewWebhook(testSecret)
	body := []byte(`{"job":"nightly","n":1}`)
	now := time.Now()
	sig, err := Sign(testSecret, "msg_tamper", now, body)
	if err != nil {
		t.Fatal(err)
	}
	h := webhookHeader("msg_tamper", now, sig)
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("untouched: %v", err)
	}
	if err := sink.Verify([]string{testSecret}, h, body, now); err != nil {
		t.Fatalf("untouched, sink: %v", err)
	}
	for i := range body {
		flipped := append([]byte(nil), body...)
		flipped[i] ^= 0x01
		if wh.Verify(flipped, h) == nil || sink.Verify([]string{testSecret}, h, flipped, now) == nil {
			t.Fatalf("byte %d flipped: accepted", i)
		}
	}

	old := now.Add(-6 * time.Minute)
	sig, _ = Sign(testSecret, "msg_old", old, body)
	h = webhookHeader("msg_old", old, sig)
	if err := wh.Verify(body, h); !errors.Is(err, standardwebhooks.ErrMessageTooOld) {
		t.Errorf("6 minutes old, reference: %v", err)
	}
	if err := sink.Verify([]string{testSecret}, h, body, now); !errors.Is(err, sink.ErrTooOld) {
		t.Errorf("6 minutes old, sink: %v", err)
	}
	if err := wh.VerifyIgnoringTimestamp(body, h); err != nil {
		t.Errorf("6 minutes old, ignoring time: %v", err)
	}
}

// During a rotation Do sends one signature per secret, space-separated, and
// a verifier holding either secret alone accepts the request.
func TestSignatureRotation(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{Secrets: []string{otherSecret}, RecordHeaders: true})
	c := clientFor(t, Options{}, s)
	req := post(s.URL("/ok"))
	req.Secrets = []string{otherSecret, testSecret} // new, old
	if res := c.Do(t.Context(), req); res.Error != "" {
		t.Fatal(res.Error)
	}
	r := s.Requests()[0]
	sigs := strings.Split(r.Header.Get("Webhook-Signature"), " ")
	if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") {
		t.Fatalf("signature header %q", r.Header.Get("Webhook-Signature"))
	}
	if !r.SignatureValid {
		t.Errorf("sink holding the new secret: %s", r.SignatureError)
	}
	for _, secret := range []string{otherSecret, testSecret} {
		wh, _ := standardwebhooks.NewWebhook(secret)
		if err := wh.Verify(r.Body, r.Header); err != nil {
			t.Errorf("reference verifier with one secret: %v", err)
		}
		if err := sink.Verify([]string{secret}, r.Header, r.Body, time.Now()); err != nil {
			t.Errorf("sink verifier with one secret: %v", err)
		}
	}
	wh, _ := standardwebhooks.NewWebhook(NewSecret())
	if err := wh.Verify(r.Body, r.Header); err == nil {
		t.Error("an unrelated secret verified")
	}

	// After the window only the new secret signs.
	s.Reset()
	req.Secrets = []string{otherSecret}
	c.Do(t.Context(), req)
	if got := s.Requests()[0].Header.Get("Webhook-Signature"); strings.Contains(got, " ") {
		t.Errorf("one secret, header %q", got)
	}
}

// webhook-id is the caller's and stays the same across attempts;
// webhook-timestamp is per attempt.
func TestWebhookIDStableAcrossAttempts(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{RecordHeaders: true})
	clock := time.Unix(1_800_000_000, 0)
	c := clientFor(t, Options{NowFunc: func() time.Time { return clock }}, s)
	req := post(s.URL("/500"))
	for attempt := 1; attempt <= 3; attempt++ {
		req.Attempt = attempt
		c.Do(t.Context(), req)
		clock = clock.Add(5 * time.Second)
	}
	reqs := s.Requests()
	if s.ByWebhookID()[req.WebhookID] != 3 {
		t.Fatalf("ids %v", s.ByWebhookID())
	}
	for i, r := range reqs {
		if ts := r.Header.Get("Webhook-Timestamp"); ts != strconv.Itoa(1_800_000_000+5*i) {
			t.Errorf("attempt %d timestamp %s", i+1, ts)
		}
		if r.Attempt != strconv.Itoa(i+1) || strings.Contains(r.WebhookID, ".") {
			t.Errorf("attempt %d: %+v", i+1, r)
		}
	}
}
