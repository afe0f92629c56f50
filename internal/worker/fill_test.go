package worker

import (
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
