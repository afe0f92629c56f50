package auth

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

func TestAPIKey(t *testing.T) {
	t.Parallel()
	full, keyID, hash := NewAPIKey()
	if !strings.HasPrefix(full, keyID+"_") || !strings.HasPrefix(keyID, "pk_live_") || len(hash) != 32 {
		t.Fatalf("key %q id %q", full, keyID)
	}
	id, secret, err := ParseAPIKey(full)
	if err != nil || id != keyID || !CheckAPIKeySecret(secret, hash) {
		t.Fatalf("parse = %q %q %v", id, secret, err)
	}
	// Change the last character (to one it is not: "x" itself one time
	// in 64 would leave the secret as it was).
	wrong := "x"
	if strings.HasSuffix(secret, wrong) {
		wrong = "y"
	}
	if CheckAPIKeySecret(secret[:len(secret)-1]+wrong, hash) {
		t.Error("a wrong secret matched")
	}
	seen := map[string]bool{}
	for range 1000 {
		f, _, _ := NewAPIKey()
		if seen[f] {
			t.Fatal("duplicate key")
		}
		seen[f] = true
	}
	for _, bad := range []string{"", "pk_live_", full + "x", full[:len(full)-1], strings.Replace(full, "pk_live_", "pk_test_", 1),
		strings.Replace(full, "_", "-", 3), full[:20] + "!" + full[21:], strings.Repeat("A", 10_000)} {
		if _, _, err := ParseAPIKey(bad); err == nil {
			t.Errorf("ParseAPIKey(%q) accepted", bad)
		}
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	a, ha := NewToken()
	b, _ := NewToken()
	if a == b || len(a) < 43 || string(HashToken(a)) != string(ha) {
		t.Errorf("tokens %q %q", a, b)
	}
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := NewHasher()
	ctx := context.Background()
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %q", phc)
	}
	if ok, _ := h.Verify(ctx, "correct horse battery staple", phc); !ok {
		t.Error("the right password did not verify")
	}
	for _, wrong := range []string{"Correct horse battery staple", "correct horse battery stapl", ""} {
		if ok, _ := h.Verify(ctx, wrong, phc); ok {
			t.Errorf("%q verified", wrong)
		}
	}
	// A malformed hash never verifies and costs as much as a real one: the
	// same argon2id work (counted, not timed, so a busy machine cannot
	// blur it).
	for _, hash := range []string{phc, "not-a-hash", ""} {
		before := h.Derived()
		if ok, _ := h.Verify(ctx, "x", hash); ok {
			t.Errorf("%q verified", hash)
		}
		if n := h.Derived() - before; n != 1 {
			t.Errorf("verifying against %.20q derived %d keys, want 1 (timing reveals accounts)", hash, n)
		}
	}
	// Long passwords are not truncated.
	long := strings.Repeat("a", 1000)
	phc2, _ := h.Hash(ctx, long)
	if ok, _ := h.Verify(ctx, long[:999]+"b", phc2); ok {
		t.Error("a long password was truncated")
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	t.Parallel()
	h := &Hasher{sem: make(chan struct{}, 2)}
	h.dummy = h.hash("x")
	var mu sync.Mutex
	active, peak := 0, 0
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			active++
			peak = max(peak, active)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			active--
			mu.Unlock()
			h.release()
		})
	}
	wg.Wait()
	if peak > 2 {
		t.Errorf("%d hashes ran at once; the limit is 2", peak)
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pw, want string
	}{
		{"", "required"},
		{"1234567", "too short"},
		{"ÆØÅæøå1", "too short"},
		{strings.Repeat("x", 1025), "too long"},
		{"password", "too common"},
		{"Password1", "too common"},
		{"iloveyou", "too common"},
		{"12345678", "too common"},
		{"correct horse battery staple", ""},
		{"ÆØÅæøåÆØ", ""},
		{strings.Repeat("z", 1024), ""},
	} {
		var v prikke.Validation
		ValidatePassword(&v, "password", tc.pw)
		err := v.Err()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("ValidatePassword(%.20q) = %v; want %q", tc.pw, err, tc.want)
		}
	}
	if len(commonPasswords) < 5000 {
		t.Errorf("only %d common passwords loaded", len(commonPasswords))
	}
}
