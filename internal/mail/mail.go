package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Message is one email, ready to send. Text is required; HTML is optional
// and, when present, is sent as the alternative part that mail clients
// prefer.
type Message struct {
	// To are RFC 5322 addresses ("ann@example.com", "Ann <ann@example.com>").
	// Every recipient sees the others, so alerts to several people that do
	// not share a team go out as one Message each.
	To      []string
	Subject string
	Text    string
	HTML    string
	// Headers are extra header fields, such as List-Unsubscribe. Address,
	// MIME and identity headers are set by the Mailer and cannot be
	// overridden here.
	Headers map[string]string
}

// Mailer delivers messages. Send returns when the message was handed over
// (to the relay, or to the development mailbox) or failed; it gives up when
// ctx is done.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// maxSubjectRunes keeps subjects readable in an inbox list; a job name can be
// as long as its owner likes.
const maxSubjectRunes = 150

// reservedHeaders are set by the Mailer. Letting a caller set them would
// allow a second From or a hidden Bcc, or produce a message whose MIME
// structure contradicts its body.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "bcc": true,
	"subject": true, "date": true, "message-id": true, "return-path": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// validate reports what makes m unsendable. Both Mailers call it, so a
// message that the development mailbox accepts is one the relay accepts too.
func (m Message) validate() error {
	if len(m.To) == 0 {
		return errors.New("no recipient")
	}
	for _, to := range m.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return fmt.Errorf("recipient %q: %w", to, err)
		}
	}
	if subjectLine(m.Subject) == "" {
		return errors.New("empty subject")
	}
	if strings.TrimSpace(m.Text) == "" {
		return errors.New("empty text body")
	}
	for name, value := range m.Headers {
		if !validHeaderName(name) {
			return fmt.Errorf("header name %q is not a valid field name", name)
		}
		if reservedHeaders[strings.ToLower(name)] {
			return fmt.Errorf("header %q is set by the mailer", name)
		}
		if strings.ContainsAny(value, "\r\n") {
			return fmt.Errorf("header %q: value contains a line break", name)
		}
	}
	return nil
}

// validHeaderName reports whether name is an RFC 5322 field name: printable
// ASCII without a colon.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// subjectLine makes s safe and readable as a Subject header: control characters,
// CR and LF included, become spaces so user data cannot start a new header
// line, runs of white space collapse, and an overlong subject is cut with an
// ellipsis.
func subjectLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxSubjectRunes {
		s = strings.TrimSpace(string([]rune(s)[:maxSubjectRunes-1])) + "…"
	}
	return s
}

// clone returns a copy of m that shares no slice or map with it, so a stored
// message does not change when the caller reuses its Message.
func (m Message) clone() Message {
	c := m
	c.To = append([]string(nil), m.To...)
	if m.Headers != nil {
		c.Headers = make(map[string]string, len(m.Headers))
		for k, v := range m.Headers {
			c.Headers[k] = v
		}
	}
	return c
}
