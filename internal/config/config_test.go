package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:./prikke.db" || c.SQLitePath() != "./prikke.db" || c.Addr != "127.0.0.1:4000" ||
		c.BaseURL != "http://127.0.0.1:4000" || c.Env != EnvDevelopment || c.IsProduction() || c.Secure() ||
		c.WorkersMin != 4 || c.WorkersMax != 512 || c.RescueGrace != 30*time.Second || c.NodeDeadAfter != 5*time.Second || !c.SignupOpen ||
		c.LogFormat != "text" || c.SMTP.Host != "" || c.NodeID == "" || c.MetricsAddr != "127.0.0.1:9464" || c.MetricsToken != "" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	c, err := Load(env(
		"PRIKKE_DATABASE_URL", "postgres://u:p@db:5432/prikke",
		"PRIKKE_ADDR", ":8080",
		"PRIKKE_BASE_URL", "https://prikke.example.com/",
		"PRIKKE_ENV", "production",
		"PRIKKE_SECRET_KEY", strings.Repeat("k", 40),
		"PRIKKE_SMTP_HOST", "in-v3.mailjet.com",
		"PRIKKE_SMTP_FROM", "Prikke <no-reply@example.com>",
		"PRIKKE_WORKERS_MAX", "1000",
		"PRIKKE_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.0.0/16",
	))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://prikke.example.com" || !c.Secure() || c.SQLitePath() != "" || c.LogFormat != "json" ||
		len(c.TrustedProxies) != 2 || c.WorkersMax != 1000 || c.SMTP.Port != 587 {
		t.Errorf("config = %+v", c)
	}
	dir := t.TempDir()
	c, err = Load(env("PRIKKE_LEGAL_DIR", dir, "PRIKKE_OPERATOR_NAME", "Example AS", "PRIKKE_OPERATOR_EMAIL", "privacy@example.com",
		"PRIKKE_OPERATOR_ADDRESS", "Storgata 1, 0155 Oslo, Norway", "PRIKKE_HOSTING_LOCATION", "Hetzner, Falkenstein, Germany"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Legal != (Legal{Dir: dir, Operator: "Example AS", Email: "privacy@example.com", Address: "Storgata 1, 0155 Oslo, Norway", Hosting: "Hetzner, Falkenstein, Germany"}) {
		t.Errorf("legal = %+v", c.Legal)
	}
	// /metrics: off, or beyond loopback in production with a token.
	if c, err := Load(env("PRIKKE_METRICS_ADDR", "off")); err != nil || c.MetricsAddr != "" {
		t.Errorf("PRIKKE_METRICS_ADDR=off: %q, %v", c.MetricsAddr, err)
	}
	if c, err := Load(env("PRIKKE_ENV", "production", "PRIKKE_BASE_URL", "https://x.example", "PRIKKE_SECRET_KEY", strings.Repeat("s", 32),
		"PRIKKE_SMTP_HOST", "smtp.example.com", "PRIKKE_METRICS_ADDR", ":9464", "PRIKKE_METRICS_TOKEN", strings.Repeat("t", 16))); err != nil ||
		c.MetricsAddr != ":9464" || c.MetricsToken != strings.Repeat("t", 16) {
		t.Errorf("metrics beyond loopback with a token: %+v, %v", c, err)
	}
	c, err = Load(env("PRIKKE_SSRF_ALLOW", "127.0.0.1:8080,[::1]:9090", "PRIKKE_TEST_CLOCK_OFFSET", "-120s"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SSRFAllow) != 2 || c.SSRFAllow[1] != netip.MustParseAddrPort("[::1]:9090") || c.TestClockOffset != -120*time.Second {
		t.Errorf("test settings = %v %v", c.SSRFAllow, c.TestClockOffset)
	}
	if got := strings.Join(c.SSRFRelaxed(), " "); got != "127.0.0.1:8080 [::1]:9090" {
		t.Errorf("SSRFRelaxed() = %q", got)
	}
	if c, err := Load(env()); err != nil || c.SSRFRelaxed() != nil {
		t.Errorf("default: relaxed %v, %v", c.SSRFRelaxed(), err)
	}
}

// #1: developers open their own machine with loopback, ranges with CIDRs
// (a Docker network) or a single address, besides the tests' exact pairs.
func TestSSRFAllowForDevelopment(t *testing.T) {
	t.Parallel()
	c, err := Load(env("PRIKKE_SSRF_ALLOW", " loopback, 172.17.0.0/16 ,10.1.2.3, 192.168.1.7/24, 127.0.0.1:9999"))
	if err != nil {
		t.Fatal(err)
	}
	want := "127.0.0.0/8 ::1/128 172.17.0.0/16 10.1.2.3/32 192.168.1.0/24 127.0.0.1:9999"
	if got := strings.Join(c.SSRFRelaxed(), " "); got != want {
		t.Errorf("SSRFRelaxed() = %q, want %q", got, want)
	}
	if len(c.SSRFAllowNets) != 5 || len(c.SSRFAllow) != 1 {
		t.Errorf("nets %v, pairs %v", c.SSRFAllowNets, c.SSRFAllow)
	}
	if c, err := Load(env("PRIKKE_SSRF_ALLOW", "LOOPBACK")); err != nil || len(c.SSRFAllowNets) != 2 {
		t.Errorf("LOOPBACK: %v %v", c, err)
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	prod := []string{"PRIKKE_ENV", "production", "PRIKKE_BASE_URL", "https://x.example", "PRIKKE_SECRET_KEY", strings.Repeat("s", 32)}
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"PRIKKE_DATABASE_URL", "mysql://x"}, "PRIKKE_DATABASE_URL: must start with sqlite: or postgres://"},
		{[]string{"PRIKKE_DATABASE_URL", "sqlite:"}, "PRIKKE_DATABASE_URL: sqlite: needs a file path"},
		{[]string{"PRIKKE_ADDR", "4000"}, "PRIKKE_ADDR: must be host:port"},
		{[]string{"PRIKKE_ENV", "staging"}, "PRIKKE_ENV: must be"},
		{[]string{"PRIKKE_SECRET_KEY", "short"}, "PRIKKE_SECRET_KEY: must be at least 32 characters"},
		{[]string{"PRIKKE_ENV", "production", "PRIKKE_BASE_URL", "https://x.example"}, "PRIKKE_SECRET_KEY: is required in production"},
		{[]string{"PRIKKE_ENV", "production", "PRIKKE_SECRET_KEY", strings.Repeat("s", 32)}, "PRIKKE_BASE_URL: must be https in production"},
		{prod, "PRIKKE_SMTP_HOST: is required in production"},
		{append(prod, "PRIKKE_SSRF_ALLOW", "127.0.0.1:1"), "PRIKKE_SSRF_ALLOW: is for development and tests only and is refused when PRIKKE_ENV=production"},
		{append(prod, "PRIKKE_SSRF_ALLOW", "loopback"), "PRIKKE_SSRF_ALLOW: is for development and tests only and is refused when PRIKKE_ENV=production; unset it"},
		{append(prod, "PRIKKE_SSRF_ALLOW", "10.0.0.0/8"), "PRIKKE_SSRF_ALLOW: is for development and tests only"},
		{append(prod, "PRIKKE_TEST_CLOCK_OFFSET", "1s"), "PRIKKE_TEST_CLOCK_OFFSET: is for tests only"},
		{[]string{"PRIKKE_SSRF_ALLOW", "localhost"}, `PRIKKE_SSRF_ALLOW: must list loopback, CIDRs like 172.17.0.0/16, IP addresses or exact ip:port pairs like 127.0.0.1:8080 or [::1]:8080, got "localhost"`},
		{[]string{"PRIKKE_SSRF_ALLOW", "127.0.0.0/33"}, `PRIKKE_SSRF_ALLOW: must list loopback`},
		{[]string{"PRIKKE_SSRF_ALLOW", "loopback,,"}, `PRIKKE_SSRF_ALLOW: must list loopback`},
		{[]string{"PRIKKE_WORKERS_MIN", "10", "PRIKKE_WORKERS_MAX", "5"}, "PRIKKE_WORKERS_MIN: (10) must not exceed PRIKKE_WORKERS_MAX (5)"},
		{[]string{"PRIKKE_WORKERS_MAX", "lots"}, "PRIKKE_WORKERS_MAX: must be a whole number"},
		{[]string{"PRIKKE_RESCUE_GRACE", "0s"}, "PRIKKE_RESCUE_GRACE: must be a duration"},
		{[]string{"PRIKKE_NODE_DEAD_AFTER", "1s"}, "PRIKKE_NODE_DEAD_AFTER: must be a duration"},
		{[]string{"PRIKKE_SMTP_HOST", "smtp.example.com", "PRIKKE_SMTP_TLS", "ssl"}, "PRIKKE_SMTP_TLS: must be starttls, tls or none"},
		{[]string{"PRIKKE_SIGNUP", "maybe"}, "PRIKKE_SIGNUP: must be open or closed"},
		{[]string{"PRIKKE_BASE_URL", "ftp://x"}, "PRIKKE_BASE_URL: must be an http(s) URL"},
		{[]string{"PRIKKE_DATABASE_URL", "redis://:hunter2@h/0"}, "redis://:xxxxx@h/0"},
		{[]string{"PRIKKE_LEGAL_DIR", "/no/such/dir"}, "PRIKKE_LEGAL_DIR: must be a directory"},
		{[]string{"PRIKKE_OPERATOR_EMAIL", "not an address"}, "PRIKKE_OPERATOR_EMAIL: must be a plain address"},
		{[]string{"PRIKKE_METRICS_ADDR", "9464"}, "PRIKKE_METRICS_ADDR: must be host:port"},
		{append(prod, "PRIKKE_METRICS_ADDR", ":9464"), "PRIKKE_METRICS_ADDR: :9464 is reachable beyond this host: set PRIKKE_METRICS_TOKEN"},
		{append(prod, "PRIKKE_METRICS_ADDR", "10.0.0.5:9464"), "PRIKKE_METRICS_ADDR: 10.0.0.5:9464 is reachable"},
		{[]string{"PRIKKE_METRICS_TOKEN", "short"}, "PRIKKE_METRICS_TOKEN: must be at least 16 characters"},
	} {
		_, err := Load(env(tc.env...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%v) error = %v; want it to contain %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks a password: %v", err)
		}
	}
	// Every problem is reported at once.
	_, err := Load(env("PRIKKE_ENV", "x", "PRIKKE_ADDR", "y"))
	if err == nil || !strings.Contains(err.Error(), "PRIKKE_ENV") || !strings.Contains(err.Error(), "PRIKKE_ADDR") {
		t.Errorf("error = %v; want both problems", err)
	}
}

func TestOperatorEmails(t *testing.T) {
	t.Parallel()
	c, err := Load(env("PRIKKE_OPERATOR_EMAILS", " Ops@Example.com, ,root@example.org,ops@example.com "))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.OperatorEmails, "|") != "ops@example.com|root@example.org" {
		t.Errorf("operator emails = %q", c.OperatorEmails)
	}
	if c, err := Load(env()); err != nil || c.OperatorEmails != nil {
		t.Errorf("unset: %v, %q", err, c.OperatorEmails)
	}
	_, err = Load(env("PRIKKE_OPERATOR_EMAILS", "ops@example.com; root@example.org"))
	if err == nil || !strings.Contains(err.Error(), `PRIKKE_OPERATOR_EMAILS: must list email addresses separated by commas, got "ops@example.com; root@example.org"`) {
		t.Errorf("bad list: %v", err)
	}
}
