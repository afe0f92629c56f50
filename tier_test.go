package prikke

import (
	"math"
	"testing"
)

func TestFormatCount(t *testing.T) {
	tests := map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 5000: "5,000", 250000: "250,000", 1234567: "1,234,567", -1234: "-1,234",
		math.MinInt64: "-9,223,372,036,854,775,808"}
	for in, want := range tests {
		if got := FormatCount(in); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", in, got, want)
		}
	}
}
