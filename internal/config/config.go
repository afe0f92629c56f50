// Package config reads Prikke's configuration from PRIKKE_* environment
// variables, applies safe defaults, and validates everything at start with
// errors that say what to fix. There are no package-level settings: the
// command loads a Config and passes it down.
package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
)

// Environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is the whole configuration.
type Config struct {
	DatabaseURL string // sqlite:PATH or postgres://…
	Addr        string // listen address
	BaseURL     string // public URL, for links in mails and the UI
	Env         string // development | production
	SecretKey   string // seals secrets at rest; generated and persisted when unset in development
	NodeID      string // this node's name in leases and logs

	SMTP SMTP

	MetricsAddr  string // listen address of /metrics, apart from Addr; "" when off
	MetricsToken string // bearer token /metrics asks for; "" for none

	WorkersMin    int           // worker goroutines kept alive
	WorkersMax    int           // upper bound on concurrent deliveries per node
	OrgInFlight   int           // per-organization cap on in-flight deliveries per node
	HostInFlight  int           // per-destination soft cap on requests in flight per node
	RescueGrace   time.Duration // added to a job's timeout before a lost attempt is rescued
	NodeDeadAfter time.Duration // a node whose heartbeat is this old is dead: its work is taken over
	DrainTimeout  time.Duration // how long SIGTERM waits for in-flight deliveries
	LeaderTTL     time.Duration // scheduler leadership lease
	SchedulerLead time.Duration // how far ahead occurrences are written
	// MemoryLimit is the Go runtime's soft memory limit in bytes
	// (PRIKKE_MEMORY_LIMIT; 0: none). See cmd/prikke/engine.go.
	MemoryLimit int64

	// Trace records where each attempt's time went (PRIKKE_TRACE);
	// RecordRequestBody keeps the body each attempt sent
	// (PRIKKE_RECORD_REQUEST_BODY). Both default to on (inspect.go).
	Trace             bool
	RecordRequestBody bool

	SSRFAllow      []netip.AddrPort // exact ip:port pairs deliveries may reach despite the SSRF guard (tests only)
	SSRFAllowNets  []netip.Prefix   // ranges whose addresses the SSRF guard lets through, ports still checked (development only)
	TrustedProxies []netip.Prefix   // proxies whose X-Forwarded-For is believed
	SignupOpen     bool             // whether anyone may register
	LogLevel       string           // debug | info | warn | error
	LogFormat      string           // text | json

	// TestClockOffset shifts this node's clock (clock-skew tests only).
	TestClockOffset time.Duration

	Legal Legal
	// OperatorEmails are the accounts that see the dashboard's operator
	// console (PRIKKE_OPERATOR_EMAILS), normalised as account emails are.
	OperatorEmails []string

	// DefaultTier is the tier new organizations get (PRIKKE_DEFAULT_TIER).
	DefaultTier string
	Billing     Billing
}

// Billing configures payments. Provider "off" (the default): no prices and
// no checkout anywhere, tiers are DefaultTier or what an operator sets.
// "lemonsqueezy": every LemonSqueezy field but APIURL and TestMode is
// required.
type Billing struct {
	Provider      string // off | lemonsqueezy
	APIURL        string // PRIKKE_LEMONSQUEEZY_API_URL
	APIKey        string // PRIKKE_LEMONSQUEEZY_API_KEY
	StoreID       string // PRIKKE_LEMONSQUEEZY_STORE_ID
	ProVariantID  string // PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID
	SigningSecret string // PRIKKE_LEMONSQUEEZY_SIGNING_SECRET, 6-40 characters
	TestMode      bool   // PRIKKE_LEMONSQUEEZY_TEST_MODE: accept test-mode events (staging)
}

// Billing providers.
const (
	BillingOff          = "off"
	BillingLemonSqueezy = "lemonsqueezy"
)

// Legal is what /privacy, /terms and /imprint say about who runs this
// Prikke. Unset fields leave the pages' defaults saying so.
type Legal struct {
	Dir      string // privacy, terms and imprint .html (trusted fragments) or .txt files replacing the default pages
	Operator string // who runs this Prikke and is responsible for its data
	Address  string // the operator's postal address
	Email    string // where to write about privacy and the terms
	Hosting  string // where the servers and the database are (provider, country)
}

