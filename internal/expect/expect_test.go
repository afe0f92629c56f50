package expect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

func TestCheck(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name      string
		e         *prikke.Expect
		status    int
		body      string
		truncated bool
		d         time.Duration
		want      string
	}{
		{"nil 2xx", nil, 204, "", false, 0, ""},
		{"nil 500", nil, 500, "", false, 0, "expect: status 500 is not in [2xx]"},
		{"empty expect 404", &prikke.Expect{}, 404, "", false, 0, "expect: status 404 is not in [2xx]"},
		{"codes", &prikke.Expect{Status: []string{"200", "201"}}, 404, "", false, 0, "expect: status 404 is not in [200, 201]"},
		{"class", &prikke.Expect{Status: []string{"4xx"}}, 404, "", false, 0, ""},
		{"class upper", &prikke.Expect{Status: []string{"4XX"}}, 404, "", false, 0, ""},
		{"range in", &prikke.Expect{Status: []string{"200-299"}}, 299, "", false, 0, ""},
		{"range low edge", &prikke.Expect{Status: []string{"200-299"}}, 200, "", false, 0, ""},
		{"range out", &prikke.Expect{Status: []string{"200-204"}}, 205, "", false, 0, "expect: status 205 is not in [200-204]"},
		{"mixed", &prikke.Expect{Status: []string{"301", "4xx", "500-502"}}, 502, "", false, 0, ""},
		{"bad entry never matches", &prikke.Expect{Status: []string{"299-200"}}, 250, "", false, 0, "expect: status 250 is not in [299-200]"},
		{"duration ok", &prikke.Expect{MaxDurationMS: 1000}, 200, "", false, 1000 * ms, ""},
		{"duration over", &prikke.Expect{MaxDurationMS: 1000}, 200, "", false, 1250 * ms, "expect: took 1250 ms, over max_duration_ms 1000"},
		{"status before duration", &prikke.Expect{MaxDurationMS: 1}, 500, "", false, time.Second, "expect: status 500 is not in [2xx]"},
		{"contains", &prikke.Expect{BodyContains: "ok"}, 200, `{"status":"ok"}`, false, 0, ""},
		{"contains missing", &prikke.Expect{BodyContains: "ok"}, 200, `fail`, false, 0, `expect: body does not contain "ok"`},
		{"contains truncated", &prikke.Expect{BodyContains: "ok"}, 200, `fail`, true, 0, `expect: body does not contain "ok" (in the first 4 bytes kept)`},
		{"not contains", &prikke.Expect{BodyNotContains: "error"}, 200, `fine`, false, 0, ""},
		{"not contains found", &prikke.Expect{BodyNotContains: "error"}, 200, `an error`, false, 0, `expect: body contains "error"`},
		{"quote escapes", &prikke.Expect{BodyContains: "a\"b\n"}, 200, ``, false, 0, `expect: body does not contain "a\"b\n"`},
		{"json equal", &prikke.Expect{JSONPath: "data.state", Equals: json.RawMessage(`"done"`)}, 200, `{"data":{"state":"done"}}`, false, 0, ""},
		{"json differs", &prikke.Expect{JSONPath: "data.state", Equals: json.RawMessage(`"done"`)}, 200, `{"data":{"state":"pending"}}`, false, 0, `expect: json_path data.state is "pending", not "done"`},
		{"json number", &prikke.Expect{JSONPath: "items[1].n", Equals: json.RawMessage(`2`)}, 200, `{"items":[{"n":1},{"n":2.0}]}`, false, 0, ""},
		{"json object", &prikke.Expect{JSONPath: "a", Equals: json.RawMessage(`{"x":[1,2]}`)}, 200, `{"a":{"x":[1.0,2]}}`, false, 0, ""},
		{"json number vs string", &prikke.Expect{JSONPath: "a", Equals: json.RawMessage(`"1"`)}, 200, `{"a":1}`, false, 0, `expect: json_path a is 1, not "1"`},
		{"not json", &prikke.Expect{JSONPath: "a", Equals: json.RawMessage(`1`)}, 200, `<html>`, false, 0, "expect: the response is not JSON"},
		{"not json truncated", &prikke.Expect{JSONPath: "a"}, 200, `{"a":`, true, 0, "expect: the response is not JSON (it was cut at 5 bytes)"},
		{"trailing data", &prikke.Expect{JSONPath: "a"}, 200, `{"a":1} {}`, false, 0, "expect: the response is not JSON"},
		{"missing", &prikke.Expect{JSONPath: "a.b"}, 200, `{"a":{}}`, false, 0, "expect: json_path a.b is missing from the response"},
		{"present", &prikke.Expect{JSONPath: "a"}, 200, `{"a":null}`, false, 0, ""},
		{"matches", &prikke.Expect{JSONPath: "data.state", Matches: "^(done|ok)$"}, 200, `{"data":{"state":"done"}}`, false, 0, ""},
		{"matches number text", &prikke.Expect{JSONPath: "n", Matches: `^\d+$`}, 200, `{"n":42}`, false, 0, ""},
		{"matches fails", &prikke.Expect{JSONPath: "data.state", Matches: "^done$"}, 200, `{"data":{"state":"pending"}}`, false, 0, `expect: json_path data.state is "pending", which does not match ^done$`},
		{"equals and matches", &prikke.Expect{JSONPath: "s", Equals: json.RawMessage(`"ab"`), Matches: "^a"}, 200, `{"s":"ab"}`, false, 0, ""},
		{"bad regexp at check", &prikke.Expect{JSONPath: "s", Matches: "("}, 200, `{"s":"x"}`, false, 0, "expect: matches is not a valid regular expression: error parsing regexp: missing closing ): `(`"},
		{"all hold", &prikke.Expect{Status: []string{"200"}, BodyContains: "ok", BodyNotContains: "err", JSONPath: "ok", Equals: json.RawMessage(`true`), MaxDurationMS: 50}, 200, `{"ok":true}`, false, 10 * ms, ""},
	} {
		if got := Check(tc.e, tc.status, []byte(tc.body), tc.truncated, tc.d); got != tc.want {
			t.Errorf("%s: Check = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", prikke.MaxExpectTextLength+1)
	many := make([]string, prikke.MaxExpectStatuses+1)
	for i := range many {
		many[i] = "200"
	}
	for _, tc := range []struct {
		name  string
		e     *prikke.Expect
		field string // "" means valid
		msg   string
	}{
		{"nil", nil, "", ""},
		{"full", &prikke.Expect{Status: []string{"200", "4xx", "500-599"}, JSONPath: "a.b[0]", Equals: json.RawMessage(`1`), Matches: "^x", BodyContains: "ok", BodyNotContains: "err", MaxDurationMS: 1000}, "", ""},
		{"status code", &prikke.Expect{Status: []string{"200", "700"}}, "expect.status[1]", "not a status code"},
		{"status padded", &prikke.Expect{Status: []string{"0200"}}, "expect.status[0]", "not a status code"},
		{"status range reversed", &prikke.Expect{Status: []string{"299-200"}}, "expect.status[0]", "a range"},
		{"status range open", &prikke.Expect{Status: []string{"200-"}}, "expect.status[0]", "not a status code"},
		{"status class 6", &prikke.Expect{Status: []string{"6xx"}}, "expect.status[0]", "not a status code"},
		{"too many", &prikke.Expect{Status: many}, "expect.status", "at most 20"},
		{"json path", &prikke.Expect{JSONPath: "a..b"}, "expect.json_path", "write it like"},
		{"equals json", &prikke.Expect{JSONPath: "a", Equals: json.RawMessage(`{`)}, "expect.equals", "must be a JSON value"},
		{"equals alone", &prikke.Expect{Equals: json.RawMessage(`1`)}, "expect.json_path", "needs a json_path"},
		{"matches alone", &prikke.Expect{Matches: "x"}, "expect.json_path", "needs a json_path"},
		{"matches bad", &prikke.Expect{JSONPath: "a", Matches: "a(b"}, "expect.matches", "missing closing )"},
		{"matches perl", &prikke.Expect{JSONPath: "a", Matches: `a(?!b)`}, "expect.matches", "invalid or unsupported Perl syntax"},
		{"matches long", &prikke.Expect{JSONPath: "a", Matches: long}, "expect.matches", "too long"},
		{"contains long", &prikke.Expect{BodyContains: long}, "expect.body_contains", "too long"},
		{"not contains utf8", &prikke.Expect{BodyNotContains: "\xff"}, "expect.body_not_contains", "UTF-8"},
		{"duration negative", &prikke.Expect{MaxDurationMS: -1}, "expect.max_duration_ms", "between 1 and 30000"},
		{"duration over", &prikke.Expect{MaxDurationMS: prikke.MaxTimeoutMS + 1}, "expect.max_duration_ms", "between 1 and 30000"},
	} {
		var v prikke.Validation
		Validate(&v, "expect", tc.e)
		fs := prikke.ErrorFields(v.Err())
		if tc.field == "" {
			if len(fs) > 0 {
				t.Errorf("%s: Validate = %v, want valid", tc.name, fs)
			}
			continue
		}
		found := false
		for _, f := range fs {
			if f.Field == tc.field && strings.Contains(f.Message, tc.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: Validate = %v, want %s: …%s…", tc.name, fs, tc.field, tc.msg)
		}
	}
}
