package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/mail/mailtest"
)

// testTimeout bounds every wait in these tests; they finish in milliseconds
// when things work.
const testTimeout = 10 * time.Second

func newSMTP(t *testing.T, cfg SMTPConfig) *SMTP {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "Prikke <no-reply@prikke.example>"
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s
}

func plainConfig(srv *mailtest.Server) SMTPConfig {
	return SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: TLSNone}
}

func testMessage(to ...string) Message {
	return Message{
		To:      to,
		Subject: "Fødselsdag: nightly-report is failing",
		Text:    "Plain body with æøå.\nSecond line.",
		HTML:    "<p>HTML body with <strong>æøå</strong>.</p>",
	}
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func TestSMTPSendPlain(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSMTP(t, plainConfig(srv))
	m := testMessage("alice@example.com", "Bob <bob@example.com>")
	m.Headers = map[string]string{"List-Unsubscribe": "<https://prikke.example/unsubscribe>", "X-Prikke-Kind": "job_failing"}

	if err := s.Send(ctxTimeout(t), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, err := srv.Wait(ctxTimeout(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	r := got[0]
	if r.ParseErr != nil {
		t.Fatalf("parse: %v\n%s", r.ParseErr, r.Data)
	}
	if r.From != "no-reply@prikke.example" {
		t.Errorf("envelope from = %q", r.From)
	}
	if strings.Join(r.To, ",") != "alice@example.com,bob@example.com" {
		t.Errorf("envelope to = %q", r.To)
	}
	if r.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", r.Subject, m.Subject)
	}
	if strings.TrimSpace(r.Text) != m.Text {
		t.Errorf("text = %q, want %q", r.Text, m.Text)
	}
	if strings.TrimSpace(r.HTML) != m.HTML {
		t.Errorf("html = %q, want %q", r.HTML, m.HTML)
	}
	raw := string(r.Data)
	for _, want := range []string{
		"Content-Type: multipart/alternative",
		"Content-Type: text/plain; charset=UTF-8",
		"Content-Type: text/html; charset=UTF-8",
		"Subject: =?UTF-8?", // encoded, because of the ø
		"From: \"Prikke\" <no-reply@prikke.example>",
		"Message-ID: <",
		"@prikke.example>",
		"Auto-Submitted: auto-generated",
		"List-Unsubscribe: <https://prikke.example/unsubscribe>",
		"X-Prikke-Kind: job_failing",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw message lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "go-mail") {
		t.Errorf("raw message advertises the library:\n%s", raw)
	}
}

func TestSMTPSendTextOnly(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSMTP(t, plainConfig(srv))
	m := testMessage("alice@example.com")
	m.HTML = ""
	if err := s.Send(ctxTimeout(t), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, err := srv.Wait(ctxTimeout(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got[0].Data), "multipart") || got[0].HTML != "" {
		t.Errorf("text-only message is multipart:\n%s", got[0].Data)
	}
	if strings.TrimSpace(got[0].Text) != m.Text {
		t.Errorf("text = %q", got[0].Text)
	}
}

func TestSMTPSubjectCannotInjectHeaders(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSMTP(t, plainConfig(srv))
	m := testMessage("alice@example.com")
	m.Subject = "[prikke] x\r\nBcc: mallory@example.com\r\n\r\nbody"
	if err := s.Send(ctxTimeout(t), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, err := srv.Wait(ctxTimeout(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got[0].To, ",") != "alice@example.com" {
		t.Errorf("envelope to = %q", got[0].To)
	}
	if strings.Contains(string(got[0].Data), "\r\nBcc:") {
		t.Errorf("subject started a Bcc header:\n%s", got[0].Data)
	}
	if want := "[prikke] x Bcc: mallory@example.com body"; got[0].Subject != want {
		t.Errorf("subject = %q, want %q", got[0].Subject, want)
	}
}

func TestSMTPAuth(t *testing.T) {
	tests := []struct {
		name    string
		opts    []mailtest.Option
		tls     string
		trusted bool
	}{
		// TLS "none" needs go-mail's PLAIN-NOENC; NewSMTP allows it for
		// loopback hosts only.
		{name: "plain text on loopback", tls: TLSNone},
		{name: "starttls", opts: []mailtest.Option{mailtest.WithSTARTTLS()}, tls: TLSStartTLS, trusted: true},
		{name: "implicit tls", opts: []mailtest.Option{mailtest.WithImplicitTLS()}, tls: TLSImplicit, trusted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.NewServer(t, append(tt.opts, mailtest.WithAuth("apikey", "s3cret-key"))...)
			cfg := SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: tt.tls, Username: "apikey", Password: "s3cret-key"}
			if tt.trusted {
				cfg.RootCAs = srv.RootCAs()
			}
			if err := newSMTP(t, cfg).Send(ctxTimeout(t), testMessage("alice@example.com")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got, err := srv.Wait(ctxTimeout(t), 1)
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Username != "apikey" {
				t.Errorf("authenticated as %q", got[0].Username)
			}
			if got[0].Subject != testMessage().Subject {
				t.Errorf("subject = %q", got[0].Subject)
			}
		})
	}
}

func TestSMTPAuthFailureHidesPassword(t *testing.T) {
	const password = "wrong-but-secret-password"
	srv := mailtest.NewServer(t, mailtest.WithAuth("apikey", "s3cret-key"))
	s := newSMTP(t, SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: TLSNone, Username: "apikey", Password: password})
	err := s.Send(ctxTimeout(t), testMessage("alice@example.com"))
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprint(s.cfg), fmt.Sprintf("%+v", s.cfg), fmt.Sprintf("%#v", s.cfg)} {
		if strings.Contains(text, password) {
			t.Errorf("password leaked: %s", text)
		}
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true; an auth failure is Prikke's problem, not the recipient's", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("server accepted a message without auth")
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithSTARTTLS())
	s := newSMTP(t, SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: TLSStartTLS}) // system roots
	err := s.Send(ctxTimeout(t), testMessage("alice@example.com"))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send to a self-signed relay: err = %v, want a certificate error", err)
	}
}

func TestSMTPStartTLSRequired(t *testing.T) {
	srv := mailtest.NewServer(t) // offers no STARTTLS
	s := newSMTP(t, SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: TLSStartTLS})
	err := s.Send(ctxTimeout(t), testMessage("alice@example.com"))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send without STARTTLS: err = %v, want a STARTTLS error", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("message went out in clear text")
	}
}

