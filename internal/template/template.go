// Package template is Prikke's one template syntax, for workflow steps'
// URLs, headers, bodies and delays (and, later, jobs'): literal text with
// {{ path }} and {{ path | filter }} in it.
//
// A path names a value in a Scope: dotted names and [N] indexes, such as
// payload.user.id, steps.login.json.token, steps.list.json.items[0].id,
// steps.check.headers.content-type, item, index, run.id, secrets.API_KEY.
// A string renders as itself; a number, boolean, null, object or array as
// its JSON. Filters: url (percent-encodes for a URL's path or query),
// json (the value's JSON, a string quoted). A path the scope lacks is a
// *MissingError naming it, so a step fails before any request is sent.
// "{{{{" writes a literal "{{".
//
// STUB: signatures are the contract; the engine helper implements them.
package template

import "errors"

// Path is a parsed path: its names and indexes, e.g. steps, login, json,
// token; an index [0] is the element "0".
type Path []string

// String writes the path as written: steps.list.json.items[0].id.
func (p Path) String() string { panic("STUB") }

// ParsePath parses a path such as "steps.list.json.items[0]" (also used by
// for_each and expect.json_path).
func ParsePath(s string) (Path, error) { return nil, errors.New("STUB") }

// Scope gives the values templates may use. Values are JSON values as
// encoding/json decodes them into any (string, float64 or json.Number,
// bool, nil, map[string]any, []any).
type Scope interface {
	Lookup(p Path) (v any, ok bool)
}

// Options adjust a render.
type Options struct {
	// Keep, when it returns true for a path, leaves its {{ … }} in the
	// output verbatim (secrets are kept until the moment of sending).
	Keep func(Path) bool
}

// MissingError is a render's error for a value the scope does not have.
type MissingError struct {
	Path Path
	// Why says what is missing, e.g. `steps.login.json has no field "token"`.
	Why string
}

func (e *MissingError) Error() string { return "template: " + e.Why }

// Template is a parsed template.
type Template struct{}

// Parse parses s; the error says where the syntax is wrong.
func Parse(s string) (*Template, error) { return nil, errors.New("STUB") }

// Paths returns every path the template references, in order.
func (t *Template) Paths() []Path { panic("STUB") }

// Render writes the template with the scope's values.
func (t *Template) Render(sc Scope, o Options) (string, error) { return "", errors.New("STUB") }

// Render parses and renders s in one call.
func Render(s string, sc Scope, o Options) (string, error) {
	t, err := Parse(s)
	if err != nil {
		return "", err
	}
	return t.Render(sc, o)
}
