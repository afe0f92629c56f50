package monitor

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
)

func TestFailureDetail(t *testing.T) {
	exit := func(n int) *int { return &n }
	var many strings.Builder
	for i := 1; i <= 30; i++ {
		many.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	tests := []struct {
		name  string
		p     prikke.Ping
		want  []string // substrings
		never []string
	}{
		{"fail ping, no body", prikke.Ping{Kind: prikke.PingFail}, []string{"The run reported a failure (a /fail ping)."}, []string{"output"}},
		{"exit status", prikke.Ping{Kind: prikke.PingFail, ExitStatus: exit(137)}, []string{"The run failed with exit status 137."}, nil},
		{"duration", prikke.Ping{Kind: prikke.PingFail, ExitStatus: exit(1), Duration: ptr(90 * time.Second)}, []string{"It took 1m30s."}, nil},
		{"body", prikke.Ping{Kind: prikke.PingFail, ExitStatus: exit(2), Body: []byte("starting\ndisk full\n\n")}, []string{"exit status 2. The last lines of its output:\nstarting\ndisk full"}, []string{"disk full\n"}},
		{"last ten lines", prikke.Ping{Kind: prikke.PingFail, Body: []byte(many.String())}, []string{"output:\nline 21\nline 22\n", "\nline 30"}, []string{"line 20"}},
		{"control characters dropped", prikke.Ping{Kind: prikke.PingFail, Body: []byte("\x1b[31mred\x1b[0m\r\nok\tdone\x00")}, []string{"[31mred[0m\nok\tdone"}, []string{"\x1b", "\r", "\x00"}},
		{"invalid UTF-8", prikke.Ping{Kind: prikke.PingFail, Body: []byte("bad \xff\xfe byte, ok é")}, []string{"bad \uFFFD byte, ok é"}, nil},
		{"truncated body", prikke.Ping{Kind: prikke.PingFail, Body: []byte("abc"), BodySize: 20000, BodyTruncated: true}, []string{"(of the first 3 of 20000 bytes kept)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FailureDetail(&tt.p)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q does not contain %q", got, w)
				}
			}
			for _, w := range tt.never {
				if strings.Contains(got, w) {
					t.Errorf("%q contains %q", got, w)
				}
			}
		})
	}
}

// TestFailureDetailBounds: whatever the body, the quoted tail is valid
// UTF-8, at most 10 lines and 1000 bytes.
func TestFailureDetailBounds(t *testing.T) {
	bodies := map[string][]byte{
		"one long line":         bytes.Repeat([]byte("x"), 100_000),
		"long, multibyte":       bytes.Repeat([]byte("é漢🙂"), 20_000),
		"cut inside a rune":     append(bytes.Repeat([]byte("x"), 3000), "🙂🙂🙂"[:10]...),
		"all invalid":           bytes.Repeat([]byte{0xff}, 5000),
		"invalid then text":     append(bytes.Repeat([]byte{0xc3}, 999), []byte(strings.Repeat("ok\n", 3))...),
		"many short lines":      bytes.Repeat([]byte("a\n"), 10_000),
		"multibyte at the edge": append([]byte("é"), bytes.Repeat([]byte("x"), 999)...),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			got := FailureDetail(&prikke.Ping{Kind: prikke.PingFail, Body: body})
			if !utf8.ValidString(got) {
				t.Fatalf("not valid UTF-8: %q", got)
			}
			_, tail, ok := strings.Cut(got, "output:\n")
			if !ok {
				t.Fatalf("no tail in %q", got)
			}
			if len(tail) > 1000 || strings.Count(tail, "\n") > 9 || tail == "" {
				t.Errorf("tail of %d bytes, %d lines", len(tail), strings.Count(tail, "\n")+1)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:                       "30s",
		1500 * time.Millisecond:                "1.5s",
		time.Minute:                            "1m",
		90*time.Minute + 1400*time.Millisecond: "1h30m1s",
		2 * time.Hour:                          "2h",
		250 * time.Millisecond:                 "250ms",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
