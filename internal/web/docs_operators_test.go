package web

import (
	"strings"
	"testing"
)

// TestDocsOperators: /docs/operators is linked from the docs index and
// names the setting, the console, the suspension's effects, the command
// line's equivalents and the audit actions.
func TestDocsOperators(t *testing.T) {
	d := newDash(t, nil)
	if r := d.anon().get("/docs"); !strings.Contains(r.Body, `href="/docs/operators"`) {
		t.Errorf("the docs index does not link /docs/operators: %s", r)
	}
	r := d.anon().get("/docs/operators")
	if r.Status != 200 {
		t.Fatalf("/docs/operators: %s", r)
	}
	for _, want := range []string{"PRIKKE_OPERATOR_EMAILS", "/operator", "403", "This organization is suspended by the operator",
		"prikke org suspend ORG --reason R", "prikke org unsuspend ORG", "prikke org list", "prikke nodes", "prikke incident open",
		"operator.suspend", "operator.unsuspend", "operator.incident_open", "operator.incident_update", "operator.tier"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("/docs/operators lacks %q", want)
		}
	}
}
