package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/api"
)

// specOperation is what these tests read of an OpenAPI operation.
type specOperation struct {
	OperationID string `json:"operationId"`
	Responses   map[string]struct {
		Description string                     `json:"description"`
		Content     map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

// specPaths parses the OpenAPI document's operations by path and method
// (upper case).
func specPaths(t *testing.T, a *api.API) map[string]map[string]*specOperation {
	t.Helper()
	raw, err := a.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]*specOperation{}
	for path, item := range doc.Paths {
		out[path] = map[string]*specOperation{}
		for method, v := range item {
			var op specOperation
			if err := json.Unmarshal(v, &op); err == nil && op.Responses != nil {
				out[path][strings.ToUpper(method)] = &op
			}
		}
	}
	return out
}

// specOperationFor finds the operation that takes method and a request
// path (query string allowed), preferring the template with the most
// literal segments (/jobs/test over /jobs/{job_id}).
func specOperationFor(paths map[string]map[string]*specOperation, method, path string) (string, *specOperation) {
	path, _, _ = strings.Cut(path, "?")
	ps := strings.Split(path, "/")
	best, bestLiterals := "", -1
	var found *specOperation
	for tmpl, ops := range paths {
		op := ops[method]
		ts := strings.Split(tmpl, "/")
		if op == nil || len(ts) != len(ps) {
			continue
		}
		literals := 0
		for i, seg := range ts {
			if strings.HasPrefix(seg, "{") && ps[i] != "" {
				continue
			}
			if seg != ps[i] {
				literals = -1
				break
			}
			literals++
		}
		if literals > bestLiterals {
			best, bestLiterals, found = tmpl, literals, op
		}
	}
	return best, found
}

// checkDeclared fails the test when a successful response's status is not
// among its operation's documented responses: every request the tests
// send checks the OpenAPI document against what the handlers do.
func (s *server) checkDeclared(method, path string, status int) {
	if status < 200 || status > 299 || s.api == nil {
		return
	}
	s.specOnce.Do(func() { s.spec = specPaths(s.t, s.api) })
	tmpl, op := specOperationFor(s.spec, method, path)
	if op == nil {
		return
	}
	if _, ok := op.Responses[strconv.Itoa(status)]; !ok {
		s.t.Errorf("%s %s (%s) answered %d, which its OpenAPI responses do not declare", method, tmpl, op.OperationID, status)
	}
}

// TestOpenAPIStatuses checks that operations which do not answer 200
// document the statuses they do answer, each with a description and, when
// there is a body, its schema.
func TestOpenAPIStatuses(t *testing.T) {
	t.Parallel()
	a := api.New(http.NewServeMux(), api.Deps{Logger: slog.New(slog.DiscardHandler)})
	byID := map[string]*specOperation{}
	for _, ops := range specPaths(t, a) {
		for _, op := range ops {
			byID[op.OperationID] = op
		}
	}
	for _, tc := range []struct {
		op   string
		want []string // the 2xx statuses, sorted
	}{
		{"signup", []string{"202"}},
		{"login", []string{"200"}},
		{"logout", []string{"204"}},
		{"password-reset-request", []string{"202"}},
		{"email-change", []string{"202"}},
		{"organization-create", []string{"201"}},
		{"invitation-create", []string{"201"}},
		{"api-key-create", []string{"201"}},
		{"project-create", []string{"201"}},
		{"channel-create", []string{"201"}},
		{"status-page-create", []string{"201"}},
		{"job-create", []string{"201"}},
		{"job-trigger", []string{"202"}},
		{"queue-enqueue", []string{"200", "202"}},
		{"queue-batch", []string{"200"}},
		{"monitor-create", []string{"201"}},
		{"monitor-put", []string{"200", "201"}},
		{"monitor-delete", []string{"204"}},
		{"flow-key-put", []string{"200", "201"}},
		{"flow-key-delete", []string{"204"}},
		{"workflow-create", []string{"201"}},
		{"workflow-delete", []string{"204"}},
		{"run-start", []string{"200", "201"}},
		{"secret-put", []string{"200", "201"}},
		{"secret-delete", []string{"204"}},
	} {
		op := byID[tc.op]
		if op == nil {
			t.Errorf("no operation %s", tc.op)
			continue
		}
		var got []string
		for code, r := range op.Responses {
			if !strings.HasPrefix(code, "2") {
				continue
			}
			got = append(got, code)
			if r.Description == "" {
				t.Errorf("%s %s: no description", tc.op, code)
			}
			if code != "204" && r.Content["application/json"] == nil {
				t.Errorf("%s %s: no application/json body schema", tc.op, code)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: success statuses %v, want %v", tc.op, got, tc.want)
		}
	}
}

// Every operation, parameter and schema property in the OpenAPI document
// says what it is: /docs/api shows these descriptions, and an empty cell
// there leaves the reader guessing. Every tag is declared, in the order
// the reference shows them (what most clients need first).
func TestOpenAPIDescribesEverything(t *testing.T) {
	a := api.New(http.NewServeMux(), api.Deps{Logger: slog.New(slog.DiscardHandler)})
	raw, err := a.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	type param struct {
		Name        string `json:"name"`
		In          string `json:"in"`
		Description string `json:"description"`
	}
	var doc struct {
		Tags []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tags"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Description string `json:"description"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, tg := range doc.Tags {
		tags = append(tags, tg.Name)
		if tg.Description == "" {
			t.Errorf("tag %s has no description", tg.Name)
		}
	}
	if len(tags) < 3 || strings.Join(tags[:3], ",") != "Jobs,Queue,Executions" {
		t.Errorf("tags %v: want Jobs, Queue and Executions first", tags)
	}
	ops := 0
	for path, item := range doc.Paths {
		for method, rawOp := range item {
			var op struct {
				Summary     string   `json:"summary"`
				Description string   `json:"description"`
				Tags        []string `json:"tags"`
				Parameters  []param  `json:"parameters"`
			}
			if json.Unmarshal(rawOp, &op) != nil {
				continue
			}
			ops++
			name := strings.ToUpper(method) + " " + path
			if op.Summary == "" || op.Description == "" {
				t.Errorf("%s: summary %q, description %q; give both", name, op.Summary, op.Description)
			}
			if len(op.Tags) != 1 || !slices.Contains(tags, op.Tags[0]) {
				t.Errorf("%s: tags %v; want one declared tag", name, op.Tags)
			}
			for _, p := range op.Parameters {
				if p.Description == "" {
					t.Errorf("%s: %s parameter %s has no description", name, p.In, p.Name)
				}
			}
		}
	}
	if ops < 50 {
		t.Fatalf("found %d operations; the document was not read", ops)
	}
	props := 0
	for schema, s := range doc.Components.Schemas {
		for prop, p := range s.Properties {
			props++
			if prop != "$schema" && p.Description == "" {
				t.Errorf("%s.%s has no description", schema, prop)
			}
		}
	}
	if props < 150 {
		t.Fatalf("found %d schema properties; the document was not read", props)
	}
}
