package config

import (
	"strings"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    string
		want int64
	}{
		{"", 128 << 20},
		{"off", 0},
		{"OFF", 0},
		{"0", 0},
		{"256MiB", 256 << 20},
		{"256 MB", 256 << 20},
		{"1GiB", 1 << 30},
		{"65536KiB", 64 << 20},
		{"33554432", 32 << 20},
	} {
		c, err := Load(env("PRIKKE_MEMORY_LIMIT", tc.v))
		if err != nil {
			t.Errorf("%q: %v", tc.v, err)
			continue
		}
		if c.MemoryLimit != tc.want {
			t.Errorf("%q: MemoryLimit = %d, want %d", tc.v, c.MemoryLimit, tc.want)
		}
	}
	for _, v := range []string{"lots", "12MiB", "-1GiB", "5TiB", "1.5GiB", "99999999999GiB"} {
		if _, err := Load(env("PRIKKE_MEMORY_LIMIT", v)); err == nil || !strings.Contains(err.Error(), "PRIKKE_MEMORY_LIMIT") {
			t.Errorf("%q: err = %v, want one naming PRIKKE_MEMORY_LIMIT", v, err)
		}
	}
}
