package mail

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"
)

// MailboxSize is how many messages a Mailbox keeps; older ones are dropped.
const MailboxSize = 200

// Stored is a message kept by a Mailbox.
type Stored struct {
	// ID is random, so a link to one message cannot be guessed from another.
	ID   string
	Time time.Time
	Message
}

// Mailbox is the development Mailer: instead of sending, it keeps the last
// MailboxSize messages in memory so a developer can click the confirmation
// link of an account that never had a real address. The dashboard shows it
// at /dev/mailbox, and only on a loopback address outside production,
// because it holds password-reset links for every account.
//
// Mailbox is safe for concurrent use. The zero value is not usable; call
// NewMailbox.
type Mailbox struct {
	now func() time.Time

	mu   sync.Mutex
	msgs []Stored // oldest first; List reverses
}

// NewMailbox returns an empty mailbox that stamps messages with the wall
// clock.
func NewMailbox() *Mailbox {
	return &Mailbox{now: time.Now}
}

// Send stores m. It checks m like SMTP.Send does, so a message that would
// not go out in production fails in development too.
func (b *Mailbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: mailbox: %w", err)
	}
	if err := m.validate(); err != nil {
		return fmt.Errorf("mail: mailbox: %w", err)
	}
	m = m.clone()
	m.Subject = subjectLine(m.Subject)
	s := Stored{ID: rand.Text(), Time: b.now(), Message: m}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.msgs) == MailboxSize {
		// Shift rather than ring-buffer: 200 copies of a small struct per
		// message is nothing next to rendering the mail.
		copy(b.msgs, b.msgs[1:])
		b.msgs = b.msgs[:MailboxSize-1]
	}
	b.msgs = append(b.msgs, s)
	return nil
}

// List returns the stored messages, newest first. The result is a copy the
// caller may keep.
func (b *Mailbox) List() []Stored {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Stored, len(b.msgs))
	for i, s := range b.msgs {
		s.Message = s.Message.clone()
		out[len(b.msgs)-1-i] = s
	}
	return out
}

// Get returns the stored message with the given ID, if it is still kept.
func (b *Mailbox) Get(id string) (Stored, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.msgs {
		if s.ID == id {
			s.Message = s.Message.clone()
			return s, true
		}
	}
	return Stored{}, false
}
