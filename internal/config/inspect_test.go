package config

import (
	"slices"
	"strings"
	"testing"
)

func TestInspectVars(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         map[string]string
		trace, body bool
		problems    []string
	}{
		{"defaults: both on", nil, true, true, nil},
		{"both off", map[string]string{"PRIKKE_TRACE": "false", "PRIKKE_RECORD_REQUEST_BODY": "FALSE"}, false, false, nil},
		{"trace off", map[string]string{"PRIKKE_TRACE": " false "}, false, true, nil},
		{"body off, trace on", map[string]string{"PRIKKE_TRACE": "true", "PRIKKE_RECORD_REQUEST_BODY": "false"}, true, false, nil},
		{"bad words", map[string]string{"PRIKKE_TRACE": "yes", "PRIKKE_RECORD_REQUEST_BODY": "0"}, false, false, []string{
			`PRIKKE_TRACE: must be true or false, got "yes"`,
			`PRIKKE_RECORD_REQUEST_BODY: must be true or false, got "0"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(func(k string) string { return tc.env[k] })
			if tc.problems != nil {
				if err == nil {
					t.Fatal("loaded; want an error")
				}
				for _, p := range tc.problems {
					if !strings.Contains(err.Error(), p) {
						t.Errorf("error %q lacks %q", err, p)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Trace != tc.trace || c.RecordRequestBody != tc.body {
				t.Errorf("Trace %v, RecordRequestBody %v; want %v, %v", c.Trace, c.RecordRequestBody, tc.trace, tc.body)
			}
		})
	}
	for _, name := range []string{"PRIKKE_TRACE", "PRIKKE_RECORD_REQUEST_BODY"} {
		if !slices.ContainsFunc(Vars, func(v Var) bool { return v.Name == name && v.Default == "true" }) {
			t.Errorf("%s is not documented for --help with its default", name)
		}
	}
}
