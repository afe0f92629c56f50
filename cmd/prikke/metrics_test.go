package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsListener: with PRIKKE_METRICS_TOKEN a scrape needs the bearer
// token; the metrics address serves nothing else; off serves no metrics.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	const token = "a-metrics-token-for-tests"
	env := testEnv(t)
	env["PRIKKE_METRICS_TOKEN"] = token
	_, out, _ := startServerOutput(t, env)
	m := metricsRE.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no metrics address printed:\n%s", out.String())
	}
	get := func(url, auth string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	for _, auth := range []string{"", "Bearer wrong-token-of-some-length", token, "Basic " + token} {
		if st, ct, body := get(m[1], auth); st != http.StatusUnauthorized || ct != "application/problem+json" || strings.Contains(body, "prikke_") {
			t.Errorf("Authorization %q: %d %s %.100s; want 401 problem+json", auth, st, ct, body)
		}
	}
	if st, _, body := get(m[1], "Bearer "+token); st != 200 || !strings.Contains(body, "prikke_queue_depth") {
		t.Errorf("with the token: %d %.100s", st, body)
	}
	if st, ct, _ := get(strings.TrimSuffix(m[1], "/metrics")+"/healthz", "Bearer "+token); st != 404 || ct != "application/problem+json" {
		t.Errorf("other paths on the metrics address: %d %s; want 404 problem+json", st, ct)
	}

	env = testEnv(t)
	env["PRIKKE_METRICS_ADDR"] = "off"
	_, out, _ = startServerOutput(t, env)
	if metricsRE.MatchString(out.String()) {
		t.Errorf("PRIKKE_METRICS_ADDR=off still serves metrics:\n%s", out.String())
	}
}
