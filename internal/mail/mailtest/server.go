// Package mailtest runs a real SMTP server inside a test, so that code which
// sends mail can be tested through mail.SMTP and the network instead of
// through a fake Mailer. The server listens on 127.0.0.1 on a free port,
// keeps every message it accepts, parses what a test usually checks (the
// subject and the decoded bodies), and can be told to demand AUTH, to
// reject a recipient with 550, to speak TLS, or to stall.
//
//	srv := mailtest.NewServer(t)
//	m, _ := mail.NewSMTP(mail.SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: "none", From: "prikke@example.com"})
//	... code under test sends ...
//	got, err := srv.Wait(ctx, 1)
//
// The server is closed when the test ends.
package mailtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	// From and To are the envelope: MAIL FROM and the RCPT TO addresses.
	From string
	To   []string
	// Username is who authenticated with AUTH, or "".
	Username string
	// Data is the message as sent after DATA, headers and all.
	Data []byte
	// Subject is the decoded Subject header.
	Subject string
	// Text and HTML are the decoded text/plain and text/html bodies, from a
	// single-part message or the parts of a multipart one.
	Text string
	HTML string
	// ParseErr is set when Data is not a message this package can read;
	// the fields above are then partly empty.
	ParseErr error
}

// Server is an SMTP server for one test. Its methods are safe for
// concurrent use.
type Server struct {
	t        testing.TB
	srv      *smtp.Server
	listener net.Listener
	addr     *net.TCPAddr
	user     string
	pass     string
	tlsMode  tlsMode
	rootCAs  *x509.CertPool
	serveErr chan error
	stop     chan struct{} // closed when the test ends, to release stalls

	mu       sync.Mutex
	msgs     []Received
	arrived  chan struct{} // closed and replaced whenever a message arrives
	rejected map[string]bool
	stall    bool
	closed   bool // no more logging to t once set
}

type tlsMode int

const (
	tlsNone tlsMode = iota
	tlsStartTLS
	tlsImplicit
)

// Option configures a Server.
type Option func(*Server)

// WithAuth makes the server offer AUTH PLAIN and LOGIN and refuse mail from
// clients that did not authenticate as user with pass. Without TLS, AUTH is
// offered in clear text, which is fine on loopback.
func WithAuth(user, pass string) Option {
	return func(s *Server) { s.user, s.pass = user, pass }
}

// WithSTARTTLS makes the server offer STARTTLS with a self-signed
// certificate for 127.0.0.1; clients trust it through RootCAs.
func WithSTARTTLS() Option {
	return func(s *Server) { s.tlsMode = tlsStartTLS }
}

// WithImplicitTLS makes the server speak TLS from the first byte, as on
// port 465, with the certificate of WithSTARTTLS.
func WithImplicitTLS() Option {
	return func(s *Server) { s.tlsMode = tlsImplicit }
}

// NewServer starts a server on 127.0.0.1 on a free port. It fails the test
// if it cannot, and closes the server when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		serveErr: make(chan error, 1),
		stop:     make(chan struct{}),
		arrived:  make(chan struct{}),
		rejected: map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}

	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "mailtest.localhost"
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	// Clear-text AUTH is what lets TLS "none" tests authenticate; nothing
	// leaves the machine.
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = logger{s}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	if s.tlsMode != tlsNone {
		cfg, pool, err := selfSigned()
		if err != nil {
			l.Close()
			t.Fatalf("mailtest: certificate: %v", err)
		}
		s.rootCAs = pool
		if s.tlsMode == tlsStartTLS {
			srv.TLSConfig = cfg
		} else {
			l = tls.NewListener(l, cfg)
		}
	}
	s.srv = srv
	s.listener = l
	s.addr = l.Addr().(*net.TCPAddr)
	go func() { s.serveErr <- srv.Serve(l) }()

	t.Cleanup(s.close)
	return s
}

