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
		c.LogFormat != "text" || c.SMTP.Host != "" || c.NodeID == "" {
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
	c, err = Load(env("PRIKKE_SSRF_ALLOW", "127.0.0.1:8080,[::1]:9090", "PRIKKE_TEST_CLOCK_OFFSET", "-120s"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SSRFAllow) != 2 || c.SSRFAllow[1] != netip.MustParseAddrPort("[::1]:9090") || c.TestClockOffset != -120*time.Second {
		t.Errorf("test settings = %v %v", c.SSRFAllow, c.TestClockOffset)
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
		{append(prod, "PRIKKE_SSRF_ALLOW", "127.0.0.1:1"), "PRIKKE_SSRF_ALLOW: is for tests only and is refused when PRIKKE_ENV=production"},
		{append(prod, "PRIKKE_TEST_CLOCK_OFFSET", "1s"), "PRIKKE_TEST_CLOCK_OFFSET: is for tests only"},
		{[]string{"PRIKKE_SSRF_ALLOW", "127.0.0.0/8"}, "PRIKKE_SSRF_ALLOW: must list exact ip:port pairs"},
		{[]string{"PRIKKE_WORKERS_MIN", "10", "PRIKKE_WORKERS_MAX", "5"}, "PRIKKE_WORKERS_MIN: (10) must not exceed PRIKKE_WORKERS_MAX (5)"},
		{[]string{"PRIKKE_WORKERS_MAX", "lots"}, "PRIKKE_WORKERS_MAX: must be a whole number"},
		{[]string{"PRIKKE_RESCUE_GRACE", "0s"}, "PRIKKE_RESCUE_GRACE: must be a duration"},
		{[]string{"PRIKKE_NODE_DEAD_AFTER", "1s"}, "PRIKKE_NODE_DEAD_AFTER: must be a duration"},
		{[]string{"PRIKKE_SMTP_HOST", "smtp.example.com", "PRIKKE_SMTP_TLS", "ssl"}, "PRIKKE_SMTP_TLS: must be starttls, tls or none"},
		{[]string{"PRIKKE_SIGNUP", "maybe"}, "PRIKKE_SIGNUP: must be open or closed"},
		{[]string{"PRIKKE_BASE_URL", "ftp://x"}, "PRIKKE_BASE_URL: must be an http(s) URL"},
		{[]string{"PRIKKE_DATABASE_URL", "redis://:hunter2@h/0"}, "redis://:xxxxx@h/0"},
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
