package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes for SMTPConfig.TLS.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS before
	// anything else is said; a relay that does not offer STARTTLS is an
	// error, never a silent downgrade. It is the default, usually on port 587.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte, usually on port 465.
	TLSImplicit = "tls"
	// TLSNone sends everything in clear text. It exists for a relay on the
	// same host and for tests; with a username it is refused for any host
	// that is not loopback, because the password would cross the network in
	// the clear.
	TLSNone = "none"
)

// DefaultSMTPTimeout bounds one Send when SMTPConfig.Timeout is zero. It is
// generous because a relay under load can take seconds to accept DATA, and
// short enough that a dead relay does not pin a notify worker.
const DefaultSMTPTimeout = 30 * time.Second

// defaultPort is the well-known port of a TLS mode, used when
// SMTPConfig.Port is zero.
func defaultPort(tlsMode string) int {
	switch tlsMode {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}

// SMTPConfig says how to reach the SMTP relay.
//
// For Mailjet, the production relay:
//
//	SMTPConfig{
//		Host:     "in-v3.mailjet.com",
//		Port:     587,
//		TLS:      "starttls",
//		Username: "<API key>",
//		Password: "<secret key>",
//		From:     "Prikke <no-reply@example.com>", // a sender validated in Mailjet
//	}
type SMTPConfig struct {
	Host string
	// Port is the relay's port; zero means the usual port for the TLS mode
	// (587 for starttls, 465 for tls, 25 for none).
	Port int
	// Username and Password are sent with AUTH PLAIN or LOGIN (whichever the
	// relay offers, PLAIN first) when Username is set. The password never
	// appears in errors or when the config is printed.
	Username string
	Password string
	// From is the sender of every mail, as an RFC 5322 address:
	// "Prikke <no-reply@example.com>".
	From string
	// TLS is TLSStartTLS (the default when empty), TLSImplicit or TLSNone.
	TLS string
	// Timeout bounds one Send from dial to QUIT; zero means
	// DefaultSMTPTimeout. A shorter deadline on the caller's context wins.
	Timeout time.Duration
	// RootCAs verifies the relay's certificate; nil means the system's
	// roots. Tests set it to trust the mailtest server's certificate.
	RootCAs *x509.CertPool
}

// String prints the config without the password, so that logging a config
// cannot leak it.
func (c SMTPConfig) String() string {
	pw := ""
	if c.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("{Host:%s Port:%d Username:%s Password:%s From:%s TLS:%s Timeout:%s}",
		c.Host, c.Port, c.Username, pw, c.From, c.TLS, c.Timeout)
}

// GoString is String for %#v, which would otherwise print every field.
func (c SMTPConfig) GoString() string { return "mail.SMTPConfig" + c.String() }

// SMTP is the Mailer that delivers through an SMTP relay. It opens one
// connection per Send, which suits Prikke's volume (account mails and
// alerts, not newsletters) and means there is no idle connection to lose.
// It is safe for concurrent use.
type SMTP struct {
	cfg       SMTPConfig
	from      *mail.Address
	domain    string // of From, for Message-IDs
	tlsConfig *tls.Config
}

// NewSMTP checks cfg and returns a Mailer for it. It does not connect: a
// relay that is down at start-up should fail the first mail, not the boot.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("mail: smtp config: %w", err)
	}
	if cfg.Port == 0 {
		cfg.Port = defaultPort(cfg.TLS)
	}
	from, _ := mail.ParseAddress(cfg.From) // validate parsed it
	return &SMTP{
		cfg:    cfg,
		from:   from,
		domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		tlsConfig: &tls.Config{
			ServerName: cfg.Host,
			RootCAs:    cfg.RootCAs,
			MinVersion: tls.VersionTLS12,
		},
	}, nil
}

