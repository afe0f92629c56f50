package worker

import (
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// A failed assertion on a path that holds a redacted value (the object
// around a redacted field) does not quote what it saw either: the object
// quoted would carry the redacted field's value into the error, and from
// there into history, notifications and logs.
func TestRedactedAssertionParent(t *testing.T) {
	r := &prikke.Redaction{JSONPaths: []string{"data.token"}}
	e := &prikke.Expect{JSONPath: "data", Equals: []byte(`{}`)}
	cp := &store.Completion{Error: `expect: json_path data is {"token":"s3cret-value"}, not {}`}
	redactCompletion(cp, r, e)
	if cp.Error != "expect: json_path data does not hold (its value is redacted)" {
		t.Errorf("Error = %q", cp.Error)
	}
}
