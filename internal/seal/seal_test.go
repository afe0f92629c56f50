package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s, err := New("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	a, err := s.Seal(secret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Seal(secret)
	if bytes.Equal(a, b) {
		t.Error("two seals of one value are equal; the nonce is not random")
	}
	if bytes.Contains(a, secret) {
		t.Error("sealed value contains the plaintext")
	}
	got, err := s.Open(a)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	other, _ := New("another key that is long enough!!")
	if _, err := other.Open(a); !errors.Is(err, ErrOpen) {
		t.Errorf("open with another key: err = %v, want ErrOpen", err)
	}
	a[len(a)-1] ^= 1
	if _, err := s.Open(a); !errors.Is(err, ErrOpen) {
		t.Errorf("open altered value: err = %v, want ErrOpen", err)
	}
	if _, err := s.Open(nil); !errors.Is(err, ErrOpen) {
		t.Errorf("open empty: err = %v", err)
	}
	if _, err := New("short"); err == nil {
		t.Error("New accepted a short key")
	}
}
