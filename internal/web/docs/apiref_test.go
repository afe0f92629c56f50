package docs

import (
	"os"
	"strings"
	"testing"
)

func TestAPIReference(t *testing.T) {
	spec, err := os.ReadFile("testdata/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ParseAPIReference(spec)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ops := map[string]APIOperation{}
	for _, g := range ref.Groups {
		names = append(names, g.Name)
		for _, op := range g.Operations {
			ops[op.Method+" "+op.Path] = op
		}
	}
	if strings.Join(names, ",") != "Jobs,Queue,Meta" {
		t.Errorf("groups %v, want the spec's tag order", names)
	}
	create, ok := ops["POST /api/v1/jobs"]
	if !ok {
		t.Fatalf("no POST /api/v1/jobs (the server URL's path is the prefix): %v", ops)
	}
	if !create.Auth || !create.BodyRequired || create.BodyType != "JobBody" {
		t.Errorf("create: auth %v, body required %v, type %q", create.Auth, create.BodyRequired, create.BodyType)
	}
	fields := map[string]APIField{}
	for _, f := range create.Body {
		fields[f.Name] = f
	}
	for name, want := range map[string]string{
		"name": "string", "url": "string (uri)", "schedule": "Schedule", "schedule.kind": "string",
		// A list that may come as null (Go's nil) reads as a list: the
		// docs no longer say "array of Header or null".
		"headers": "array of Header", "headers[].name": "string", "timeout_ms": "integer",
	} {
		if f, ok := fields[name]; !ok || f.Type != want {
			t.Errorf("field %s: %+v, want type %q", name, f, want)
		}
	}
	if !fields["name"].Required || fields["method"].Required || !fields["schedule.kind"].Required {
		t.Error("required flags are wrong")
	}
	if _, ok := fields["$schema"]; ok {
		t.Error("$schema is listed")
	}
	if d := strings.Join(fields["method"].Details, "; "); !strings.Contains(d, "one of: GET, POST") || !strings.Contains(d, `default: "GET"`) {
		t.Errorf("method details %q", d)
	}
	if d := strings.Join(fields["timeout_ms"].Details, "; "); !strings.Contains(d, "1000 to 30000") {
		t.Errorf("timeout details %q", d)
	}
	for _, want := range []string{
		`curl -X POST "$PRIKKE_URL/api/v1/jobs"`, `-H "Authorization: Bearer $PRIKKE_API_KEY"`,
		`-H "Content-Type: application/json"`, `"name": "hourly ping"`, `"url": "https://example.com/hook"`,
		`"kind": "cron"`, `"cron": "*/15 * * * *"`,
	} {
		if !strings.Contains(create.Curl, want) {
			t.Errorf("create curl lacks %q:\n%s", want, create.Curl)
		}
	}
	if strings.Contains(create.Curl, `"id"`) || strings.Contains(create.Curl, "$schema") || strings.Contains(create.Curl, "timeout_ms") {
		t.Errorf("the example body has read-only or unexampled optional fields:\n%s", create.Curl)
	}
	// A read-only field is left out of request bodies but kept in responses.
	for _, r := range create.Responses {
		if r.Status == "201" {
			found := false
			for _, f := range r.Fields {
				found = found || (f.Name == "id" && f.ReadOnly)
			}
			if !found || r.Type != "Job" {
				t.Errorf("201 response: type %q, fields %v", r.Type, r.Fields)
			}
		}
	}

	trigger := ops["POST /api/v1/jobs/{id}/trigger"]
	if trigger.Curl != `curl -X POST "$PRIKKE_URL/api/v1/jobs/$JOB_ID/trigger"`+" \\\n  -H \"Authorization: Bearer $PRIKKE_API_KEY\"" {
		t.Errorf("trigger curl:\n%s", trigger.Curl)
	}
	if len(trigger.Parameters) != 1 || trigger.Parameters[0].Name != "id" || trigger.Parameters[0].In != "path" || !trigger.Parameters[0].Required {
		t.Errorf("trigger parameters %+v", trigger.Parameters)
	}
	list := ops["GET /api/v1/jobs"]
	if !strings.HasPrefix(list.Curl, `curl "$PRIKKE_URL/api/v1/jobs"`) || len(list.Parameters) != 2 {
		t.Errorf("list: %q, %+v", list.Curl, list.Parameters)
	}
	enqueue := ops["POST /api/v1/queue"]
	if len(enqueue.Parameters) != 1 || enqueue.Parameters[0].Name != "Idempotency-Key" || enqueue.Parameters[0].In != "header" {
		t.Errorf("the $ref parameter was not resolved: %+v", enqueue.Parameters)
	}
	if !strings.Contains(enqueue.Curl, `"body": "{\"order\":42}"`) {
		t.Errorf("enqueue curl does not use the field example:\n%s", enqueue.Curl)
	}
	if ping := ops["GET /api/v1/ping"]; ping.Auth || strings.Contains(ping.Curl, "Authorization") {
		t.Errorf("ping needs no authentication (security: []): %+v", ping)
	}
	del := ops["DELETE /api/v1/jobs/{id}"]
	if del.Curl != `curl -X DELETE "$PRIKKE_URL/api/v1/jobs/$JOB_ID"`+" \\\n  -H \"Authorization: Bearer $PRIKKE_API_KEY\"" {
		t.Errorf("delete curl:\n%s", del.Curl)
	}

	if _, err := ParseAPIReference([]byte(`{"openapi":`)); err == nil {
		t.Error("broken JSON parsed")
	}
}
