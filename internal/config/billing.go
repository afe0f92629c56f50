package config

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultLemonSqueezyAPIURL is Lemon Squeezy's API (billing.DefaultAPIURL;
// config imports nothing of Prikke's, a test keeps the two equal).
const DefaultLemonSqueezyAPIURL = "https://api.lemonsqueezy.com"

// loadBilling reads PRIKKE_DEFAULT_TIER, PRIKKE_BILLING and, with Lemon
// Squeezy, its PRIKKE_LEMONSQUEEZY_* variables, reporting each problem
// through bad. With billing off the Lemon Squeezy variables are ignored,
// set or not, and Billing holds only the provider.
func loadBilling(c *Config, getenv func(string) string, bad func(name, format string, args ...any)) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	c.DefaultTier = strings.ToLower(get("PRIKKE_DEFAULT_TIER"))
	if c.DefaultTier == "" {
		c.DefaultTier = "free"
	}
	if c.DefaultTier != "free" && c.DefaultTier != "pro" {
		bad("PRIKKE_DEFAULT_TIER", "must be free or pro, got %q", c.DefaultTier)
	}
	c.Billing = Billing{Provider: strings.ToLower(get("PRIKKE_BILLING"))}
	switch c.Billing.Provider {
	case "":
		c.Billing.Provider = BillingOff
		return
	case BillingOff:
		return
	case BillingLemonSqueezy:
	default:
		bad("PRIKKE_BILLING", "must be off (no payments; tiers are PRIKKE_DEFAULT_TIER or what an operator sets) or lemonsqueezy, got %q", c.Billing.Provider)
		return
	}
	const with = "with PRIKKE_BILLING=lemonsqueezy"
	if c.DefaultTier == "pro" {
		bad("PRIKKE_DEFAULT_TIER", "is pro, so %s every new organization would have Pro without paying; unset it (free) or set PRIKKE_BILLING=off", with)
	}
	b := &c.Billing

	b.APIURL = strings.TrimRight(get("PRIKKE_LEMONSQUEEZY_API_URL"), "/")
	if b.APIURL == "" {
		b.APIURL = DefaultLemonSqueezyAPIURL
	}
	if u, err := url.Parse(b.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		bad("PRIKKE_LEMONSQUEEZY_API_URL", "must be an http(s) URL without credentials or query, like %s (the default; unset it), got %q", DefaultLemonSqueezyAPIURL, redactURL(b.APIURL))
	} else if u.Scheme == "http" && c.IsProduction() && !isLoopback(u.Hostname()) {
		bad("PRIKKE_LEMONSQUEEZY_API_URL", "must be https in production (the API key travels with every request); http is only for a loopback fake, got %q", b.APIURL)
	}

	b.APIKey = get("PRIKKE_LEMONSQUEEZY_API_KEY")
	if b.APIKey == "" {
		bad("PRIKKE_LEMONSQUEEZY_API_KEY", "is required %s; create an API key in Lemon Squeezy (Settings → API) and set it here", with)
	} else if strings.ContainsFunc(b.APIKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		bad("PRIKKE_LEMONSQUEEZY_API_KEY", "must be the API key as Lemon Squeezy shows it, with no spaces or line breaks inside")
	}
	id := func(name, what string) string {
		v := get(name)
		if v == "" {
			bad(name, "is required %s; set it to %s", with, what)
			return ""
		}
		if n, err := strconv.ParseUint(v, 10, 63); err != nil || n == 0 {
			bad(name, "must be %s, a whole number, got %q", what, v)
		}
		return v
	}
	b.StoreID = id("PRIKKE_LEMONSQUEEZY_STORE_ID", "your store's id (Settings → Stores, the number after #)")
	b.ProVariantID = id("PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID", "the id of the Pro subscription's variant (Products → Pro → Variants)")

	// The secret's characters are kept as typed: Lemon Squeezy signs with
	// exactly what was entered in the webhook's form.
	b.SigningSecret = getenv("PRIKKE_LEMONSQUEEZY_SIGNING_SECRET")
	switch n := utf8.RuneCountInString(b.SigningSecret); {
	case n == 0:
		bad("PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", "is required %s; set it to the signing secret of the webhook (Settings → Webhooks), 6 to 40 characters", with)
	case n < 6 || n > 40:
		bad("PRIKKE_LEMONSQUEEZY_SIGNING_SECRET", "must be 6 to 40 characters, as Lemon Squeezy's webhook form asks, got %d", n)
	}

	switch v := strings.ToLower(get("PRIKKE_LEMONSQUEEZY_TEST_MODE")); v {
	case "", "false":
	case "true":
		b.TestMode = true
	default:
		bad("PRIKKE_LEMONSQUEEZY_TEST_MODE", "must be true (accept test-mode events: a staging store) or false, got %q", v)
	}
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