// SMTP configures outgoing mail. With no Host, mail goes to the
// development mailbox at /dev/mailbox.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string // starttls | tls | none
}

// Var documents one environment variable for --help.
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable Prikke reads.
var Vars = []Var{
	{"PRIKKE_DATABASE_URL", "sqlite:./prikke.db", "sqlite:PATH (created on first start) or postgres://user:pass@host:5432/db"},
	{"PRIKKE_ADDR", "127.0.0.1:4000", "address the HTTP server listens on"},
	{"PRIKKE_METRICS_ADDR", "127.0.0.1:9464", "address Prometheus /metrics is served on, apart from PRIKKE_ADDR (which does not serve it); off to disable; an address beyond loopback needs PRIKKE_METRICS_TOKEN in production"},
	{"PRIKKE_METRICS_TOKEN", "", "bearer token /metrics asks for (Authorization: Bearer TOKEN), at least 16 characters"},
	{"PRIKKE_BASE_URL", "http:// + PRIKKE_ADDR", "public URL of this Prikke, used in links"},
	{"PRIKKE_ENV", "development", "development or production"},
	{"PRIKKE_SECRET_KEY", "generated and stored in the database", "at least 32 characters; encrypts secrets at rest; required in production"},
	{"PRIKKE_NODE_ID", "host-pid", "name of this node in leases and logs"},
	{"PRIKKE_SMTP_HOST", "", "SMTP server; required in production; unset in development: mail goes to the dev mailbox at /dev/mailbox"},
	{"PRIKKE_SMTP_PORT", "587", "SMTP port"},
	{"PRIKKE_SMTP_USERNAME", "", "SMTP user (Mailjet: API key)"},
	{"PRIKKE_SMTP_PASSWORD", "", "SMTP password (Mailjet: secret key)"},
	{"PRIKKE_SMTP_FROM", "Prikke <no-reply@localhost>", "sender address"},
	{"PRIKKE_SMTP_TLS", "starttls", "starttls, tls (implicit, port 465) or none (local relays only)"},
	{"PRIKKE_WORKERS_MIN", "4", "delivery workers kept alive per node"},
	{"PRIKKE_WORKERS_MAX", "512", "most concurrent deliveries per node"},
	{"PRIKKE_ORG_IN_FLIGHT", "256", "most concurrent deliveries of one organization per node (a hanging tenant cannot take the rest)"},
	{"PRIKKE_HOST_IN_FLIGHT", "64", "most requests in flight from a node to one destination host; more wait their turn, none longer than 100ms (a burst to a fast endpoint is spread out, a slow endpoint still gets all it needs)"},
	{"PRIKKE_RESCUE_GRACE", "30s", "a lost attempt is delivered again after its timeout plus this grace"},
	{"PRIKKE_NODE_DEAD_AFTER", "5s", "PostgreSQL: a node whose heartbeat (every second) is this old is dead; what it had not sent goes back to the queue and what it had sent is delivered again, at once"},
	{"PRIKKE_DRAIN_TIMEOUT", "30s", "how long SIGTERM lets in-flight deliveries finish"},
	{"PRIKKE_LEADER_TTL", "15s", "scheduler leadership lease; another node takes over this long after the leader dies"},
	{"PRIKKE_SCHEDULER_LEAD", "5s", "how far ahead occurrences are written"},
	{"PRIKKE_MEMORY_LIMIT", "128MiB", "soft limit on the memory the Go runtime uses (heap, stacks), like 128MiB or 1GiB; the garbage collector works harder as it nears it, and while below collects less often (GOGC 200); off for none. GOMEMLIMIT or GOGC in the environment win"},
	{"PRIKKE_TRACE", "true", "true: record where each attempt's time went (DNS, connect, TLS, send, wait, body), the address dialled, the TLS version and the connection's reuse; false: don't"},
	{"PRIKKE_RECORD_REQUEST_BODY", "true", "true: keep the body each attempt sent (up to 64 KiB) in its execution; false: don't"},
	{"PRIKKE_SSRF_ALLOW", "", "development and tests only: comma-separated destinations the SSRF guard lets deliveries reach: loopback (this machine), CIDRs like 172.17.0.0/16, or exact ip:port pairs; refused in production"},
	{"PRIKKE_TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is trusted"},
	{"PRIKKE_SIGNUP", "open", "open or closed (closed: only `prikke user create` makes accounts)"},
	{"PRIKKE_OPERATOR_NAME", "", "who runs this Prikke (a company or person), shown on /privacy, /terms and /imprint"},
	{"PRIKKE_OPERATOR_ADDRESS", "", "the operator's postal address, shown on /imprint and /privacy"},
	{"PRIKKE_OPERATOR_EMAIL", "", "contact address for privacy and legal questions"},
	{"PRIKKE_OPERATOR_EMAILS", "", "comma-separated emails of the accounts that get the dashboard's operator console (incidents, organizations, suspensions, nodes); each must sign in with that email confirmed"},
	{"PRIKKE_HOSTING_LOCATION", "", "where the servers and the database are (provider, country), shown on /privacy"},
	{"PRIKKE_LEGAL_DIR", "", "directory whose privacy, terms and imprint .html (trusted fragments) or .txt files replace the default pages"},
	{"PRIKKE_DEFAULT_TIER", "free", "the tier new organizations get: free, or pro (a self-hosted Prikke with no billing)"},
	{"PRIKKE_BILLING", "off", "off (no prices, no checkout) or lemonsqueezy (Pro subscriptions through Lemon Squeezy; needs the PRIKKE_LEMONSQUEEZY_ variables)"},
	{"PRIKKE_LEMONSQUEEZY_API_URL", "https://api.lemonsqueezy.com", "Lemon Squeezy's API; http only for a loopback fake or in development"},
	{"PRIKKE_LEMONSQUEEZY_API_KEY", "", "API key (Lemon Squeezy: Settings → API); required with PRIKKE_BILLING=lemonsqueezy"},
	{"PRIKKE_LEMONSQUEEZY_STORE_ID", "", "the store's id, a number; required with PRIKKE_BILLING=lemonsqueezy"},
	{"PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID", "", "the Pro subscription variant's id, a number; required with PRIKKE_BILLING=lemonsqueezy"},
	{"PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", "", "the webhook's signing secret, 6-40 characters; required with PRIKKE_BILLING=lemonsqueezy"},
	{"PRIKKE_LEMONSQUEEZY_TEST_MODE", "false", "true: accept test-mode webhook events (a staging store); false refuses them"},
	{"PRIKKE_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"PRIKKE_LOG_FORMAT", "text in development, json in production", "text or json"},
	{"PRIKKE_TEST_CLOCK_OFFSET", "", "tests only: shift this node's clock (e.g. 120s, -120s); refused in production"},
}

// Load reads the configuration through getenv and validates it. The error
// lists every problem, each naming the variable and what to do.
func Load(getenv func(string) string) (*Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	str := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	integer := func(name string, def, lo, hi int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			bad(name, "must be a whole number between %d and %d, got %q", lo, hi, v)
			return def
		}
		return n
	}
	duration := func(name string, def, lo, hi time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < lo || d > hi {
			bad(name, "must be a duration between %s and %s like 30s or 2m, got %q", lo, hi, v)
			return def
		}
		return d
	}

	c := &Config{
		DatabaseURL: str("PRIKKE_DATABASE_URL", "sqlite:./prikke.db"),
		Addr:        str("PRIKKE_ADDR", "127.0.0.1:4000"),
		Env:         str("PRIKKE_ENV", EnvDevelopment),
		SecretKey:   getenv("PRIKKE_SECRET_KEY"),
		NodeID:      str("PRIKKE_NODE_ID", defaultNodeID()),
		SMTP: SMTP{
			Host:     str("PRIKKE_SMTP_HOST", ""),
			Port:     integer("PRIKKE_SMTP_PORT", 587, 1, 65535),
			Username: getenv("PRIKKE_SMTP_USERNAME"),
			Password: getenv("PRIKKE_SMTP_PASSWORD"),
			From:     str("PRIKKE_SMTP_FROM", "Prikke <no-reply@localhost>"),
			TLS:      str("PRIKKE_SMTP_TLS", "starttls"),
		},
		WorkersMin:    integer("PRIKKE_WORKERS_MIN", 4, 1, 10_000),
		WorkersMax:    integer("PRIKKE_WORKERS_MAX", 512, 1, 10_000),
		OrgInFlight:   integer("PRIKKE_ORG_IN_FLIGHT", 256, 1, 10_000),
		HostInFlight:  integer("PRIKKE_HOST_IN_FLIGHT", 64, 0, 10_000),
		RescueGrace:   duration("PRIKKE_RESCUE_GRACE", 30*time.Second, time.Second, time.Hour),
		NodeDeadAfter: duration("PRIKKE_NODE_DEAD_AFTER", 5*time.Second, 2*time.Second, 5*time.Minute),
		DrainTimeout:  duration("PRIKKE_DRAIN_TIMEOUT", 30*time.Second, 0, 10*time.Minute),
		LeaderTTL:     duration("PRIKKE_LEADER_TTL", 15*time.Second, time.Second, 5*time.Minute),
		SchedulerLead: duration("PRIKKE_SCHEDULER_LEAD", 5*time.Second, 100*time.Millisecond, time.Minute),
		LogLevel:      strings.ToLower(str("PRIKKE_LOG_LEVEL", "info")),
	}
	if v := strings.TrimSpace(getenv("PRIKKE_MEMORY_LIMIT")); v == "" {
		c.MemoryLimit = 128 << 20
	} else if n, err := parseBytes(v); err != nil || (n != 0 && n < 16<<20) {
		bad("PRIKKE_MEMORY_LIMIT", "must be a size of at least 16MiB like 128MiB or 1GiB, or off, got %q", v)
	} else {
		c.MemoryLimit = n
	}
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		bad("PRIKKE_ENV", "must be %q or %q, got %q", EnvDevelopment, EnvProduction, c.Env)
	}
	prod := c.Env == EnvProduction
	c.LogFormat = strings.ToLower(str("PRIKKE_LOG_FORMAT", map[bool]string{true: "json", false: "text"}[prod]))

	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		if strings.TrimPrefix(c.DatabaseURL, "sqlite:") == "" {
			bad("PRIKKE_DATABASE_URL", "sqlite: needs a file path, e.g. sqlite:./prikke.db")
		}
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if u, err := url.Parse(c.DatabaseURL); err != nil || u.Host == "" {
			bad("PRIKKE_DATABASE_URL", "is not a valid postgres:// URL")
		}
	default:
		bad("PRIKKE_DATABASE_URL", "must start with sqlite: or postgres://, got %q", redactURL(c.DatabaseURL))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("PRIKKE_ADDR", "must be host:port like 127.0.0.1:4000 or :4000, got %q", c.Addr)
	}
	c.MetricsAddr, c.MetricsToken = str("PRIKKE_METRICS_ADDR", "127.0.0.1:9464"), strings.TrimSpace(getenv("PRIKKE_METRICS_TOKEN"))
	if c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	} else if host, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		bad("PRIKKE_METRICS_ADDR", "must be host:port like 127.0.0.1:9464, or off, got %q", c.MetricsAddr)
	} else if ip, err := netip.ParseAddr(host); prod && c.MetricsToken == "" && (host != "localhost" && (err != nil || !ip.IsLoopback())) {
		bad("PRIKKE_METRICS_ADDR", "%s is reachable beyond this host: set PRIKKE_METRICS_TOKEN (Prometheus sends it as a bearer token), or listen on 127.0.0.1", c.MetricsAddr)
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		bad("PRIKKE_METRICS_TOKEN", "must be at least 16 characters; generate one with: openssl rand -base64 24")
	}
	c.BaseURL = strings.TrimRight(str("PRIKKE_BASE_URL", "http://"+c.Addr), "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("PRIKKE_BASE_URL", "must be an http(s) URL like https://prikke.example.com, got %q", c.BaseURL)
	} else if prod && u.Scheme != "https" {
		bad("PRIKKE_BASE_URL", "must be https in production (session cookies are Secure)")
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		bad("PRIKKE_SECRET_KEY", "must be at least 32 characters; generate one with: openssl rand -base64 48")
	}
	if c.SecretKey == "" && prod {
		bad("PRIKKE_SECRET_KEY", "is required in production; generate one with: openssl rand -base64 48")
	}
	if c.SMTP.Host == "" && prod {
		// The dev mailbox is not served in production: without a relay,
		// confirmation, reset and invitation mails would be lost.
		bad("PRIKKE_SMTP_HOST", "is required in production (confirmation, password reset and invitation mails need a relay); set PRIKKE_SMTP_HOST and PRIKKE_SMTP_FROM")
	}
	if c.SMTP.Host != "" {
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			bad("PRIKKE_SMTP_FROM", "must be an address like \"Prikke <no-reply@example.com>\"")
		}
		if c.SMTP.TLS != "starttls" && c.SMTP.TLS != "tls" && c.SMTP.TLS != "none" {
			bad("PRIKKE_SMTP_TLS", "must be starttls, tls or none, got %q", c.SMTP.TLS)
		}
	}
	if c.WorkersMin > c.WorkersMax {
		bad("PRIKKE_WORKERS_MIN", "(%d) must not exceed PRIKKE_WORKERS_MAX (%d)", c.WorkersMin, c.WorkersMax)
	}
	if v := strings.TrimSpace(getenv("PRIKKE_SSRF_ALLOW")); v != "" {
		if prod {
			bad("PRIKKE_SSRF_ALLOW", "is for development and tests only and is refused when PRIKKE_ENV=production; unset it")
		}
		for _, p := range strings.Split(v, ",") {
			if !parseSSRFAllow(c, strings.TrimSpace(p)) {
				bad("PRIKKE_SSRF_ALLOW", "must list loopback, CIDRs like 172.17.0.0/16, IP addresses or exact ip:port pairs like 127.0.0.1:8080 or [::1]:8080, got %q", p)
			}
		}
	}
	if v := strings.TrimSpace(getenv("PRIKKE_TRUSTED_PROXIES")); v != "" {
		for _, p := range strings.Split(v, ",") {
			pf, err := netip.ParsePrefix(strings.TrimSpace(p))
			if err != nil {
				bad("PRIKKE_TRUSTED_PROXIES", "must list CIDRs like 10.0.0.0/8, got %q", p)
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, pf)
		}
	}
	switch s := str("PRIKKE_SIGNUP", "open"); s {
	case "open":
		c.SignupOpen = true
	case "closed":
	default:
		bad("PRIKKE_SIGNUP", "must be open or closed, got %q", s)
	}
	c.Legal = Legal{Dir: str("PRIKKE_LEGAL_DIR", ""), Operator: str("PRIKKE_OPERATOR_NAME", ""),
		Address: str("PRIKKE_OPERATOR_ADDRESS", ""), Email: str("PRIKKE_OPERATOR_EMAIL", ""), Hosting: str("PRIKKE_HOSTING_LOCATION", "")}
	if c.Legal.Dir != "" {
		if fi, err := os.Stat(c.Legal.Dir); err != nil || !fi.IsDir() {
			bad("PRIKKE_LEGAL_DIR", "must be a directory holding privacy, terms or imprint .html or .txt files, got %q", c.Legal.Dir)
		}
	}
	if c.Legal.Email != "" {
		if a, err := mail.ParseAddress(c.Legal.Email); err != nil || a.Name != "" {
			bad("PRIKKE_OPERATOR_EMAIL", "must be a plain address like privacy@example.com, got %q", c.Legal.Email)
		}
	}
	c.OperatorEmails = operatorEmails(getenv("PRIKKE_OPERATOR_EMAILS"), bad)
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("PRIKKE_LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("PRIKKE_LOG_FORMAT", "must be text or json, got %q", c.LogFormat)
	}
	loadBilling(c, getenv, bad)
	loadInspect(c, getenv, bad)
	if v := strings.TrimSpace(getenv("PRIKKE_TEST_CLOCK_OFFSET")); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case prod:
			bad("PRIKKE_TEST_CLOCK_OFFSET", "is for tests only and is refused when PRIKKE_ENV=production; unset it")
		case err != nil:
			bad("PRIKKE_TEST_CLOCK_OFFSET", "must be a duration like 120s or -2m, got %q", v)
		default:
			c.TestClockOffset = d
		}
	}
	if len(errs) > 0 {
		return nil, &Error{errs}
	}
	return c, nil
}