func TestSMTPRejectedRecipient(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.RejectRecipient("Gone@Example.com")
	s := newSMTP(t, plainConfig(srv))

	err := s.Send(ctxTimeout(t), testMessage("gone@example.com"))
	if err == nil {
		t.Fatal("Send to a rejected recipient succeeded")
	}
	if !strings.Contains(err.Error(), "gone@example.com") || !strings.Contains(err.Error(), "550") {
		t.Errorf("error %q does not name the recipient and the 550", err)
	}
	if !IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = false", err)
	}

	// The relay still takes mail for others.
	if err := s.Send(ctxTimeout(t), testMessage("alice@example.com")); err != nil {
		t.Fatalf("Send to an accepted recipient: %v", err)
	}
	if got, err := srv.Wait(ctxTimeout(t), 1); err != nil || len(got) != 1 {
		t.Fatalf("Wait = %d messages, %v", len(got), err)
	}
}

func TestSMTPStalledRelay(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.Stall()

	tests := []struct {
		name    string
		timeout time.Duration // SMTPConfig.Timeout
		ctx     time.Duration // the caller's deadline
	}{
		{name: "caller deadline", timeout: time.Minute, ctx: 200 * time.Millisecond},
		{name: "config timeout", timeout: 200 * time.Millisecond, ctx: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := plainConfig(srv)
			cfg.Timeout = tt.timeout
			s := newSMTP(t, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctx)
			defer cancel()

			start := time.Now()
			err := s.Send(ctx, testMessage("alice@example.com"))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Send = %v, want context.DeadlineExceeded", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Send took %s after a 200ms deadline", took)
			}
			if IsPermanent(err) {
				t.Errorf("IsPermanent(timeout) = true")
			}
		})
	}
}

// A relay that accepts the connection and never greets: go-mail waits for
// the banner outside its dial, so only the context watchdog ends this.
func TestSMTPSilentRelay(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	})

	s := newSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: TLSNone, Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, testMessage("alice@example.com"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %s after a 200ms deadline", took)
	}
}

func TestSMTPCanceledContext(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSMTP(t, plainConfig(srv))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, testMessage("alice@example.com")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("message sent with a canceled context")
	}
}

func TestSMTPConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := newSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: port, TLS: TLSNone})
	err = s.Send(ctxTimeout(t), testMessage("alice@example.com"))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Fatalf("Send = %v, want an error naming the relay", err)
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(connection refused) = true")
	}
}

