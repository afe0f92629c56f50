package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/billing"
)

// lemon is a complete, valid Lemon Squeezy setting.
var lemon = []string{
	"PRIKKE_BILLING", "lemonsqueezy",
	"PRIKKE_LEMONSQUEEZY_API_KEY", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part",
	"PRIKKE_LEMONSQUEEZY_STORE_ID", "12345",
	"PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID", "67890",
	"PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", "whsec-abcdef",
}

// with returns base with the pairs in kv set (replaced, or "" to unset).
func with(base []string, kv ...string) []string {
	out := append([]string(nil), base...)
	for i := 0; i < len(kv); i += 2 {
		found := false
		for j := 0; j < len(out); j += 2 {
			if out[j] == kv[i] {
				out[j+1], found = kv[i+1], true
			}
		}
		if !found {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

func TestBillingDefaults(t *testing.T) {
	t.Parallel()
	if DefaultLemonSqueezyAPIURL != billing.DefaultAPIURL {
		t.Errorf("DefaultLemonSqueezyAPIURL = %q, billing.DefaultAPIURL = %q", DefaultLemonSqueezyAPIURL, billing.DefaultAPIURL)
	}
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultTier != "free" || c.Billing != (Billing{Provider: BillingOff}) {
		t.Errorf("defaults: tier %q, billing %+v", c.DefaultTier, c.Billing)
	}
}

func TestBillingValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  []string
		tier string
		want Billing
	}{
		{"self-hosted Pro", []string{"PRIKKE_DEFAULT_TIER", "pro"}, "pro", Billing{Provider: BillingOff}},
		{"off, upper case", []string{"PRIKKE_BILLING", "OFF", "PRIKKE_DEFAULT_TIER", "Free"}, "free", Billing{Provider: BillingOff}},
		// With billing off the Lemon Squeezy variables are ignored, even wrong ones.
		{"off ignores Lemon Squeezy", with(lemon, "PRIKKE_BILLING", "off", "PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", "x",
			"PRIKKE_LEMONSQUEEZY_API_URL", "ftp://nope", "PRIKKE_LEMONSQUEEZY_TEST_MODE", "maybe"), "free", Billing{Provider: BillingOff}},
		{"lemonsqueezy", lemon, "free", Billing{Provider: BillingLemonSqueezy, APIURL: "https://api.lemonsqueezy.com",
			APIKey: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part", StoreID: "12345", ProVariantID: "67890", SigningSecret: "whsec-abcdef"}},
		{"a loopback fake in test mode", with(lemon, "PRIKKE_LEMONSQUEEZY_API_URL", "http://127.0.0.1:4321/", "PRIKKE_LEMONSQUEEZY_TEST_MODE", "true",
			"PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", "123456"), "free", Billing{Provider: BillingLemonSqueezy, APIURL: "http://127.0.0.1:4321",
			APIKey: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part", StoreID: "12345", ProVariantID: "67890", SigningSecret: "123456", TestMode: true}},
		{"a 40-character secret", with(lemon, "PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", strings.Repeat("s", 40), "PRIKKE_LEMONSQUEEZY_TEST_MODE", "false"), "free",
			Billing{Provider: BillingLemonSqueezy, APIURL: "https://api.lemonsqueezy.com", APIKey: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part",
				StoreID: "12345", ProVariantID: "67890", SigningSecret: strings.Repeat("s", 40)}},
		{"http to loopback in production", with(lemon, "PRIKKE_ENV", "production", "PRIKKE_BASE_URL", "https://x.example", "PRIKKE_SECRET_KEY", strings.Repeat("s", 32),
			"PRIKKE_SMTP_HOST", "smtp.example.com", "PRIKKE_LEMONSQUEEZY_API_URL", "http://localhost:9999"), "free",
			Billing{Provider: BillingLemonSqueezy, APIURL: "http://localhost:9999", APIKey: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part",
				StoreID: "12345", ProVariantID: "67890", SigningSecret: "whsec-abcdef"}},
		{"http beyond loopback in development", with(lemon, "PRIKKE_LEMONSQUEEZY_API_URL", "http://ls-fake.internal:8080"), "free",
			Billing{Provider: BillingLemonSqueezy, APIURL: "http://ls-fake.internal:8080", APIKey: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part",
				StoreID: "12345", ProVariantID: "67890", SigningSecret: "whsec-abcdef"}},
	} {
		c, err := Load(env(tc.env...))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.DefaultTier != tc.tier || c.Billing != tc.want {
			t.Errorf("%s: tier %q, billing %+v\nwant tier %q, billing %+v", tc.name, c.DefaultTier, c.Billing, tc.tier, tc.want)
		}
	}
}

func TestBillingInvalid(t *testing.T) {
	t.Parallel()
	prod := with(lemon, "PRIKKE_ENV", "production", "PRIKKE_BASE_URL", "https://x.example", "PRIKKE_SECRET_KEY", strings.Repeat("s", 32),
		"PRIKKE_SMTP_HOST", "smtp.example.com")
	for _, tc := range []struct {
		name string
		env  []string
		want []string // each its own problem
	}{
		{"unknown tier", []string{"PRIKKE_DEFAULT_TIER", "enterprise"}, []string{`PRIKKE_DEFAULT_TIER: must be free or pro, got "enterprise"`}},
		{"unknown provider", []string{"PRIKKE_BILLING", "stripe"}, []string{`PRIKKE_BILLING: must be off (no payments; tiers are PRIKKE_DEFAULT_TIER or what an operator sets) or lemonsqueezy, got "stripe"`}},
		{"everything missing", []string{"PRIKKE_BILLING", "lemonsqueezy"}, []string{
			"PRIKKE_LEMONSQUEEZY_API_KEY: is required with PRIKKE_BILLING=lemonsqueezy; create an API key",
			"PRIKKE_LEMONSQUEEZY_STORE_ID: is required with PRIKKE_BILLING=lemonsqueezy; set it to your store's id",
			"PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID: is required with PRIKKE_BILLING=lemonsqueezy; set it to the id of the Pro subscription's variant",
			"PRIKKE_LEMONSQUEEZY_SIGNING_SECRET: is required with PRIKKE_BILLING=lemonsqueezy; set it to the signing secret",
		}},
		{"Pro for everyone with billing", with(lemon, "PRIKKE_DEFAULT_TIER", "pro"), []string{"PRIKKE_DEFAULT_TIER: is pro, so with PRIKKE_BILLING=lemonsqueezy every new organization would have Pro without paying"}},
		{"short secret", with(lemon, "PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", "12345"), []string{"PRIKKE_LEMONSQUEEZY_SIGNING_SECRET: must be 6 to 40 characters, as Lemon Squeezy's webhook form asks, got 5"}},
		{"long secret", with(lemon, "PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", strings.Repeat("s", 41)), []string{"PRIKKE_LEMONSQUEEZY_SIGNING_SECRET: must be 6 to 40 characters"}},
		{"store id not a number", with(lemon, "PRIKKE_LEMONSQUEEZY_STORE_ID", "my-store"), []string{`PRIKKE_LEMONSQUEEZY_STORE_ID: must be your store's id (Settings → Stores, the number after #), a whole number, got "my-store"`}},
		{"variant id zero", with(lemon, "PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID", "0"), []string{`PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID: must be the id of the Pro subscription's variant (Products → Pro → Variants), a whole number, got "0"`}},
		{"variant id negative", with(lemon, "PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID", "-4"), []string{`PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID: must be the id`}},
		{"key with a line break", with(lemon, "PRIKKE_LEMONSQUEEZY_API_KEY", "abc\ndef"), []string{"PRIKKE_LEMONSQUEEZY_API_KEY: must be the API key as Lemon Squeezy shows it"}},
		{"test mode word", with(lemon, "PRIKKE_LEMONSQUEEZY_TEST_MODE", "yes"), []string{`PRIKKE_LEMONSQUEEZY_TEST_MODE: must be true (accept test-mode events: a staging store) or false, got "yes"`}},
		{"api url scheme", with(lemon, "PRIKKE_LEMONSQUEEZY_API_URL", "ftp://api.lemonsqueezy.com"), []string{`PRIKKE_LEMONSQUEEZY_API_URL: must be an http(s) URL without credentials or query, like https://api.lemonsqueezy.com (the default; unset it), got "ftp://api.lemonsqueezy.com"`}},
		{"api url without host", with(lemon, "PRIKKE_LEMONSQUEEZY_API_URL", "https://"), []string{"PRIKKE_LEMONSQUEEZY_API_URL: must be an http(s) URL"}},
		{"api url with credentials", with(lemon, "PRIKKE_LEMONSQUEEZY_API_URL", "https://u:hunter2@api.example"), []string{"PRIKKE_LEMONSQUEEZY_API_URL: must be an http(s) URL"}},
		{"api url with a query", with(lemon, "PRIKKE_LEMONSQUEEZY_API_URL", "https://api.example/?x=1"), []string{"PRIKKE_LEMONSQUEEZY_API_URL: must be an http(s) URL"}},
		{"http beyond loopback in production", with(prod, "PRIKKE_LEMONSQUEEZY_API_URL", "http://api.lemonsqueezy.com"), []string{"PRIKKE_LEMONSQUEEZY_API_URL: must be https in production"}},
		{"http to a LAN address in production", with(prod, "PRIKKE_LEMONSQUEEZY_API_URL", "http://10.0.0.5:8080"), []string{"PRIKKE_LEMONSQUEEZY_API_URL: must be https in production"}},
	} {
		_, err := Load(env(tc.env...))
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Errorf("%s: err = %v, want a configuration error", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error = %v\nwant it to say %q", tc.name, err, w)
			}
		}
		if len(cerr.Problems) != len(tc.want) {
			t.Errorf("%s: %d problems, want %d: %v", tc.name, len(cerr.Problems), len(tc.want), err)
		}
		for _, secret := range []string{"hunter2", "secret-part", "whsec-abcdef"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error shows a secret: %v", tc.name, err)
			}
		}
	}
}

// TestBillingVars: every billing variable is documented for --help.
func TestBillingVars(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"PRIKKE_DEFAULT_TIER", "PRIKKE_BILLING", "PRIKKE_LEMONSQUEEZY_API_URL", "PRIKKE_LEMONSQUEEZY_API_KEY",
		"PRIKKE_LEMONSQUEEZY_STORE_ID", "PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID", "PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", "PRIKKE_LEMONSQUEEZY_TEST_MODE"} {
		found := false
		for _, v := range Vars {
			found = found || v.Name == name
		}
		if !found {
			t.Errorf("Vars lacks %s", name)
		}
	}
}
