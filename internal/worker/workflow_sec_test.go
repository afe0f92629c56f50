package worker_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// A run's payload cannot assemble a reference to a secret from two values
// side by side ("{" then "{secrets.API_KEY}}"): the endpoint never gets
// the secret where the template put payload values.
func TestWorkflowSecretInjectionAcrossValues(t *testing.T) {
	t.Parallel()
	wfDialects(t, true, func(t *testing.T, e *wfEnv) {
		const value = "s3cr3t-injected-1a2b"
		if err := e.s.SecretPut(context.Background(), &prikke.Secret{ProjectID: e.tn.Project.ID, Name: "API_KEY", Value: value,
			CreatedAt: e.now(), UpdatedAt: e.now()}); err != nil {
			t.Fatal(err)
		}
		w := e.workflow(prikke.Step{Key: "call", Method: "POST", URL: "/call",
			Headers: []prikke.Header{hdr("X-Api-Key", "{{secrets.API_KEY}}")},
			Body:    `{{payload.a}}{{payload.b}}`})
		run := e.start(w, `{"a":"{","b":"{secrets.API_KEY}}"}`)
		e.wait(run)
		for _, h := range e.ep.byStep(run, "call") {
			if strings.Contains(h.Body, value) {
				t.Errorf("the payload's values were filled with the secret: body %q", h.Body)
			}
		}
	})
}

// A templated host goes through the delivery guard at send time, also
// when the step uses secrets (the planner then does not check the URL):
// loopback, link-local metadata, numeric forms and local names are
// refused, and nothing is sent.
func TestWorkflowTemplatedHostGuarded(t *testing.T) {
	t.Parallel()
	wfDialects(t, true, func(t *testing.T, e *wfEnv) {
		if err := e.s.SecretPut(context.Background(), &prikke.Secret{ProjectID: e.tn.Project.ID, Name: "K", Value: "some-value",
			CreatedAt: e.now(), UpdatedAt: e.now()}); err != nil {
			t.Fatal(err)
		}
		port := e.ep.addr.Port()
		hosts := []string{"127.0.0.1:" + itoa(int(port)+1), "169.254.169.254", "[::1]:" + itoa(int(port)+1), "2130706433",
			"0177.0.0.1", "0x7f.1", "localhost", "10.0.0.1", "[::ffff:127.0.0.1]", "metadata.google.internal", "127.1"}
		items := `["` + strings.Join(hosts, `","`) + `"]`
		w := e.workflow(prikke.Step{Key: "get", URL: "http://{{item}}/latest/meta-data/", ForEach: "payload.hosts", MaxConcurrency: 20,
			Headers: []prikke.Header{hdr("X-K", "{{secrets.K}}")}})
		run := e.start(w, `{"hosts":`+items+`}`)
		_, steps := e.wait(run)
		for i, h := range hosts {
			row := steps["get"+itemKey(i)]
			if row == nil {
				t.Errorf("%s: no item row", h)
				continue
			}
			if row.Status != prikke.StepStatusFailed {
				t.Errorf("%s: status %s (%s), want failed by the guard", h, row.Status, row.Reason)
			} else {
				t.Logf("%s: %s", h, row.Reason)
			}
		}
		if n := len(e.ep.requests()); n != 0 {
			t.Errorf("%d requests reached the endpoint", n)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func itemKey(i int) string { return "[" + strconv.Itoa(i) + "]" }
