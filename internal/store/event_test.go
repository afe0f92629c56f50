package store

import (
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// Every execution is named once, as "<job_id> <execution_id>" in the IDs'
// canonical text, in payloads PostgreSQL takes (under 8000 bytes).
func TestExecutionEvents(t *testing.T) {
	if got := ExecutionEvents(nil); len(got) != 0 {
		t.Errorf("no executions: %q", got)
	}
	es := make([]*prikke.Execution, 2*LinesPerEvent+1)
	for i := range es {
		es[i] = &prikke.Execution{ID: prikke.NewID(), JobID: prikke.NewID()}
	}
	payloads := ExecutionEvents(es)
	if len(payloads) != 3 {
		t.Fatalf("%d payloads for %d executions; want 3", len(payloads), len(es))
	}
	var i int
	for _, p := range payloads {
		if len(p) >= 8000 {
			t.Errorf("a payload of %d bytes", len(p))
		}
		for line := range strings.Lines(p) {
			if want := es[i].JobID.String() + " " + es[i].ID.String() + "\n"; line != want {
				t.Fatalf("line %d = %q; want %q", i, line, want)
			}
			i++
		}
	}
	if i != len(es) {
		t.Errorf("%d lines; want %d", i, len(es))
	}
}