func TestSMTPInvalidMessage(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSMTP(t, plainConfig(srv))
	m := testMessage() // no recipient
	if err := s.Send(ctxTimeout(t), m); err == nil {
		t.Fatal("Send without recipients succeeded")
	}
}

func TestNewSMTP(t *testing.T) {
	valid := SMTPConfig{Host: "in-v3.mailjet.com", Port: 587, Username: "key", Password: "hunter2-secret", From: "Prikke <no-reply@prikke.example>"}
	tests := []struct {
		name    string
		change  func(*SMTPConfig)
		wantErr string // "" for valid
	}{
		{name: "mailjet starttls", change: func(*SMTPConfig) {}},
		{name: "implicit tls", change: func(c *SMTPConfig) { c.TLS, c.Port = TLSImplicit, 465 }},
		{name: "default port", change: func(c *SMTPConfig) { c.Port = 0 }},
		{name: "none without auth", change: func(c *SMTPConfig) { c.TLS, c.Username, c.Password = TLSNone, "", "" }},
		{name: "none with auth on loopback", change: func(c *SMTPConfig) { c.TLS, c.Host = TLSNone, "127.0.0.1" }},
		{name: "none with auth on localhost", change: func(c *SMTPConfig) { c.TLS, c.Host = TLSNone, "localhost" }},
		{name: "none with auth on ::1", change: func(c *SMTPConfig) { c.TLS, c.Host = TLSNone, "::1" }},
		{name: "bare from", change: func(c *SMTPConfig) { c.From = "no-reply@prikke.example" }},
		{name: "ip host", change: func(c *SMTPConfig) { c.Host = "192.0.2.10" }},
		{name: "no host", change: func(c *SMTPConfig) { c.Host = "" }, wantErr: "host is required"},
		{name: "host with port", change: func(c *SMTPConfig) { c.Host = "in-v3.mailjet.com:587" }, wantErr: "host"},
		{name: "host with scheme", change: func(c *SMTPConfig) { c.Host = "smtp://in-v3.mailjet.com" }, wantErr: "host"},
		{name: "negative port", change: func(c *SMTPConfig) { c.Port = -1 }, wantErr: "port -1"},
		{name: "port too big", change: func(c *SMTPConfig) { c.Port = 65536 }, wantErr: "port 65536"},
		{name: "unknown tls", change: func(c *SMTPConfig) { c.TLS = "ssl" }, wantErr: `TLS mode "ssl"`},
		{name: "no from", change: func(c *SMTPConfig) { c.From = "" }, wantErr: "from address is required"},
		{name: "bad from", change: func(c *SMTPConfig) { c.From = "Prikke no-reply" }, wantErr: "from address"},
		{name: "password without user", change: func(c *SMTPConfig) { c.Username = "" }, wantErr: "username is empty"},
		{name: "none with auth over network", change: func(c *SMTPConfig) { c.TLS = TLSNone }, wantErr: "clear text"},
		{name: "negative timeout", change: func(c *SMTPConfig) { c.Timeout = -time.Second }, wantErr: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)
			s, err := NewSMTP(cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("NewSMTP: %v", err)
				}
				if s.cfg.Port < 1 || s.cfg.TLS == "" || s.cfg.Timeout <= 0 {
					t.Errorf("defaults not applied: %v", s.cfg)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewSMTP succeeded, want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), cfg.Password) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

func TestNewSMTPDefaults(t *testing.T) {
	for mode, port := range map[string]int{"": 587, TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25} {
		s, err := NewSMTP(SMTPConfig{Host: "relay.example", From: "a@prikke.example", TLS: mode})
		if err != nil {
			t.Fatalf("%q: %v", mode, err)
		}
		if s.cfg.Port != port {
			t.Errorf("TLS %q: port %d, want %d", mode, s.cfg.Port, port)
		}
		if s.cfg.Timeout != DefaultSMTPTimeout {
			t.Errorf("TLS %q: timeout %s", mode, s.cfg.Timeout)
		}
	}
}

func TestSMTPConfigString(t *testing.T) {
	cfg := SMTPConfig{Host: "h", Username: "u", Password: "hunter2-secret"}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password printed: %s", s)
		}
		if !strings.Contains(s, "[redacted]") {
			t.Errorf("no redaction marker: %s", s)
		}
	}
}

// Both implementations satisfy the seam.
var (
	_ Mailer = (*SMTP)(nil)
	_ Mailer = (*Mailbox)(nil)
)
