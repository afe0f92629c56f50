package mailtest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/prikke/prikke/internal/mail/mailtest"
)

// These tests talk to the server with go-smtp's client, independent of the
// mail package that the server exists to test.

const multipartQP = "From: Prikke <no-reply@prikke.example>\r\n" +
	"To: alice@example.com\r\n" +
	"Subject: =?UTF-8?q?F=C3=B8dselsdag?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=b1\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Hei p=C3=A5 deg, this is a long line that quoted-printable wraps with a sof=\r\n" +
	"t break.\r\n" +
	"--b1\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+SGVpIHDDpSBkZWc8L3A+\r\n" +
	"--b1--\r\n"

const singlePart = "From: a@example.com\r\n" +
	"To: b@example.com\r\n" +
	"Subject: plain\r\n" +
	"\r\n" +
	"Just text.\r\n"

// send delivers data in clear text; go-smtp's SendMail insists on STARTTLS.
func send(t *testing.T, addr string, auth sasl.Client, from string, to []string, data string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	if err := c.SendMail(from, to, strings.NewReader(data)); err != nil {
		return err
	}
	return c.Quit()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestParse(t *testing.T) {
	tests := []struct {
		name          string
		data          string
		subject, text string
		html          string
	}{
		{name: "multipart", data: multipartQP, subject: "Fødselsdag",
			text: "Hei på deg, this is a long line that quoted-printable wraps with a soft break.", html: "<p>Hei på deg</p>"},
		{name: "single part", data: singlePart, subject: "plain", text: "Just text.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.NewServer(t)
			if err := send(t, srv.Addr(), nil, "a@example.com", []string{"b@example.com", "c@example.com"}, tt.data); err != nil {
				t.Fatal(err)
			}
			got, err := srv.Wait(ctx(t), 1)
			if err != nil {
				t.Fatal(err)
			}
			r := got[0]
			if r.ParseErr != nil {
				t.Fatal(r.ParseErr)
			}
			if r.From != "a@example.com" || strings.Join(r.To, ",") != "b@example.com,c@example.com" {
				t.Errorf("envelope = %q -> %q", r.From, r.To)
			}
			if r.Subject != tt.subject || r.Text != tt.text || r.HTML != tt.html {
				t.Errorf("got subject %q text %q html %q, want %q %q %q", r.Subject, r.Text, r.HTML, tt.subject, tt.text, tt.html)
			}
			if !strings.HasPrefix(string(r.Data), "From: ") {
				t.Errorf("raw data = %q", r.Data)
			}
		})
	}
}

func TestWaitWakesOnArrival(t *testing.T) {
	srv := mailtest.NewServer(t)
	done := make(chan error, 1)
	go func() {
		_, err := srv.Wait(ctx(t), 2)
		done <- err
	}()
	for range 2 {
		if err := send(t, srv.Addr(), nil, "a@example.com", []string{"b@example.com"}, singlePart); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("Messages has %d", n)
	}
}

func TestWaitGivesUp(t *testing.T) {
	srv := mailtest.NewServer(t)
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	got, err := srv.Wait(c, 1)
	if !errors.Is(err, context.DeadlineExceeded) || got != nil {
		t.Fatalf("Wait = %v, %v; want context.DeadlineExceeded", got, err)
	}
}

func TestMessagesAreCopies(t *testing.T) {
	srv := mailtest.NewServer(t)
	if err := send(t, srv.Addr(), nil, "a@example.com", []string{"b@example.com"}, singlePart); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	got[0].To[0] = "changed"
	got[0].Data[0] = 'X'
	again := srv.Messages()
	if again[0].To[0] != "b@example.com" || again[0].Data[0] != 'F' {
		t.Error("Messages returned shared slices")
	}
}

func TestRejectRecipient(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.RejectRecipient("Gone@example.com")
	err := send(t, srv.Addr(), nil, "a@example.com", []string{"gone@example.com"}, singlePart)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || !strings.Contains(se.Message, "gone@example.com") {
		t.Fatalf("send = %v, want a 550 naming the recipient", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("rejected message was stored")
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name    string
		auth    sasl.Client
		wantErr int // SMTP code, 0 for success
	}{
		{name: "plain", auth: sasl.NewPlainClient("", "user", "pass")},
		{name: "login", auth: sasl.NewLoginClient("user", "pass")},
		{name: "wrong password", auth: sasl.NewPlainClient("", "user", "nope"), wantErr: 535},
		{name: "none", auth: nil, wantErr: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.NewServer(t, mailtest.WithAuth("user", "pass"))
			err := send(t, srv.Addr(), tt.auth, "a@example.com", []string{"b@example.com"}, singlePart)
			if tt.wantErr == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got := srv.Messages(); len(got) != 1 || got[0].Username != "user" {
					t.Errorf("Messages = %+v", got)
				}
				return
			}
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != tt.wantErr {
				t.Fatalf("send = %v, want SMTP %d", err, tt.wantErr)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	t.Run("starttls", func(t *testing.T) {
		srv := mailtest.NewServer(t, mailtest.WithSTARTTLS())
		c, err := smtp.DialStartTLS(srv.Addr(), &tls.Config{RootCAs: srv.RootCAs(), ServerName: srv.Host()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(singlePart)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("implicit", func(t *testing.T) {
		srv := mailtest.NewServer(t, mailtest.WithImplicitTLS())
		c, err := smtp.DialTLS(srv.Addr(), &tls.Config{RootCAs: srv.RootCAs(), ServerName: srv.Host()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(singlePart)); err != nil {
			t.Fatal(err)
		}
	})
	if srv := mailtest.NewServer(t); srv.RootCAs() != nil {
		t.Error("plain server has a certificate pool")
	}
}

func TestStall(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.Stall()
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SubmissionTimeout = 100 * time.Millisecond
	start := time.Now()
	err = c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(singlePart))
	if err == nil {
		t.Fatal("stalled server answered DATA")
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("DATA failed after %s, before the client's timeout: %v", took, err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("stalled message was stored")
	}
}
