package monitor

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prikke/prikke"
)

// The tail of a ping body a failure alert quotes.
const (
	detailMaxLines = 10
	detailMaxBytes = 1000
)

// FailureDetail is the sentence a "failed" alert carries: the exit status
// and the last lines of the body (at most 10 lines / 1000 bytes, valid
// UTF-8: invalid bytes become U+FFFD, control characters other than tab
// and newline are dropped).
func FailureDetail(p *prikke.Ping) string {
	var b strings.Builder
	switch {
	case p.ExitStatus != nil:
		fmt.Fprintf(&b, "The run failed with exit status %d.", *p.ExitStatus)
	default:
		b.WriteString("The run reported a failure (a /fail ping).")
	}
	if p.Duration != nil {
		fmt.Fprintf(&b, " It took %s.", formatDuration(*p.Duration))
	}
	if tail := bodyTail(p.Body); tail != "" {
		b.WriteString(" The last lines of its output")
		if p.BodyTruncated {
			fmt.Fprintf(&b, " (of the first %d of %d bytes kept)", len(p.Body), p.BodySize)
		}
		b.WriteString(":\n")
		b.WriteString(tail)
	}
	return b.String()
}

// bodyTail returns the last lines of body as clean text.
func bodyTail(body []byte) string {
	// Cut well before cleaning (a huge body costs nothing), then clean,
	// then cut exactly on a character boundary.
	if len(body) > 4*detailMaxBytes {
		body = body[len(body)-4*detailMaxBytes:]
	}
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(body), "\uFFFD"))
	s = strings.TrimRight(s, " \t\n")
	if len(s) > detailMaxBytes {
		cut := len(s) - detailMaxBytes
		for cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut++
		}
		s = s[cut:]
	}
	lines := strings.Split(s, "\n")
	if len(lines) > detailMaxLines {
		lines = lines[len(lines)-detailMaxLines:]
	}
	return strings.Join(lines, "\n")
}

// formatDuration writes d the way durations are given (Go style, "1h30m",
// "45s"), rounded to the second from a minute up, without zero units.
func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(time.Millisecond)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatTime writes an instant for alerts, in loc with its zone's name.
func formatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04:05 MST")
}

// zoneOf is the zone a monitor's times are shown in: its cron zone, else
// UTC.
func zoneOf(m *prikke.Monitor) *time.Location {
	if m.Cron != "" {
		if loc, err := loadLocation(zoneOr(m.TimeZone)); err == nil {
			return loc
		}
	}
	return time.UTC
}