// validate reports the first problem with c, after defaults were applied.
// No message mentions the password.
func (c SMTPConfig) validate() error {
	if strings.TrimSpace(c.Host) == "" {
		return errors.New("host is required")
	}
	if strings.ContainsAny(c.Host, " /:@") && net.ParseIP(c.Host) == nil {
		return fmt.Errorf("host %q must be a host name or IP address, without port or scheme", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port %d is outside 1-65535", c.Port)
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("TLS mode %q is unknown (want %q, %q or %q)", c.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if c.From == "" {
		return errors.New("from address is required")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("from address %q: %w", c.From, err)
	}
	if c.Password != "" && c.Username == "" {
		return errors.New("password is set but username is empty")
	}
	if c.TLS == TLSNone && c.Username != "" && !isLoopback(c.Host) {
		return fmt.Errorf("TLS %q would send the password in clear text to %s; use %q or %q", TLSNone, c.Host, TLSStartTLS, TLSImplicit)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %s is negative", c.Timeout)
	}
	return nil
}

// isLoopback reports whether host names this machine, where clear text does
// not leave the host.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send delivers m through the relay. It gives up when ctx is done or the
// configured timeout has passed, whichever is first, even in the middle of
// a command. The error names the recipients; IsPermanent tells a rejection
// that retrying cannot fix from a transient failure.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to := strings.Join(m.To, ", ")
	if err := m.validate(); err != nil {
		return fmt.Errorf("mail: send to %s: %w", to, err)
	}
	msg, err := s.build(m)
	if err != nil {
		return fmt.Errorf("mail: send to %s: %w", to, err)
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()

	// go-mail watches ctx while dialing, but afterwards each command is only
	// bounded by its own per-command timeout. Closing the connection when ctx
	// ends unblocks whichever read or write is waiting, so a stalled relay
	// cannot hold a worker past the caller's deadline. The dial function runs
	// on this goroutine, inside DialAndSendWithContext, so stops needs no lock.
	var stops []func() bool
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	dial := func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		conn, err := s.dial(dialCtx, network, addr)
		if err != nil {
			return nil, err
		}
		stops = append(stops, context.AfterFunc(ctx, func() { conn.Close() }))
		return conn, nil
	}

	client, err := gomail.NewClient(s.cfg.Host, s.clientOptions(dial)...)
	if err != nil {
		return fmt.Errorf("mail: send to %s: %w", to, err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	switch {
	case err == nil:
		return nil
	case msg.IsDelivered():
		// The relay accepted the message and only QUIT failed. Reporting an
		// error would make the caller send it a second time.
		return nil
	case ctx.Err() != nil:
		// The error go-mail saw is "use of closed network connection"; the
		// reason is the context.
		return fmt.Errorf("mail: send to %s via %s: %w", to, s.addr(), context.Cause(ctx))
	case expired(ctx):
		// go-mail's own per-command deadline (the same timeout, started
		// later) fired before the context's timer did: an "i/o timeout"
		// that is the deadline all the same.
		return fmt.Errorf("mail: send to %s via %s: %w: %w", to, s.addr(), context.DeadlineExceeded, err)
	default:
		return fmt.Errorf("mail: send to %s via %s: %w", to, s.addr(), err)
	}
}

// expired reports whether ctx's deadline has passed, even if its timer has
// not yet run to say so.
func expired(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// addr is host:port, for errors.
func (s *SMTP) addr() string {
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
}

// dial opens the TCP connection, speaking TLS from the start in implicit
// mode. go-mail does that itself only when it dials, and it must return the
// *tls.Conn unwrapped: that is how go-mail's SMTP client knows the channel
// is encrypted and allows AUTH PLAIN on it.
func (s *SMTP) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{}
	if s.cfg.TLS == TLSImplicit {
		td := &tls.Dialer{NetDialer: d, Config: s.tlsConfig.Clone()}
		return td.DialContext(ctx, network, addr)
	}
	return d.DialContext(ctx, network, addr)
}

// clientOptions translates the config into go-mail's options.
func (s *SMTP) clientOptions(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(s.tlsConfig.Clone()),
		gomail.WithDialContextFunc(dial),
	}
	switch s.cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
		if s.cfg.TLS == TLSNone {
			// go-mail refuses PLAIN and LOGIN on an unencrypted connection
			// unless asked with the -NOENC variants. validate allows TLS
			// "none" with credentials only for loopback hosts (a local
			// relay, the mailtest server), so nothing crosses a network.
			mechs = []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts,
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password),
			gomail.WithOpportunisticSMTPAuth(mechs...),
		)
	}
	return opts
}

// build turns m into a go-mail message: multipart/alternative when there is
// HTML, UTF-8, quoted-printable.
func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To...); err != nil {
		return nil, err
	}
	msg.Subject(subjectLine(m.Subject))
	// The Message-ID uses the sender's domain rather than go-mail's default,
	// this machine's host name, which would tell every recipient the name of
	// an internal host.
	msg.SetMessageIDWithValue(strings.ToLower(rand.Text()) + "@" + s.domain)
	msg.SetDate()
	// RFC 3834: tells out-of-office responders not to answer a robot.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		msg.SetGenHeader(gomail.Header(name), m.Headers[name])
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// IsPermanent reports whether err is the relay refusing a recipient or the
// message with a 5xx reply, such as 550 "mailbox unavailable". Sending the
// same message again will fail the same way, so notify counts it towards
// disabling the channel instead of retrying. Timeouts, refused connections,
// 4xx replies and authentication failures (the relay refusing Prikke, not
// the recipient) are not permanent.
func IsPermanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}
