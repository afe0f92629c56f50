package redact

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

func TestHeaders(t *testing.T) {
	in := []prikke.Header{{Name: "authorization", Value: "Bearer s3cret"}, {Name: "X-Token", Value: "t"}, {Name: "Content-Type", Value: "application/json"}, {Name: "Cookie", Value: "a=b"}}
	orig := append([]prikke.Header(nil), in...)

	got := Headers(nil, in)
	want := []prikke.Header{{Name: "authorization", Value: prikke.Redacted}, {Name: "X-Token", Value: "t"}, {Name: "Content-Type", Value: "application/json"}, {Name: "Cookie", Value: prikke.Redacted}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults: %v, want %v", got, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Errorf("input modified: %v", in)
	}

	got = Headers(&prikke.Redaction{Headers: []string{"x-token"}}, in)
	want = []prikke.Header{{Name: "authorization", Value: "Bearer s3cret"}, {Name: "X-Token", Value: prikke.Redacted}, {Name: "Content-Type", Value: "application/json"}, {Name: "Cookie", Value: "a=b"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("project's own list (replaces the defaults): %v, want %v", got, want)
	}

	clean := []prikke.Header{{Name: "Accept", Value: "*/*"}}
	if got := Headers(nil, clean); &got[0] != &clean[0] {
		t.Errorf("nothing to redact should return the slice itself")
	}
	if got := Headers(nil, nil); got != nil {
		t.Errorf("nil headers: %v", got)
	}
}

func TestBody(t *testing.T) {
	r := &prikke.Redaction{JSONPaths: []string{"password", "data.token", "items[1].secret", `x["a key"]`, "deep.obj"}}
	R := `"[redacted]"`
	for _, tc := range []struct {
		name string
		in   string
		want string // "" means: the input itself, unchanged
		cut  bool
	}{
		{"top field", `{"user": "a", "password": "hunter2"}`, `{"user":"a","password":` + R + `}`, false},
		{"nothing matched keeps formatting", `{ "user" : "a" }`, "", false},
		{"nested", `{"data":{"token":"t","keep":1}}`, `{"data":{"token":` + R + `,"keep":1}}`, false},
		{"object value", `{"deep":{"obj":{"a":[1,{"b":2}]},"x":true}}`, `{"deep":{"obj":` + R + `,"x":true}}`, false},
		{"array index", `{"items":[{"secret":"a"},{"secret":"b"},{"secret":"c"}]}`, `{"items":[{"secret":"a"},{"secret":` + R + `},{"secret":"c"}]}`, false},
		{"array value redacted", `{"password":[1,[2,3],{"x":4}],"n":null}`, `{"password":` + R + `,"n":null}`, false},
		{"quoted key", `{"x":{"a key":"v"}}`, `{"x":{"a key":` + R + `}}`, false},
		{"duplicate keys", `{"password":"a","password":"b"}`, `{"password":` + R + `,"password":` + R + `}`, false},
		{"numbers kept exactly", `{"n":1.000000000000000000001,"big":12345678901234567890,"password":1}`, `{"n":1.000000000000000000001,"big":12345678901234567890,"password":` + R + `}`, false},
		{"wrong depth not matched", `{"x":{"password":"p"}}`, "", false},
		{"top array", `[{"password":"p"}]`, "", false},
		{"json lines", "{\"password\":1}\n{\"password\":2}\n", `{"password":` + R + "}\n{\"password\":" + R + `}`, false},
		{"not json", `password=hunter2`, "", false},
		{"scalar json", `"password"`, "", false},
		{"empty", ``, "", false},
		{"html escapes kept", `{"password":"x","h":"<a>&"}`, `{"password":` + R + `,"h":"<a>&"}`, false},
		{"non utf8", "{\"password\":\"\xff\",\"k\xfe\":\"v\xff\"}", `{"password":` + R + `,"k` + "\uFFFD" + `":"v` + "\uFFFD" + `"}`, false},
		{"truncated in redacted value", `{"a":1,"password":"hunt`, `{"a":1,"password":` + R, true},
		{"truncated in redacted object", `{"deep":{"obj":{"a":"sec`, `{"deep":{"obj":` + R, true},
		{"truncated after", `{"password":"x","b":"lo`, `{"password":` + R + `,"b":`, true},
		{"truncated nothing matched", `{"a":"x","b":"lo`, `{"a":"x","b":`, true},
		{"malformed", `{"password":"x",,}`, `{"password":` + R, true},
		{"trailing garbage", `{"password":"x"} zz`, `{"password":` + R + `}`, true},
	} {
		got, cut := Body(r, []byte(tc.in))
		want := tc.want
		if want == "" {
			want = tc.in
		}
		if string(got) != want || cut != tc.cut {
			t.Errorf("%s: Body = %q, %v; want %q, %v", tc.name, got, cut, want, tc.cut)
		}
		if !tc.cut && tc.want != "" && !json.Valid(bytes.ReplaceAll(got, []byte("\n"), nil)) && !strings.Contains(tc.in, "\n") {
			t.Errorf("%s: not valid JSON: %s", tc.name, got)
		}
	}
}

func TestBodyUnchanged(t *testing.T) {
	in := []byte(`{"password":"x"}`)
	if got, _ := Body(nil, in); &got[0] != &in[0] {
		t.Errorf("no JSON paths: the body itself")
	}
	if got, _ := Body(&prikke.Redaction{JSONPaths: []string{"a..b"}}, in); &got[0] != &in[0] {
		t.Errorf("no valid JSON paths: the body itself")
	}
	cp := append([]byte(nil), in...)
	Body(&prikke.Redaction{JSONPaths: []string{"password"}}, in)
	if !bytes.Equal(in, cp) {
		t.Errorf("input modified")
	}
}

func TestBodyHostile(t *testing.T) {
	r := &prikke.Redaction{JSONPaths: []string{"a.password"}}
	// Deep nesting: far beyond encoding/json's Decode limit; the walker
	// is iterative and keeps the body.
	n := 50000
	deep := strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)
	if got, cut := Body(r, []byte(deep)); string(got) != deep || cut {
		t.Errorf("deep object: changed (len %d, cut %v)", len(got), cut)
	}
	deep = `{"a":{"password":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}}`
	if got, cut := Body(r, []byte(deep)); string(got) != `{"a":{"password":"[redacted]"}}` || cut {
		t.Errorf("deep redacted value: %.80q, %v", got, cut)
	}
	open := `{"a":{"password":` + strings.Repeat("[", n)
	if got, cut := Body(r, []byte(open)); string(got) != `{"a":{"password":"[redacted]"` || !cut {
		t.Errorf("deep unclosed: %.80q, %v", got, cut)
	}
	// A key much longer than any path, many keys.
	var b strings.Builder
	b.WriteString(`{"a":{`)
	for i := 0; i < 10000; i++ {
		b.WriteString(`"password":"x",`)
	}
	b.WriteString(`"z":1}}`)
	got, cut := Body(r, []byte(b.String()))
	if cut || strings.Contains(string(got), `"x"`) || strings.Count(string(got), "[redacted]") != 10000 {
		t.Errorf("many duplicates: cut %v, %d redacted", cut, strings.Count(string(got), "[redacted]"))
	}
}

