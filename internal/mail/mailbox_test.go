package mail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestMailboxNewestFirst(t *testing.T) {
	b := NewMailbox()
	clock := time.Date(2026, 11, 3, 14, 0, 0, 0, time.UTC)
	b.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	ctx := context.Background()
	for i := range 3 {
		if err := b.Send(ctx, Message{To: []string{"a@example.com"}, Subject: fmt.Sprint("m", i), Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	got := b.List()
	if len(got) != 3 {
		t.Fatalf("List has %d messages", len(got))
	}
	for i, want := range []string{"m2", "m1", "m0"} {
		if got[i].Subject != want {
			t.Errorf("List()[%d].Subject = %q, want %q", i, got[i].Subject, want)
		}
	}
	if !got[0].Time.After(got[1].Time) {
		t.Errorf("times %v, %v are not newest first", got[0].Time, got[1].Time)
	}
	if got[0].ID == "" || got[0].ID == got[1].ID {
		t.Errorf("IDs %q, %q are not unique", got[0].ID, got[1].ID)
	}

	s, ok := b.Get(got[1].ID)
	if !ok || s.Subject != "m1" {
		t.Errorf("Get(%q) = %+v, %v", got[1].ID, s, ok)
	}
	if _, ok := b.Get("nope"); ok {
		t.Error("Get of an unknown ID succeeded")
	}
}

func TestMailboxKeepsLast200(t *testing.T) {
	b := NewMailbox()
	ctx := context.Background()
	var first string
	for i := range MailboxSize + 5 {
		if err := b.Send(ctx, Message{To: []string{"a@example.com"}, Subject: fmt.Sprint("m", i), Text: "t"}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b.List()[0].ID
		}
	}
	got := b.List()
	if len(got) != MailboxSize {
		t.Fatalf("List has %d messages, want %d", len(got), MailboxSize)
	}
	if want := fmt.Sprint("m", MailboxSize+4); got[0].Subject != want {
		t.Errorf("newest = %q, want %q", got[0].Subject, want)
	}
	if got[MailboxSize-1].Subject != "m5" {
		t.Errorf("oldest = %q, want m5", got[MailboxSize-1].Subject)
	}
	if _, ok := b.Get(first); ok {
		t.Error("dropped message is still found")
	}
}

func TestMailboxCopies(t *testing.T) {
	b := NewMailbox()
	m := Message{To: []string{"a@example.com"}, Subject: "s\r\nBcc: x@y", Text: "t", Headers: map[string]string{"X-A": "1"}}
	if err := b.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	m.To[0] = "changed@example.com"
	m.Headers["X-A"] = "changed"

	got := b.List()[0]
	if got.To[0] != "a@example.com" || got.Headers["X-A"] != "1" {
		t.Errorf("stored message changed with the caller's: %+v", got.Message)
	}
	if got.Subject != "s Bcc: x@y" {
		t.Errorf("subject stored as %q, not as SMTP would send it", got.Subject)
	}
	got.To[0] = "changed@example.com"
	if again, _ := b.Get(got.ID); again.To[0] != "a@example.com" {
		t.Error("List returned the stored slice")
	}
}

func TestMailboxRejects(t *testing.T) {
	b := NewMailbox()
	if err := b.Send(context.Background(), Message{Subject: "s", Text: "t"}); err == nil {
		t.Error("Send without a recipient succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := b.Send(ctx, Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a canceled context = %v", err)
	}
	if n := len(b.List()); n != 0 {
		t.Errorf("mailbox holds %d messages", n)
	}
}

func TestMailboxConcurrent(t *testing.T) {
	b := NewMailbox()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				m := Message{To: []string{"a@example.com"}, Subject: fmt.Sprint(g, "-", i), Text: "t"}
				if err := b.Send(context.Background(), m); err != nil {
					t.Error(err)
				}
				for _, s := range b.List() {
					b.Get(s.ID)
				}
			}
		})
	}
	wg.Wait()
	if n := len(b.List()); n != MailboxSize {
		t.Errorf("mailbox holds %d messages, want %d", n, MailboxSize)
	}
}