// loopback is what PRIKKE_SSRF_ALLOW=loopback opens: this machine.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// parseSSRFAllow adds one PRIKKE_SSRF_ALLOW entry to c: "loopback", a
// CIDR, an IP address (a range of one) or an exact ip:port pair. It
// reports whether the entry was understood.
func parseSSRFAllow(c *Config, entry string) bool {
	if strings.EqualFold(entry, "loopback") {
		c.SSRFAllowNets = append(c.SSRFAllowNets, loopback...)
		return true
	}
	if pf, err := netip.ParsePrefix(entry); err == nil {
		c.SSRFAllowNets = append(c.SSRFAllowNets, pf.Masked())
		return true
	}
	if ip, err := netip.ParseAddr(entry); err == nil && ip.Zone() == "" {
		ip = ip.Unmap()
		c.SSRFAllowNets = append(c.SSRFAllowNets, netip.PrefixFrom(ip, ip.BitLen()))
		return true
	}
	if ap, err := netip.ParseAddrPort(entry); err == nil {
		c.SSRFAllow = append(c.SSRFAllow, ap)
		return true
	}
	return false
}

// SSRFRelaxed lists what PRIKKE_SSRF_ALLOW lets deliveries reach despite
// the SSRF guard ("127.0.0.0/8", "[::1]:8080", …); nil when the guard is
// whole. The dashboard shows it in a banner on every page.
func (c *Config) SSRFRelaxed() []string {
	var out []string
	for _, p := range c.SSRFAllowNets {
		out = append(out, p.String())
	}
	for _, ap := range c.SSRFAllow {
		out = append(out, ap.String())
	}
	return out
}

