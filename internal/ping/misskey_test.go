package ping

import "testing"

// The miss limiter counts an IPv6 client by its /64.
func TestMissKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"203.0.113.7":             "203.0.113.7",
		"::ffff:203.0.113.7":      "203.0.113.7",
		"2001:db8:1:2:aaaa::1":    "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb::9999": "2001:db8:1:2::/64",
		"203.0.113.7:5555":        "203.0.113.7",
		"[2001:db8:1:2::5]:443":   "2001:db8:1:2::/64",
		"not an address":          "not an address",
	} {
		if got := missKey(in); got != want {
			t.Errorf("missKey(%q) = %q; want %q", in, got, want)
		}
	}
}
