package worker

import (
	"net/url"

	"github.com/prikke/prikke/internal/store"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// A step whose body repeats a 4 KiB secret fails before sending rather
// than build a request of tens of megabytes for each attempt.
func TestFillBounded(t *testing.T) {
	secret := strings.Repeat("s", prikke.MaxSecretValueBytes)
	ref := "{{secrets.K}}"
	values := map[string]string{"K": secret}
	for _, tc := range []struct {
		field string
		job   prikke.Job
	}{
		{"body", prikke.Job{URL: "https://example.com/", Body: strings.Repeat(ref, prikke.MaxBodyBytes/len(ref))}},
		{"headers", prikke.Job{URL: "https://example.com/", Headers: []prikke.Header{{Name: "X-A", Value: strings.Repeat(ref, 600)}}}},
		{"url", prikke.Job{URL: "https://example.com/" + strings.Repeat(ref, 150)}},
	} {
		j := tc.job
		j.Step = &prikke.JobStep{Secrets: true}
		f, fail, _ := fillWith(&j, values)
		if fail == "" {
			t.Errorf("%s: filled (%d url, %d body bytes); want the step failed as too large", tc.field, len(f.url), len(f.body))
			continue
		}
		if !strings.HasPrefix(fail, tc.field) || strings.Contains(fail, secret[:64]) {
			t.Errorf("%s: fail = %.200q", tc.field, fail)
		}
	}
	// Within bounds, the secret is filled in.
	j := prikke.Job{URL: "https://example.com/", Body: `{"k":"{{secrets.K}}"}`, Step: &prikke.JobStep{Secrets: true}}
	if f, fail, _ := fillWith(&j, values); fail != "" || f.body != `{"k":"`+secret+`"}` {
		t.Errorf("fill = %q", fail)
	}
}

// An endpoint that echoes a secret JSON-encoded or percent-encoded (and an
// error that quotes the URL) does not keep it in the record: the usual
// encodings of each secret sent are scrubbed as well as its raw form.
func TestScrubEncodedSecrets(t *testing.T) {
	secret := `pa"ss<wörd>/x y&z\`
	f := &filled{sentHeaders: map[[2]string]string{}, used: map[string]string{"K": secret}}
	jsonForm := `pa\"ss\u003cwörd\u003e/x y\u0026z\\`
	jsonPlain := `pa\"ss<wörd>/x y&z\\`
	asciiJSON := `pa\"ss\u003cw\u00f6rd\u003e/x y\u0026z\\`
	quoted := `pa\"ss<wörd>/x y&z\\`
	query := url.QueryEscape(secret)
	path := url.PathEscape(secret)
	cp := &store.Completion{
		Error:        `Get "https://example.com/?k=` + quoted + `": dial tcp: refused`,
		RequestURL:   "https://example.com/?k=" + query,
		ResponseBody: []byte(`{"a":"` + jsonForm + `","b":"` + jsonPlain + `","c":"` + asciiJSON + `","q":"` + query + `","p":"` + path + `"}`),
	}
	f.scrub(cp)
	for _, form := range []string{secret, jsonForm, jsonPlain, asciiJSON, quoted, query, path} {
		for what, s := range map[string]string{"error": cp.Error, "url": cp.RequestURL, "body": string(cp.ResponseBody)} {
			if strings.Contains(s, form) {
				t.Errorf("the %s keeps the secret as %q: %s", what, form, s)
			}
		}
	}
}
