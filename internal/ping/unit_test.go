package ping

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// parseURL tells the token form from the slug form by the first segment,
// reads the action, and refuses a bad exit status or rid with a 400.
func TestParseURL(t *testing.T) {
	t.Parallel()
	const tok = "5F1C2A9E-8A4B-4C1D-9E2F-0A1B2C3D4E5F"
	const rid = "0b7e4a52-6f0e-4f8e-9f4b-3c2d1e0f9a8b"
	type want struct {
		token, key, slug string
		kind             prikke.PingKind
		exit             int // -1: none
		rid              string
		create           bool
	}
	for _, tc := range []struct {
		url  string
		want *want
		bad  string // a 400's text contains it; "" and want nil: 404
	}{
		{"/ping/" + tok, &want{token: strings.ToLower(tok), kind: prikke.PingSuccess, exit: -1}, ""},
		{"/ping/" + tok + "/start", &want{token: strings.ToLower(tok), kind: prikke.PingStart, exit: -1}, ""},
		{"/ping/" + tok + "/fail", &want{token: strings.ToLower(tok), kind: prikke.PingFail, exit: -1}, ""},
		{"/ping/" + tok + "/log", &want{token: strings.ToLower(tok), kind: prikke.PingLog, exit: -1}, ""},
		{"/ping/" + tok + "/0", &want{token: strings.ToLower(tok), kind: prikke.PingSuccess, exit: 0}, ""},
		{"/ping/" + tok + "/1", &want{token: strings.ToLower(tok), kind: prikke.PingFail, exit: 1}, ""},
		{"/ping/" + tok + "/255", &want{token: strings.ToLower(tok), kind: prikke.PingFail, exit: 255}, ""},
		{"/ping/" + tok + "/256", nil, "exit status"},
		{"/ping/" + tok + "/99999999999999999999999", nil, "exit status"},
		{"/ping/" + tok + "/-1", nil, ""},
		{"/ping/" + tok + "/stop", nil, ""},
		{"/ping/" + tok + "/start/x", nil, ""},
		{"/ping/" + tok + "/", nil, ""},
		{"/ping/" + tok + "?rid=" + rid, &want{token: strings.ToLower(tok), kind: prikke.PingSuccess, exit: -1, rid: rid}, ""},
		{"/ping/" + tok + "?rid=" + strings.ToUpper(rid), &want{token: strings.ToLower(tok), kind: prikke.PingSuccess, exit: -1, rid: rid}, ""},
		{"/ping/" + tok + "?rid=nope", nil, "rid must be a UUID"},
		{"/ping/" + tok + "?create=1", &want{token: strings.ToLower(tok), kind: prikke.PingSuccess, exit: -1}, ""},
		{"/ping/abcdefghijklmnopqrstuv/backup", &want{key: "abcdefghijklmnopqrstuv", slug: "backup", kind: prikke.PingSuccess, exit: -1}, ""},
		{"/ping/abcdefghijklmnopqrstuv/backup/start?rid=" + rid + "&create=1", &want{key: "abcdefghijklmnopqrstuv", slug: "backup", kind: prikke.PingStart, exit: -1, rid: rid, create: true}, ""},
		{"/ping/abcdefghijklmnopqrstuv/backup/3", &want{key: "abcdefghijklmnopqrstuv", slug: "backup", kind: prikke.PingFail, exit: 3}, ""},
		{"/ping/abcdefghijklmnopqrstuv/backup/300", nil, "exit status"},
		{"/ping/abcdefghijklmnopqrstuv", nil, ""},
		{"/ping/abcdefghijklmnopqrstuv//start", nil, ""},
		{"/ping/abcdefghijklmnopqrstuv/backup/start/x", nil, ""},
		{"/ping/", nil, ""},
	} {
		u, err := parseURL(httptest.NewRequest("GET", tc.url, nil))
		if tc.want == nil {
			var b badRequest
			switch {
			case err == nil:
				t.Errorf("%s: parsed as %+v; want an error", tc.url, u)
			case tc.bad == "" && err != errNotFound:
				t.Errorf("%s: error %v; want not found", tc.url, err)
			case tc.bad != "" && (!errors.As(err, &b) || !strings.Contains(string(b), tc.bad)):
				t.Errorf("%s: error %v; want a 400 saying %q", tc.url, err, tc.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		exit := -1
		if u.exit != nil {
			exit = *u.exit
		}
		got := want{token: u.token, key: u.key, slug: u.slug, kind: u.kind, exit: exit, rid: u.rid, create: u.create}
		if got != *tc.want {
			t.Errorf("%s: parsed %+v; want %+v", tc.url, got, *tc.want)
		}
	}
}

// One monitor's bucket empties after the burst and refills at the rate;
// another monitor's is untouched; the number of buckets stays bounded.
func TestLimiter(t *testing.T) {
	t.Parallel()
	l := newLimiter[prikke.ID](3, 2, 10)
	t0 := time.Unix(1_000_000, 0)
	a, b := prikke.NewID(), prikke.NewID()
	for i := range 3 {
		if ok, _ := l.allow(a, t0); !ok {
			t.Fatalf("ping %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow(a, t0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th ping at once: allowed %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.allow(b, t0); !ok {
		t.Fatal("another monitor was refused")
	}
	if ok, _ := l.allow(a, t0.Add(499*time.Millisecond)); ok {
		t.Fatal("allowed before a token refilled")
	}
	if ok, _ := l.allow(a, t0.Add(500*time.Millisecond)); !ok {
		t.Fatal("refused after a token refilled")
	}
	for range 100 {
		l.allow(prikke.NewID(), t0.Add(time.Minute))
	}
	if n := len(l.buckets); n > 10 {
		t.Fatalf("%d buckets kept; want at most 10", n)
	}
}

// The cache forgets after its TTL and stays bounded.
func TestCache(t *testing.T) {
	t.Parallel()
	c := newCache(10)
	t0 := time.Unix(1_000_000, 0)
	tg := target{id: prikke.NewID(), tier: prikke.TierPro}
	c.put("k", tg, t0, 5*time.Second)
	if got, ok := c.get("k", t0.Add(4*time.Second)); !ok || got != tg {
		t.Fatalf("get = %v, %v", got, ok)
	}
	if _, ok := c.get("k", t0.Add(5*time.Second)); ok {
		t.Fatal("an entry outlived its TTL")
	}
	c.put("k", tg, t0, 5*time.Second)
	c.forget("k")
	if _, ok := c.get("k", t0); ok {
		t.Fatal("a forgotten entry was found")
	}
	for i := range 100 {
		c.put(strings.Repeat("x", i+1), tg, t0, time.Duration(i)*time.Second)
	}
	if n := len(c.entries); n > 10 {
		t.Fatalf("%d entries kept; want at most 10", n)
	}
}

// A body up to the limit is kept whole; past it, cut at the limit with
// the size counted up to the cap.
func TestReadBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n, limit  int
		cap       int64
		keep      int
		size      int
		truncated bool
	}{
		{0, 10, 100, 0, 0, false},
		{10, 10, 100, 10, 10, false},
		{11, 10, 100, 10, 11, true},
		{500, 10, 100, 10, 111, true},
	} {
		body, size, truncated, err := readBody(bytes.NewReader(bytes.Repeat([]byte("b"), tc.n)), tc.limit, tc.cap)
		if err != nil || len(body) != tc.keep || size != tc.size || truncated != tc.truncated {
			t.Errorf("%d bytes, limit %d: kept %d, size %d, truncated %v, %v; want %d, %d, %v", tc.n, tc.limit,
				len(body), size, truncated, err, tc.keep, tc.size, tc.truncated)
		}
	}
}

// The user agent is kept as valid UTF-8, at most MaxUserAgent characters.
func TestUserAgent(t *testing.T) {
	t.Parallel()
	if got := userAgent("curl/8.0"); got != "curl/8.0" {
		t.Errorf("userAgent = %q", got)
	}
	if got := userAgent("a\xffb"); got != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 kept as %q", got)
	}
	if got := userAgent(strings.Repeat("é", 600)); got != strings.Repeat("é", MaxUserAgent) {
		t.Errorf("long agent kept %d characters", len([]rune(got)))
	}
}
