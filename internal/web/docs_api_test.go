package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/web/docs"
)

// realAPIEnv serves the docs with the OpenAPI document of the real API,
// as cmd/prikke wires it, and returns that document's reference view.
func realAPIEnv(t *testing.T) (*testEnv, *docs.APIReference, int) {
	t.Helper()
	a := api.New(http.NewServeMux(), api.Deps{Logger: slog.New(slog.DiscardHandler)})
	raw, err := a.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := docs.ParseAPIReference(raw)
	if err != nil {
		t.Fatal(err)
	}
	return newTestEnv(t, func(d *Deps) { d.OpenAPI = a.OpenAPI }), ref, len(a.Routes())
}

// The page size bounds of the reference. The single page it replaced was
// 660 KB; each resource's page is now far below that. Issue 18 (a job's
// expect, an execution's trace and request body, replay, export and
// preview) took Jobs and Executions to about 146 KB each.
const (
	maxAPIIndexBytes = 64 << 10
	maxAPIPageBytes  = 160 << 10
)

// The API reference puts what clients need first, splits into one small
// page per resource, describes every field, and shows an example request
// and response for every operation.
func TestAPIReferencePages(t *testing.T) {
	e, ref, routes := realAPIEnv(t)

	var names []string
	ops := 0
	for _, g := range ref.Groups {
		names = append(names, g.Name)
		ops += len(g.Operations)
	}
	if len(names) < 4 || strings.Join(names[:3], ",") != "Jobs,Queue,Executions" {
		t.Errorf("resources in the order %v; want Jobs, Queue, Executions first", names)
	}
	if ops != routes {
		t.Errorf("the reference shows %d operations, the API has %d", ops, routes)
	}

	index := e.get(t, "/docs/api")
	if index.Code != http.StatusOK {
		t.Fatalf("/docs/api: %d", index.Code)
	}
	body := index.Body.String()
	if len(body) > maxAPIIndexBytes {
		t.Errorf("/docs/api is %d bytes; want at most %d", len(body), maxAPIIndexBytes)
	}
	last := -1
	for _, g := range ref.Groups {
		at := strings.Index(body, `href="/docs/api/`+g.Slug+`"`)
		if at < 0 || at < last {
			t.Errorf("/docs/api lists %s at %d, after %d: not in the reference's order", g.Name, at, last)
		}
		last = at
	}

	nullArray := regexp.MustCompile(`(array|map) of [A-Za-z]+ or null`)
	for _, g := range ref.Groups {
		w := e.get(t, "/docs/api/"+g.Slug)
		if w.Code != http.StatusOK {
			t.Fatalf("/docs/api/%s: %d", g.Slug, w.Code)
		}
		page := w.Body.String()
		if len(page) > maxAPIPageBytes {
			t.Errorf("/docs/api/%s is %d bytes; want at most %d", g.Slug, len(page), maxAPIPageBytes)
		}
		if m := nullArray.FindString(page); m != "" {
			t.Errorf("/docs/api/%s says %q", g.Slug, m)
		}
		for _, op := range g.Operations {
			name := op.Method + " " + op.Path
			if op.Description == "" {
				t.Errorf("%s has no description", name)
			}
			fields := append(append([]docs.APIField{}, op.Parameters...), op.Body...)
			for _, r := range op.Responses {
				fields = append(fields, r.Fields...)
			}
			for _, f := range fields {
				if f.Description == "" {
					t.Errorf("%s: %s has no description", name, f.Name)
				}
			}
			if !strings.Contains(page, `id="`+op.ID+`"`) || !strings.Contains(page, `id="`+op.ID+`-curl"`) {
				t.Errorf("/docs/api/%s lacks %s or its example request", g.Slug, name)
			}
			if !strings.HasPrefix(op.ResponseStatus, "2") {
				t.Errorf("%s: success status %q", name, op.ResponseStatus)
			}
			hasBody := false
			for _, r := range op.Responses {
				hasBody = hasBody || (r.Status == op.ResponseStatus && r.ContentType == "application/json")
			}
			switch {
			case hasBody && op.ResponseExample == "":
				t.Errorf("%s returns JSON but shows no example response", name)
			case hasBody:
				var v any
				if err := json.Unmarshal([]byte(op.ResponseExample), &v); err != nil {
					t.Errorf("%s: the example response is not JSON: %v", name, err)
				}
				if !strings.Contains(page, `id="`+op.ID+`-response"`) {
					t.Errorf("/docs/api/%s does not show %s's example response", g.Slug, name)
				}
			}
		}
	}

	// The examples show real values, not the schema's type names.
	jobs := ref.Group("jobs")
	for _, op := range jobs.Operations {
		if op.Method == "POST" && op.Path == "/api/v1/jobs" {
			for _, want := range []string{`"name": "nightly report"`, `"cron_expression": "0 9 * * 1-5"`, `"id": "` + docs.ExampleID + `"`, `"next_run_at": "`} {
				if !strings.Contains(op.ResponseExample, want) {
					t.Errorf("the example Job lacks %s:\n%s", want, op.ResponseExample)
				}
			}
			if strings.Contains(op.ResponseExample, `"string"`) || strings.Contains(op.ResponseExample, `"error"`) {
				t.Errorf("the example Job shows placeholders or failure-only fields:\n%s", op.ResponseExample)
			}
		}
	}

	if w := e.get(t, "/docs/api/nope"); w.Code != http.StatusNotFound {
		t.Errorf("/docs/api/nope: %d, want 404", w.Code)
	}
}
