package worker

import (
	"strings"
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

// An endpoint that echoes the request's body (httpbin's /anything) does
// not store a redacted JSON field's value again in the response.
func TestRedactBodyEchoes(t *testing.T) {
	r := &prikke.Redaction{JSONPaths: []string{"password", "card"}}
	cp := &store.Completion{
		RequestBody:     []byte(`{"user":"u","password":"hunter2-long-pass","card":{"number":"4111111111111111"}}`),
		ResponseBody:    []byte(`{"json":{"password":"hunter2-long-pass"},"data":"{\"card\":{\"number\":\"4111111111111111\"}}"}`),
		ResponseHeaders: []prikke.Header{{Name: "X-Echo", Value: "hunter2-long-pass"}},
		Error:           "expect: body contains hunter2-long-pass",
	}
	redactCompletion(cp, r, nil)
	for what, v := range map[string]string{"request body": string(cp.RequestBody), "response body": string(cp.ResponseBody),
		"response header": cp.ResponseHeaders[0].Value, "error": cp.Error} {
		if strings.Contains(v, "hunter2-long-pass") || strings.Contains(v, "4111111111111111") {
			t.Errorf("%s keeps a redacted value: %s", what, v)
		}
	}
	if !strings.Contains(string(cp.RequestBody), `"user":"u"`) {
		t.Errorf("request body = %s", cp.RequestBody)
	}
}