// Error lists every configuration problem.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems.
func (e *Error) Unwrap() []error { return e.Problems }

// IsProduction reports whether Prikke runs in production.
func (c *Config) IsProduction() bool { return c.Env == EnvProduction }

// SQLitePath returns the file of a sqlite: URL, or "" for PostgreSQL.
func (c *Config) SQLitePath() string {
	if p, ok := strings.CutPrefix(c.DatabaseURL, "sqlite:"); ok {
		return p
	}
	return ""
}

// Secure reports whether the base URL is https (cookies get Secure and the
// __Host- prefix).
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

func defaultNodeID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "node"
	}
	return fmt.Sprintf("%s-%d", h, os.Getpid())
}

// redactURL hides a password in a database URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// operatorEmails parses PRIKKE_OPERATOR_EMAILS: comma-separated addresses,
// normalised as account emails are (so they compare with a user's), each
// a valid account email; duplicates and empty items are dropped.
func operatorEmails(v string, bad func(name, format string, args ...any)) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		e := prikke.NormalizeEmail(item)
		if e == "" || slices.Contains(out, e) {
			continue
		}
		var val prikke.Validation
		prikke.ValidateEmail(&val, "email", e)
		if val.Err() != nil {
			bad("PRIKKE_OPERATOR_EMAILS", "must list email addresses separated by commas, got %q", strings.TrimSpace(item))
			continue
		}
		out = append(out, e)
	}
	return out
}

// parseBytes reads a size: a whole number with an optional unit (B, KiB,
// MiB, GiB; KB, MB, GB are read as the binary ones too), or off (0).
func parseBytes(v string) (int64, error) {
	if strings.EqualFold(v, "off") {
		return 0, nil
	}
	i := len(v)
	for i > 0 && (v[i-1] < '0' || v[i-1] > '9') {
		i--
	}
	num, unit := v[:i], strings.ToLower(strings.TrimSpace(v[i:]))
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", v)
	}
	var shift uint
	switch unit {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	default:
		return 0, fmt.Errorf("bad unit in %q", v)
	}
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("size %q too large", v)
	}
	return n << shift, nil
}