// close stops the server: it releases stalled sessions, closes the listener
// and every connection, and waits for Serve to return.
func (s *Server) close() {
	close(s.stop)
	// go-smtp closes only the listeners Serve has registered; when a test
	// ends before the Serve goroutine ran, closing ours is what stops it.
	s.srv.Close()
	s.listener.Close()
	if err := <-s.serveErr; err != nil {
		s.t.Errorf("mailtest: serve: %v", err)
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// Host is the address to connect to: "127.0.0.1".
func (s *Server) Host() string { return s.addr.IP.String() }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.addr.Port }

// Addr is Host and Port joined, "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr.String() }

// RootCAs is the pool that trusts the server's certificate, or nil when the
// server does not speak TLS.
func (s *Server) RootCAs() *x509.CertPool { return s.rootCAs }

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.msgs)
}

// Wait returns the messages accepted so far, oldest first, once there are
// at least n of them, or ctx's error when it ends first. It wakes on each
// arrival instead of polling.
func (s *Server) Wait(ctx context.Context, n int) ([]Received, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			msgs := clone(s.msgs)
			s.mu.Unlock()
			return msgs, nil
		}
		arrived := s.arrived
		got := len(s.msgs)
		s.mu.Unlock()

		select {
		case <-arrived:
		case <-ctx.Done():
			return nil, fmt.Errorf("mailtest: waiting for %d messages, got %d: %w", n, got, ctx.Err())
		}
	}
}

// RejectRecipient makes the server answer RCPT TO for addr with 550
// "mailbox unavailable", a permanent failure, from now on. Addresses are
// compared without regard to case.
func (s *Server) RejectRecipient(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[strings.ToLower(addr)] = true
}

// Stall makes the server, from now on, accept DATA and then never answer
// it until the test ends: a relay that hangs mid-message, for testing
// timeouts and cancellation.
func (s *Server) Stall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = true
}

func clone(msgs []Received) []Received {
	out := make([]Received, len(msgs))
	for i, m := range msgs {
		m.To = append([]string(nil), m.To...)
		m.Data = append([]byte(nil), m.Data...)
		out[i] = m
	}
	return out
}

// add stores m and wakes every Wait.
func (s *Server) add(m Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

func (s *Server) isRejected(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected[strings.ToLower(addr)]
}

func (s *Server) stalls() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stall
}

// logger sends go-smtp's connection errors to the test log while the test
// runs; once it ended, t.Log would panic, so they are dropped.
type logger struct{ s *Server }

func (l logger) Printf(format string, v ...any) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if !l.s.closed {
		l.s.t.Logf("mailtest: "+format, v...)
	}
}

func (l logger) Println(v ...any) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if !l.s.closed {
		l.s.t.Log(append([]any{"mailtest:"}, v...)...)
	}
}

// session is one SMTP conversation.
type session struct {
	s        *Server
	username string
	from     string
	to       []string
}

func (s *Server) newSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: s}, nil
}

// AuthMechanisms implements smtp.AuthSession; no mechanisms means no AUTH
// is advertised.
func (ss *session) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth implements smtp.AuthSession.
func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(username, password string) error {
		if username != ss.s.user || password != ss.s.pass {
			return smtp.ErrAuthFailed
		}
		ss.username = username
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, username, password string) error {
			return check(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && ss.username == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.isRejected(to) {
		return &smtp.SMTPError{
			Code:         550,
			EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message:      "Mailbox unavailable: " + to,
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.stalls() {
		<-ss.s.stop
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Server closing"}
	}
	m := parse(data)
	m.From, m.To, m.Username = ss.from, append([]string(nil), ss.to...), ss.username
	ss.s.add(m)
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl only
// implements for clients: ask for the username, then the password.
type loginServer struct {
	check    func(username, password string) error
	username string
	step     int
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step++
		if len(response) > 0 { // initial response carries the username
			l.username = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.step++
		l.username = string(response)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.username, string(response))
	}
}