func TestValidate(t *testing.T) {
	var v prikke.Validation
	Validate(&v, "redact", &prikke.Redaction{Headers: []string{"X-Api-Key", "bad name"}, JSONPaths: []string{"data.token", "a..b", "items[0].secret"}})
	fs := prikke.ErrorFields(v.Err())
	if len(fs) != 2 || fs[0].Field != "redact.headers[1]" || fs[1].Field != "redact.json_paths[1]" {
		t.Fatalf("Validate = %v", fs)
	}
	v = prikke.Validation{}
	Validate(&v, "redact", nil)
	if v.Err() != nil {
		t.Fatalf("nil: %v", v.Err())
	}
}

func TestCovers(t *testing.T) {
	x := New(&prikke.Redaction{JSONPaths: []string{"data.token", "secret"}})
	for p, want := range map[string]bool{"data.token": true, "data.token.inner": true, "data[\"token\"]": true, "secret[0]": true,
		"data": true, "data.tokens": false, "token": false, "a..b": false} {
		if got := x.Covers(p); got != want {
			t.Errorf("Covers(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestBodyBOM: a JSON body that starts with a byte order mark (as some
// servers send their responses) is redacted like one without.
func TestBodyBOM(t *testing.T) {
	r := &prikke.Redaction{JSONPaths: []string{"password"}}
	for _, in := range []string{"\xEF\xBB\xBF{\"password\":\"hunter2\"}", " \xEF\xBB\xBF\n[1]", "\xEF\xBB\xBF {\"password\":\"hunter2\"}"} {
		out, _ := Body(r, []byte(in))
		if bytes.Contains(out, []byte("hunter2")) {
			t.Errorf("Body(%q) = %q; want the password redacted", in, out)
		}
	}
}
