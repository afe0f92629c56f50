package billing

import "testing"

func TestNewDefaults(t *testing.T) {
	c := New(Config{APIKey: "k"})
	if c.cfg.APIURL != DefaultAPIURL || c.cfg.HTTPClient.Timeout != DefaultTimeout || c.cfg.HTTPClient.CheckRedirect == nil {
		t.Errorf("defaults: url %q, timeout %v, redirects followed %v", c.cfg.APIURL, c.cfg.HTTPClient.Timeout, c.cfg.HTTPClient.CheckRedirect == nil)
	}
}
