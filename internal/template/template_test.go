package template

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// mapScope is a scope over one JSON object.
type mapScope map[string]any

func (m mapScope) Lookup(p Path) (any, bool) { return Walk(map[string]any(m), p) }

func scope(t *testing.T, js string) mapScope {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Path
		err  string
	}{
		{"payload", Path{"payload"}, ""},
		{"steps.login.json.token", Path{"steps", "login", "json", "token"}, ""},
		{"steps.list.json.items[0].id", Path{"steps", "list", "json", "items", "0", "id"}, ""},
		{"steps.c.headers.content-type", Path{"steps", "c", "headers", "content-type"}, ""},
		{"a[1][02]", Path{"a", "1", "2"}, ""},
		{"secrets.API_KEY", Path{"secrets", "API_KEY"}, ""},
		{`payload["first name"].x["a.b"]`, Path{"payload", "first name", "x", "a.b"}, ""},
		{`a["x"`, nil, "a ] is missing"},
		{`a["x]`, nil, "must be a JSON string"},
		{"", nil, "a name is missing"},
		{"a.", nil, "a name is missing"},
		{"a..b", nil, "expected a name at offset 2"},
		{"a[x]", nil, "number in brackets"},
		{"a[1", nil, "number in brackets"},
		{"a b", nil, `unexpected " " at offset 1`},
		{"[0]", nil, "expected a name at offset 0"},
	} {
		got, err := ParsePath(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParsePath(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePath(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if s := (Path{"steps", "list", "json", "items", "0", "id"}).String(); s != "steps.list.json.items[0].id" {
		t.Errorf("String = %q", s)
	}
	if s := (Path{"payload", "first name", "a\"b"}).String(); s != `payload["first name"]["a\"b"]` {
		t.Errorf("String = %q", s)
	}
}

func TestRender(t *testing.T) {
	sc := scope(t, `{
		"payload": {"user": {"id": 42, "name": "Ann & Bo/Co"}, "tags": ["a", "b"], "ok": true, "none": null, "s": "{{secrets.X}}", "a|b": "bar"},
		"run": {"id": "r1"},
		"steps": {"login": {"status": 200, "json": {"token": "t0k"}}}
	}`)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"literal", "plain text", "plain text"},
		{"empty", "", ""},
		{"string", "Bearer {{steps.login.json.token}}", "Bearer t0k"},
		{"spaces", "{{  steps.login.json.token  }}", "t0k"},
		{"number", "id={{payload.user.id}}", "id=42"},
		{"bool null", "{{payload.ok}} {{payload.none}}", "true null"},
		{"object", "{{payload.user}}", `{"id":42,"name":"Ann & Bo/Co"}`},
		{"array", "{{payload.tags}}", `["a","b"]`},
		{"index", "{{payload.tags[1]}}", "b"},
		{"quoted name", `{{ payload["user"]["name"] }}`, "Ann & Bo/Co"},
		{"quoted bar", `{{ payload["a|b"] | json }}`, `"bar"`},
		{"url filter", "/u/{{ payload.user.name | url }}", "/u/Ann%20%26%20Bo%2FCo"},
		{"json filter string", `{"n": {{payload.user.name|json}}}`, `{"n": "Ann & Bo/Co"}`},
		{"json filter number", `{{payload.user.id | json}}`, `42`},
		{"json then url", `{{payload.user.name | json | url}}`, `%22Ann%20%26%20Bo%2FCo%22`},
		{"literal braces", "{{{{not a template}}", "{{not a template}}"},
		{"closing braces alone", "a }} b", "a }} b"},
		{"value with braces is plain", "{{payload.s}}", "{{secrets.X}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(tc.in, sc, Options{})
			if err != nil || got != tc.want {
				t.Errorf("Render(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestRenderKeep(t *testing.T) {
	sc := scope(t, `{"payload": {"s": "{{secrets.X}}", "id": 7}}`)
	keep := Options{Keep: func(p Path) bool { return p.Root() == "secrets" }}
	got, err := Render("Bearer {{ secrets.API_KEY }} {{payload.id}} {{{{x}} {{payload.s}}", sc, keep)
	if err != nil {
		t.Fatal(err)
	}
	want := "Bearer {{ secrets.API_KEY }} 7 {{{{x}} {{{{secrets.X}}"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	// The output renders again at send time: the kept secret is filled,
	// the literal and the value's braces stay text.
	final, err := Render(got, scope(t, `{"secrets": {"API_KEY": "k"}}`), Options{})
	if err != nil || final != "Bearer k 7 {{x}} {{secrets.X}}" {
		t.Fatalf("second render = %q, %v", final, err)
	}
}

func TestRenderMissing(t *testing.T) {
	sc := scope(t, `{"payload": {"items": [1, 2, 3], "name": "x"}, "steps": {"login": {"json": {"a": 1}}}}`)
	for _, tc := range []struct{ in, path, why string }{
		{"{{steps.login.json.token}}", "steps.login.json.token", `steps.login.json has no field "token"`},
		{"{{payload.items[3]}}", "payload.items[3]", "payload.items has no element 3 (it has 3)"},
		{"{{payload.name.first}}", "payload.name.first", `payload.name is a string, not an object or array: it has no "first"`},
		{"{{payload.items.x}}", "payload.items.x", `payload.items is an array, not an object: it has no field "x"`},
		{"{{nothing.here}}", "nothing.here", "there is no nothing"},
	} {
		_, err := Render("a "+tc.in, sc, Options{})
		var me *MissingError
		if !errors.As(err, &me) {
			t.Errorf("Render(%q) error = %v, want a MissingError", tc.in, err)
			continue
		}
		if me.Path.String() != tc.path || me.Why != tc.why {
			t.Errorf("Render(%q) = %s / %q, want %s / %q", tc.in, me.Path, me.Why, tc.path, tc.why)
		}
		if !strings.HasPrefix(err.Error(), "template: ") {
			t.Errorf("Error() = %q", err.Error())
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"abc {{ payload", "unterminated {{ at offset 4"},
		{"{{}}", "empty {{ }} at offset 0"},
		{"x{{ a | shout }}", `unknown filter "shout"`},
		{"x{{ a | }}", "a filter is missing"},
		{"{{ a b }}", `unexpected "b" after a`},
		{"{{ a.[0] }}", "expected a name"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Parse(%q) error = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestPaths(t *testing.T) {
	tpl, err := Parse("{{a.b}} and {{ c[0] | url }} {{{{d}}")
	if err != nil {
		t.Fatal(err)
	}
	got := tpl.Paths()
	want := []Path{{"a", "b"}, {"c", "0"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Paths = %v, want %v", got, want)
	}
}

func TestEscape(t *testing.T) {
	if got := Escape("a b/c?d=e&f+g~h.é"); got != "a%20b%2Fc%3Fd%3De%26f%2Bg~h.%C3%A9" {
		t.Fatalf("Escape = %q", got)
	}
}

// TestRenderKeepBoundaries: values whose braces meet across a boundary
// (two values side by side, a value and a literal, a value and a kept
// expression) must never form a reference the second render fills in: the
// first render either writes an output whose expressions are exactly the
// kept ones, or fails.
func TestRenderKeepBoundaries(t *testing.T) {
	keep := Options{Keep: func(p Path) bool { return p.Root() == "secrets" }}
	secrets := scope(t, `{"secrets": {"K": "the-secret", "API": "k"}}`)
	for _, tc := range []struct{ tmpl, payload string }{
		{"{{payload.a}}{{payload.b}}", `{"a": "{", "b": "{secrets.K}}"}`},
		{"{{payload.a}}{secrets.K}}", `{"a": "x{"}`},
		{"{{payload.a}}{{payload.b}}{{payload.c}}", `{"a": "{", "b": "{", "c": "secrets.K}}"}`},
		{"{{payload.a}}{{payload.b}} {{secrets.API}}", `{"a": "{{{", "b": "{secrets.K}}"}`},
		{"{{payload.a}}{{{{secrets.K}}", `{"a": "{"}`},
		{"{{payload.a}}{{secrets.API}}", `{"a": "{"}`},
		{"{{payload.a}}", `{"a": "{{{{{secrets.K}}"}`},
	} {
		sc := scope(t, `{"payload": `+tc.payload+`}`)
		out, err := Render(tc.tmpl, sc, keep)
		if err != nil {
			continue // refusing is fine
		}
		final, err := Render(out, secrets, Options{})
		if err == nil && strings.Contains(final, "the-secret") {
			t.Errorf("%s with %s: first render %q, second render %q: a value smuggled in secrets.K", tc.tmpl, tc.payload, out, final)
		}
		tp, err := Parse(out)
		if err != nil {
			t.Errorf("%s with %s: first render %q does not parse again: %v", tc.tmpl, tc.payload, out, err)
			continue
		}
		for _, p := range tp.Paths() {
			if p.String() == "secrets.K" {
				t.Errorf("%s with %s: first render %q references secrets.K", tc.tmpl, tc.payload, out)
			}
		}
	}
}

// Clip cuts at a character boundary, so a clipped value is still UTF-8
// (PostgreSQL refuses a text that is not).
func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc…"},
		{"aøb", 2, "a…"}, // ø is two bytes: not cut in half
		{"€€", 4, "€…"},
	} {
		got := Clip(tc.s, tc.n)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
