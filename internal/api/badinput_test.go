package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// jstr JSON-encodes a string, escaping as encoding/json does.
func jstr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// obj builds a JSON object from raw members (`"name":value`).
func obj(members ...string) string { return "{" + strings.Join(members, ",") + "}" }

const (
	okURL  = `"url":"https://example.com/hook"`
	okCron = `"cron_expression":"0 * * * *"`
)

// cronJob is a job body with the given cron expression.
func cronJob(expr string, more ...string) string {
	return obj(append([]string{okURL, `"cron_expression":` + jstr(expr)}, more...)...)
}

// jobWith is a valid hourly job with extra raw members.
func jobWith(more ...string) string { return obj(append([]string{okURL, okCron}, more...)...) }

// badCase is one hostile request and the answer it must get.
type badCase struct {
	row     int    // row of reliability.md §4.3
	name    string // what is sent
	method  string // default POST
	path    string // default /api/v1/jobs
	body    string // sent as is
	headers []string
	as      string // "pro" (default: the pro tenant's key), "free", "anon", "session" (the pro tenant signed in)
	status  int
	loc     string // errors[].location expected ("" for body-level errors)
	msg     string // substring of that entry's message, or of detail when loc is ""
	check   func(t *testing.T, s *server, r *response)
}

// leaks are strings an error body must never contain: stack traces, SQL,
// driver names, Go internals.
var leaks = regexp.MustCompile(`(?i)panic|goroutine|runtime\.|\.go:\d|select |insert |update .* set|sqlstate|sqlite|pgx|postgres|database/sql`)

// TestBadInput sends the hostile inputs of reliability.md §4.3 (the issue's
// status codes win where they differ: duplicate keys and unknown fields are
// 422, retry_attempts is 0-10) to the API over both stores and checks the
// status, the problem+json shape, the field location and the message, and
// that nothing was stored when a create was refused.
//
// Row 33 (20 000-deep nesting) is 40 KB, far under the 1 MiB cap, so it is
// the JSON parser's depth limit that refuses it: 400. Row 43 (a raw 0xFF
// byte) is refused with 400 rather than silently replaced by U+FFFD: the
// body is checked for valid UTF-8 before decoding.
func TestBadInput(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		pro := s.newTenant(prikke.TierPro)
		free := s.newTenant(prikke.TierFree)

		// A job to patch, and more than a page of jobs, for rows 35 and 47.
		r := s.withKey(pro.key).do("POST", "/api/v1/jobs", jobWith(`"name":"patch me"`))
		if r.Status != 201 {
			t.Fatalf("create job = %d %s", r.Status, r.Body)
		}
		var own struct{ ID string }
		r.json(t, &own)
		bulk := make([]*prikke.Job, 101)
		now := time.Now().UTC().Truncate(time.Microsecond)
		for i := range bulk {
			bulk[i] = &prikke.Job{ID: prikke.NewID(), ProjectID: pro.project.ID, OrganizationID: pro.org.ID, Kind: prikke.JobKindCron,
				Name: fmt.Sprintf("bulk %d", i), URL: "https://example.com/bulk", Method: "GET", Headers: []prikke.Header{},
				TimeoutMS: prikke.DefaultTimeoutMS, RetryAttempts: prikke.DefaultRetryAttempts, CronExpression: "0 * * * *",
				TimeZone: "UTC", CatchUp: prikke.CatchUpLatest, CatchUpWindow: prikke.DefaultCatchUpWindow, Overlap: prikke.OverlapAllow,
				NotifyMode: prikke.NotifyProject, Health: prikke.JobHealthy, IntervalMinutes: 60, CreatedAt: now, UpdatedAt: now}
		}
		if err := s.store.JobCreateMany(ctx, bulk); err != nil {
			t.Fatal(err)
		}

		fewHeaders := func(n, size int) string {
			hs := make([]string, n)
			for i := range hs {
				hs[i] = fmt.Sprintf(`"X-H%02d":%s`, i, jstr(strings.Repeat("v", size)))
			}
			return `"headers":{` + strings.Join(hs, ",") + "}"
		}
		withBody := func(total int) string {
			head := obj(okURL, okCron, `"body":"`)
			head = head[:len(head)-1]
			return head + strings.Repeat("x", total-len(head)-2) + `"}`
		}
		padded := func(total int) string {
			b := jobWith()
			return b[:len(b)-1] + strings.Repeat(" ", total-len(b)) + "}"
		}
		deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
		past := time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)

		cases := []badCase{
			// Cron expressions: internal/cron's messages.
			{row: 1, name: `cron ""`, body: cronJob(""), status: 422, loc: "body.cron_expression", msg: "empty; enter five fields"},
			{row: 2, name: "cron 4 fields", body: cronJob("* * * *"), status: 422, loc: "body.cron_expression", msg: "expected 5 fields"},
			{row: 3, name: "cron 6 fields", body: cronJob("* * * * * *"), status: 422, loc: "body.cron_expression", msg: "seconds are not supported"},
			{row: 4, name: "cron minute 60", body: cronJob("60 * * * *"), status: 422, loc: "body.cron_expression", msg: "out of range 0-59"},
			{row: 5, name: "cron step 0", body: cronJob("*/0 * * * *"), status: 422, loc: "body.cron_expression", msg: "a step must be 1 or more"},
			{row: 6, name: "cron huge range", body: cronJob("0-99999999 * * * *"), status: 422, loc: "body.cron_expression", msg: "out of range 0-59"},
			{row: 7, name: "cron reversed range", body: cronJob("5-2 * * * *"), status: 422, loc: "body.cron_expression", msg: "reversed"},
			{row: 8, name: "cron Feb 30", body: cronJob("0 0 30 2 *"), status: 422, loc: "body.cron_expression", msg: "never fires"},
			{row: 9, name: "cron 31st of short months", body: cronJob("0 0 31 4,6,9,11 *"), status: 422, loc: "body.cron_expression", msg: "never fires"},
			{row: 10, name: "@every 1s", body: cronJob("@every 1s"), status: 422, loc: "body.cron_expression", msg: "@every is not supported"},
			{row: 10, name: "@every 0s", body: cronJob("@every 0s"), status: 422, loc: "body.cron_expression", msg: "@every is not supported"},
			{row: 11, name: "CRON_TZ prefix", body: cronJob("CRON_TZ=Europe/Oslo 0 9 * * *"), status: 422, loc: "body.cron_expression", msg: "set the time zone in its own field"},
			{row: 11, name: "TZ prefix", body: cronJob("TZ=UTC * * * * *"), status: 422, loc: "body.cron_expression", msg: "set the time zone in its own field"},
			{row: 12, name: "@reboot", body: cronJob("@reboot"), status: 422, loc: "body.cron_expression", msg: "@reboot is not supported"},
			{row: 13, name: "free: every minute", as: "free", body: cronJob("* * * * *"), status: 422, loc: "body.cron_expression", msg: "free tier's shortest interval is 1 hour"},
			{row: 13, name: "free: */30", as: "free", body: cronJob("*/30 * * * *"), status: 422, loc: "body.cron_expression", msg: "free tier's shortest interval is 1 hour"},
			{row: 13, name: "free: 0,30", as: "free", body: cronJob("0,30 * * * *"), status: 422, loc: "body.cron_expression", msg: "free tier's shortest interval is 1 hour"},
			// The gap is computed from fire times, not the text: :59 and :00 are a minute apart.
			{row: 13, name: "free: 0,59 (gap from fire times)", as: "free", body: cronJob("0,59 * * * *"), status: 422, loc: "body.cron_expression", msg: "fires every 1 minute"},
			{row: 13, name: "free: 0 0,1 (hourly gaps) accepted", as: "free", body: cronJob("0 0,1 * * *"), status: 201},
			{row: 13, name: "pro: every minute accepted", body: cronJob("* * * * *"), status: 201},
			{row: 14, name: "cron 10 000-char list", body: cronJob(strings.Repeat("1,", 4997) + "1 * * * *"), status: 422, loc: "body.cron_expression", msg: "max 100 characters"},
			{row: 15, name: "cron Arabic-Indic digit", body: cronJob("٣ * * * *"), status: 422, loc: "body.cron_expression", msg: "invalid character"},
			{row: 15, name: "cron NUL", body: cronJob("\x00 * * * *"), status: 422, loc: "body.cron_expression", msg: "invalid character"},
			{row: 16, name: "cron empty list item", body: cronJob("1,,2 * * * *"), status: 422, loc: "body.cron_expression", msg: "empty list item"},

			// Time zones.
			{row: 17, name: "tz Mars/Phobos", body: jobWith(`"timezone":"Mars/Phobos"`), status: 422, loc: "body.timezone", msg: "unknown time zone"},
			{row: 18, name: "tz Local", body: jobWith(`"timezone":"Local"`), status: 422, loc: "body.timezone", msg: "depends on the server"},
			{row: 19, name: `tz ""`, body: jobWith(`"timezone":""`), status: 422, loc: "body.timezone", msg: "time zone is required"},
			{row: 20, name: "tz europe/oslo", body: jobWith(`"timezone":"europe/oslo"`), status: 422, loc: "body.timezone", msg: `did you mean "Europe/Oslo"`},
			{row: 21, name: "tz path", body: jobWith(`"timezone":"../../etc/passwd"`), status: 422, loc: "body.timezone", msg: "unknown time zone"},
			{row: 22, name: "Europe/Oslo 30 2 * * * accepted", body: cronJob("30 2 * * *", `"timezone":"Europe/Oslo"`), status: 201,
				check: checkOsloDST},

			// URLs.
			{row: 23, name: "url javascript:", body: obj(okCron, `"url":"javascript:alert(1)"`), status: 422, loc: "body.url", msg: "scheme must be http or https"},
			{row: 23, name: "url file:", body: obj(okCron, `"url":"file:///etc/passwd"`), status: 422, loc: "body.url", msg: "scheme must be http or https"},
			{row: 23, name: "url gopher:", body: obj(okCron, `"url":"gopher://x"`), status: 422, loc: "body.url", msg: "scheme must be http or https"},
			{row: 23, name: "url ftp:", body: obj(okCron, `"url":"ftp://x"`), status: 422, loc: "body.url", msg: "scheme must be http or https"},
			{row: 23, name: "url ws:", body: obj(okCron, `"url":"ws://x"`), status: 422, loc: "body.url", msg: "scheme must be http or https"},
			{row: 24, name: "url 10 000 chars", body: obj(okCron, `"url":"https://example.com/`+strings.Repeat("a", 9980)+`"`), status: 422, loc: "body.url", msg: "max 2048 characters"},
			{row: 25, name: "url credentials", body: obj(okCron, `"url":"http://user:pass@example.com/"`), status: 422, loc: "body.url", msg: "credentials in the URL are not allowed"},
			{row: 26, name: "url CRLF", body: obj(okCron, `"url":"http://example.com/a\r\nX-Injected: 1"`), status: 422, loc: "body.url", msg: "not a valid URL"},
			{row: 26, name: "url space", body: obj(okCron, `"url":"http://exa mple.com/"`), status: 422, loc: "body.url", msg: "not a valid URL"},
			{row: 26, name: "url http://[]", body: obj(okCron, `"url":"http://[]"`), status: 422, loc: "body.url", msg: "not a valid URL"},
			{row: 26, name: "url http://:123", body: obj(okCron, `"url":"http://:123"`), status: 422, loc: "body.url", msg: "not a valid URL"},
			{row: 27, name: "url decimal IP", body: obj(okCron, `"url":"http://2130706433/"`), status: 422, loc: "body.url", msg: "non-canonical IP address"},
			{row: 27, name: "url hex IP", body: obj(okCron, `"url":"http://0x7f000001/"`), status: 422, loc: "body.url", msg: "non-canonical IP address"},
			{row: 27, name: "url octal IP", body: obj(okCron, `"url":"http://0177.0.0.1/"`), status: 422, loc: "body.url", msg: "non-canonical IP address"},
			{row: 27, name: "url short IP", body: obj(okCron, `"url":"http://127.1/"`), status: 422, loc: "body.url", msg: "non-canonical IP address"},

			// Headers: the location names the header.
			{row: 28, name: "header name with CRLF", body: jobWith(`"headers":{"X-A\r\nX-Injected":"1"}`), status: 422, loc: "body.headers.X-A\r\nX-Injected", msg: "not a valid header name"},
			{row: 28, name: "header name with space", body: jobWith(`"headers":{"X A":"1"}`), status: 422, loc: "body.headers.X A", msg: "not a valid header name"},
			{row: 28, name: "header value with CRLF", body: jobWith(`"headers":{"X-A":"1\r\nX-Injected: 2"}`), status: 422, loc: "body.headers.X-A", msg: "not a valid header value"},
			{row: 28, name: "header value with NUL", body: jobWith(`"headers":{"X-A":"1\u00002"}`), status: 422, loc: "body.headers.X-A", msg: "not a valid header value"},
		}
		for _, h := range []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "webhook-id", "webhook-signature", "webhook-timestamp", "Prikke-Anything"} {
			cases = append(cases, badCase{row: 29, name: "reserved header " + h, body: jobWith(`"headers":{` + jstr(h) + `:"x"}`),
				status: 422, loc: "body.headers." + h, msg: "reserved header"})
		}
		cases = append(cases, []badCase{
			{row: 30, name: "51 headers", body: jobWith(fewHeaders(51, 1)), status: 422, loc: "body.headers", msg: "max 50"},
			{row: 30, name: "headers over 8 KiB", body: jobWith(fewHeaders(2, 5000)), status: 422, loc: "body.headers", msg: "max 8 KiB"},
			{row: 31, name: "body 256 KiB + 1", body: jobWith(`"body":"` + strings.Repeat("x", 256<<10+1) + `"`), status: 413, loc: "body.body", msg: "max 256 KiB"},
			{row: 32, name: "request 1 MiB + 1", body: withBody(1<<20 + 1), status: 413, msg: "max 1 MiB"},
			{row: 32, name: "request of exactly 1 MiB accepted", body: padded(1 << 20), status: 201},
			{row: 33, name: "20 000-deep nesting", body: deep, status: 400, msg: "not valid JSON"},
			{row: 33, name: "20 000-deep nesting in a field", body: obj(okURL, okCron, `"headers":`+deep), status: 400, msg: "not valid JSON"},
			{row: 34, name: "url and URL", body: obj(`"url":"https://ok.example"`, `"URL":"http://127.0.0.1"`, okCron), status: 422, loc: "body.URL", msg: "unknown field"},
			{row: 34, name: "url twice", body: obj(`"url":"https://ok.example"`, `"url":"http://127.0.0.1"`, okCron), status: 422, loc: "body.url", msg: "duplicate key"},
			{row: 35, name: "unknown field user_id on create", body: jobWith(`"user_id":` + jstr(free.user.ID.String())), status: 422, loc: "body.user_id", msg: "unknown field"},
			{row: 35, name: "unknown field user_id on update", method: "PATCH", path: "/api/v1/jobs/" + own.ID,
				body: obj(`"user_id":` + jstr(free.user.ID.String())), status: 422, loc: "body.user_id", msg: "unknown field"},
			{row: 35, name: "unknown field organization_id on update", method: "PATCH", path: "/api/v1/jobs/" + own.ID,
				body: obj(`"organization_id":` + jstr(free.org.ID.String())), status: 422, loc: "body.organization_id", msg: "unknown field"},
			{row: 36, name: "text/plain", body: jobWith(), headers: []string{"Content-Type", "text/plain"}, status: 415, msg: "Content-Type: application/json"},
			{row: 36, name: "form encoded", body: "url=https://example.com", headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415, msg: "Content-Type: application/json"},
		}...)
		for _, v := range []string{"-1", "0", "999", "30001", "1e309", `"30000"`, "9223372036854775808", "1.5"} {
			st, loc := 422, "body.timeout_ms"
			cases = append(cases, badCase{row: 37, name: "timeout_ms " + v, body: jobWith(`"timeout_ms":` + v), status: st, loc: loc, msg: "must be an integer between 1000 and 30000"})
		}
		for _, v := range []string{"-1", "11", "1000"} {
			cases = append(cases, badCase{row: 38, name: "retry_attempts " + v, body: jobWith(`"retry_attempts":` + v), status: 422, loc: "body.retry_attempts", msg: "must be an integer between 0 and 10"})
		}
		cases = append(cases, []badCase{
			{row: 39, name: "scheduled_at in the past", body: obj(okURL, `"scheduled_at":`+jstr(past)), status: 422, loc: "body.scheduled_at", msg: "in the past"},
			{row: 39, name: "scheduled_at year 9999", body: obj(okURL, `"scheduled_at":"9999-12-31T00:00:00Z"`), status: 422, loc: "body.scheduled_at", msg: "max 1 year"},
			{row: 39, name: "scheduled_at month 13", body: obj(okURL, `"scheduled_at":"2026-13-45T00:00:00Z"`), status: 422, loc: "body.scheduled_at", msg: "not a valid date and time"},
			{row: 39, name: "scheduled_at without offset", body: obj(okURL, `"scheduled_at":"2026-05-01T10:00:00"`), status: 422, loc: "body.scheduled_at", msg: "needs a time zone offset"},
		}...)
		for _, m := range []string{"TRACE", "CONNECT", "get ", "FOO"} {
			cases = append(cases, badCase{row: 40, name: "method " + m, body: jobWith(`"method":` + jstr(m)), status: 422, loc: "body.method", msg: "must be one of GET, POST, PUT, PATCH, DELETE, HEAD"})
		}
		cases = append(cases, []badCase{
			{row: 41, name: "name 10 000 chars", body: jobWith(`"name":` + jstr(strings.Repeat("n", 10000))), status: 422, loc: "body.name", msg: "max 200"},
			{row: 41, name: "name NUL", body: jobWith(`"name":"a\u0000b"`), status: 422, loc: "body.name", msg: "invalid character"},
			{row: 41, name: `name ""`, body: jobWith(`"name":""`), status: 422, loc: "body.name", msg: "is required"},
			{row: 41, name: "name of spaces", body: jobWith(`"name":"   "`), status: 422, loc: "body.name", msg: "must not be blank"},
			{row: 41, name: "name of ideographic spaces", body: jobWith(`"name":"\u3000\u3000"`), status: 422, loc: "body.name", msg: "must not be blank"},
			{row: 41, name: "name U+202E (RTL override)", body: jobWith(`"name":"evil\u202Etxt.exe"`), status: 422, loc: "body.name", msg: "invisible formatting character (U+202E)"},
			{row: 41, name: "name U+200F (RTL mark)", body: jobWith(`"name":"a\u200Fb"`), status: 422, loc: "body.name", msg: "(U+200F)"},
			{row: 41, name: "name U+2066 (LTR isolate)", body: jobWith(`"name":"a\u2066b\u2069"`), status: 422, loc: "body.name", msg: "(U+2066)"},
			{row: 41, name: "name U+2069 (pop isolate)", body: jobWith(`"name":"ab\u2069"`), status: 422, loc: "body.name", msg: "(U+2069)"},
			{row: 28, name: "content_type and a different header", body: jobWith(`"content_type":"text/plain"`, `"headers":{"Content-Type":"application/json"}`), status: 422, loc: "body.content_type", msg: "give the content type once"},
			{row: 28, name: "content_type not a media type", body: jobWith(`"content_type":"json please"`), status: 422, loc: "body.content_type", msg: "is not a media type"},
			{row: 28, name: "content_type with CRLF", body: jobWith(`"content_type":"text/plain\r\nX-Injected: 1"`), status: 422, loc: "body.content_type", msg: "not a valid header value"},
			{row: 28, name: "queue content_type not a media type", path: "/api/v1/queue", body: obj(okURL, `"content_type":"/"`), status: 422, loc: "body.content_type", msg: "is not a media type"},
			{row: 41, name: "rename to empty", method: "PATCH", path: "/api/v1/jobs/" + own.ID, body: obj(`"name":""`), status: 422, loc: "body.name", msg: "is required"},
			{row: 41, name: "organization name U+202E", as: "session", method: "PATCH", path: "/api/v1/organizations/" + pro.org.ID.String(), body: obj(`"name":"acme\u202Eexe"`), status: 422, loc: "body.name", msg: "(U+202E)"},
			{row: 41, name: "project name U+2067", as: "session", path: "/api/v1/projects", body: obj(`"name":"p\u2067x"`), status: 422, loc: "body.name", msg: "(U+2067)"},
		}...)
		for _, n := range []string{"<script>alert(1)</script>", "zero\u200Dwidth", "emoji 🙂👍🏽", "ناممی\u200Cخواهم"} {
			cases = append(cases, badCase{row: 42, name: "name " + n + " accepted", body: jobWith(`"name":` + jstr(n)), status: 201,
				check: func(t *testing.T, s *server, r *response) {
					var j struct{ ID, Name string }
					r.json(t, &j)
					got := s.withKey(pro.key).do("GET", "/api/v1/jobs/"+j.ID, nil)
					var g struct{ Name string }
					got.json(t, &g)
					if j.Name != n || g.Name != n {
						t.Errorf("name stored as %q, read back as %q; want %q verbatim", j.Name, g.Name, n)
					}
				}})
		}
		cases = append(cases, []badCase{
			{row: 43, name: "name with byte 0xFF", body: jobWith(`"name":"a` + "\xff" + `b"`), status: 400, loc: "body.name", msg: "not valid UTF-8"},
			{row: 44, name: "email 321 chars", path: "/api/v1/account/signup", as: "anon",
				body: obj(`"email":`+jstr(strings.Repeat("a", 309)+"@example.com"), `"password":"a long and unusual passphrase"`), status: 422, loc: "body.email", msg: "max 254"},
			{row: 44, name: "signup with a taken address in other case", path: "/api/v1/account/signup", as: "anon",
				body: obj(`"email":`+jstr(strings.ToUpper(pro.user.Email[:1])+pro.user.Email[1:strings.IndexByte(pro.user.Email, '@')]+"@Example.COM"),
					`"password":"another long passphrase"`), status: 202,
				check: func(t *testing.T, s *server, r *response) {
					fresh := s.anon().do("POST", "/api/v1/account/signup", obj(`"email":"brand.new@example.com"`, `"password":"a long and unusual passphrase"`))
					if fresh.Status != 202 || string(r.Body) != string(fresh.Body) {
						t.Errorf("taken address: %s; new address: %d %s; want the same answer", r.Body, fresh.Status, fresh.Body)
					}
					if n := s.sqlRows("SELECT count(*) FROM users WHERE lower(email) = $1", pro.user.Email); n[0][0] != "1" {
						t.Errorf("%s users with the address %s; want the one", n[0][0], pro.user.Email)
					}
					u, err := s.store.UserGetByEmail(ctx, pro.user.Email)
					if err != nil || u.ID != pro.user.ID || u.PasswordHash != pro.user.PasswordHash {
						t.Errorf("the existing account changed: %v", err)
					}
				}},
			{row: 45, name: "password 7 chars", path: "/api/v1/account/signup", as: "anon",
				body: obj(`"email":"seven@example.com"`, `"password":"abcdefg"`), status: 422, loc: "body.password", msg: "too short"},
			{row: 45, name: "password 1 MB", path: "/api/v1/account/signup", as: "anon",
				body: obj(`"email":"long@example.com"`, `"password":`+jstr(strings.Repeat("p", 1_000_000))), status: 422, loc: "body.password", msg: "max 1024"},
			{row: 45, name: "common password", path: "/api/v1/account/signup", as: "anon",
				body: obj(`"email":"common@example.com"`, `"password":"iloveyou"`), status: 422, loc: "body.password", msg: "too common"},
			{row: 46, name: "bearer 10 KB garbage", method: "GET", as: "anon", headers: []string{"Authorization", "Bearer " + strings.Repeat("garbage!", 1280)},
				status: 401, msg: "Invalid API key"},
			{row: 46, name: "pk_live_ wrong length", method: "GET", as: "anon", headers: []string{"Authorization", "Bearer pk_live_abc"},
				status: 401, msg: "Invalid API key"},
			{row: 47, name: "limit -1", method: "GET", path: "/api/v1/jobs?limit=-1", status: 422, loc: "query.limit", msg: ">= 1"},
			{row: 47, name: "limit 1000000 clamped", method: "GET", path: "/api/v1/jobs?limit=1000000", status: 200,
				check: func(t *testing.T, s *server, r *response) {
					var p struct {
						Jobs       []json.RawMessage
						NextCursor string `json:"next_cursor"`
					}
					r.json(t, &p)
					if len(p.Jobs) != 100 || p.NextCursor == "" {
						t.Errorf("limit=1000000 gave %d jobs (next_cursor %q); want 100 and a next page", len(p.Jobs), p.NextCursor)
					}
				}},
			{row: 47, name: "cursor %%%", method: "GET", path: "/api/v1/jobs?cursor=%%%", status: 400, loc: "query.cursor", msg: "percent-encod"},
			{row: 47, name: "cursor not ours", method: "GET", path: "/api/v1/jobs?cursor=bm90LWEtY3Vyc29y", status: 400, loc: "query.cursor", msg: "not a cursor this API returned"},
		}...)

		// Beyond the table: other routes to a 500 or a non-problem answer.
		loginBody := obj(`"email":`+jstr(pro.user.Email), `"password":`+jstr(pro.pw))
		cases = append(cases, []badCase{
			{name: "no url", body: obj(okCron), status: 422, loc: "body.url", msg: "is required: give the http or https URL"},
			{name: "empty body", body: "", status: 400, msg: "The request body is required"},
			{name: "top-level array", body: `[1]`, status: 422, loc: "body", msg: "must be an object"},
			{name: "trailing garbage", body: jobWith() + ` x`, status: 400, msg: "not valid JSON"},
			{name: "10 MiB body", body: withBody(10 << 20), status: 413, msg: "max 1 MiB"},
			{name: "header given twice in two cases", body: jobWith(`"headers":{"X-A":"1","x-a":"2"}`), status: 422, loc: "body.headers", msg: "are the same header"},
			{name: "header given twice", body: jobWith(`"headers":{"X-A":"1","X-A":"2"}`), status: 422, loc: "body.headers.X-A", msg: "duplicate key"},
			{name: "unknown endpoint", method: "GET", path: "/api/v1/nothing-here", status: 404, msg: "no such endpoint"},
			{name: "wrong method", method: "PUT", path: "/api/v1/jobs/" + own.ID, body: jobWith(), status: 405, msg: "use DELETE or GET or PATCH",
				check: func(t *testing.T, s *server, r *response) {
					if a := r.Header.Get("Allow"); a != "DELETE, GET, PATCH" {
						t.Errorf("Allow = %q", a)
					}
				}},
			{name: "search with NUL", method: "GET", path: "/api/v1/jobs?search=a%00b", status: 422, loc: "query.search", msg: "invalid character"},
			{name: "search with bad UTF-8", method: "GET", path: "/api/v1/jobs?search=%FF", status: 422, loc: "query.search", msg: "invalid character"},
			{name: "Idempotency-Key not UTF-8", path: "/api/v1/queue", body: obj(okURL), headers: []string{"Idempotency-Key", "k\xff"},
				status: 422, loc: "header.Idempotency-Key", msg: "printable characters"},
			{name: "login email with NUL", path: "/api/v1/account/login", as: "anon", body: obj(`"email":"a\u0000b@example.com"`, `"password":"whatever you like"`),
				status: 401, msg: "Incorrect email or password"},
			{name: "login with a User-Agent that is not UTF-8", path: "/api/v1/account/login", as: "anon", body: loginBody,
				headers: []string{"User-Agent", strings.Repeat("é", 99) + "\xff\xfe"}, status: 200},
		}...)

		rows := map[int]bool{}
		for _, tc := range cases {
			rows[tc.row] = true
		}
		for row := 1; row <= 47; row++ {
			if !rows[row] {
				t.Errorf("row %d of reliability.md §4.3 has no case", row)
			}
		}

		var timings []string
		for _, tc := range cases {
			name := fmt.Sprintf("%02d %s", tc.row, tc.name)
			if tc.row == 0 {
				name = "extra " + tc.name
			}
			if len(name) > 60 {
				name = name[:60]
			}
			t.Run(name, func(t *testing.T) {
				c := s.withKey(pro.key)
				org := pro.org.ID
				switch tc.as {
				case "free":
					c, org = s.withKey(free.key), free.org.ID
				case "anon":
					c = s.anon()
				case "session":
					c = s.login(pro)
				}
				method, path := tc.method, tc.path
				if method == "" {
					method = "POST"
				}
				if path == "" {
					path = "/api/v1/jobs"
				}
				var body any
				if tc.body != "" {
					body = tc.body
				}
				before, _ := s.store.JobCountByOrganization(ctx, org)
				users := s.countRows("users")
				var snapshot []byte
				if method == "PATCH" {
					snapshot = jobRow(t, s, own.ID)
				}
				start := time.Now()
				r := c.do(method, path, body, tc.headers...)
				elapsed := time.Since(start)
				if r.Status != tc.status {
					t.Fatalf("%s %s = %d %s; want %d", method, path, r.Status, truncate(r.Body), tc.status)
				}
				if tc.status >= 400 {
					checkProblem(t, r, tc.loc, tc.msg)
					if after, _ := s.store.JobCountByOrganization(ctx, org); after != before {
						t.Errorf("a refused request changed the job count from %d to %d", before, after)
					}
					if after := s.countRows("users"); after != users {
						t.Errorf("a refused request changed the user count from %d to %d", users, after)
					}
					if snapshot != nil {
						if after := jobRow(t, s, own.ID); string(after) != string(snapshot) {
							t.Errorf("a refused update changed the job:\n%s\n%s", snapshot, after)
						}
					}
				}
				switch tc.row {
				case 6, 46:
					timings = append(timings, fmt.Sprintf("#%d %s: %v", tc.row, tc.name, elapsed))
					// Refused before any costly work (expanding a range
					// of 10^8, hashing garbage); the bound catches such
					// work, which takes seconds, and leaves room for a
					// busy machine.
					if elapsed > time.Second {
						t.Errorf("answered in %v; hostile input must be refused fast", elapsed)
					}
				}
				if tc.check != nil {
					tc.check(t, s, r)
				}
			})
		}
		for _, m := range timings {
			t.Logf("timing %s", m)
		}

		t.Run("free tier: the 6th job", func(t *testing.T) {
			c := s.withKey(free.key)
			n, _ := s.store.JobCountByOrganization(ctx, free.org.ID)
			for i := n; i < 5; i++ {
				if r := c.do("POST", "/api/v1/jobs", jobWith(fmt.Sprintf(`"name":"job %d"`, i))); r.Status != 201 {
					t.Fatalf("job %d = %d %s", i+1, r.Status, r.Body)
				}
			}
			r := c.do("POST", "/api/v1/jobs", jobWith(`"name":"sixth"`))
			if r.Status != 422 {
				t.Fatalf("6th job on the free tier = %d %s; want 422", r.Status, r.Body)
			}
			checkProblem(t, r, "", "allows 5 jobs")
			if n, _ := s.store.JobCountByOrganization(ctx, free.org.ID); n != 5 {
				t.Errorf("free organization has %d jobs; want 5", n)
			}
		})

		t.Run("free tier: the 5 001st request of the month", func(t *testing.T) {
			month := prikke.Month(s.clock.Now())
			if _, err := s.store.UsageAdd(ctx, free.org.ID, month, 5000); err != nil {
				t.Fatal(err)
			}
			r := s.withKey(free.key).do("POST", "/api/v1/jobs/test", obj(okURL))
			if r.Status != 422 {
				t.Fatalf("test request over the quota = %d %s; want 422", r.Status, r.Body)
			}
			checkProblem(t, r, "", "used its 5000 requests")
			if n, _ := s.store.UsageGet(ctx, free.org.ID, month); n != 5000 {
				t.Errorf("usage = %d after a refused request; want 5000", n)
			}
			if n, _ := s.store.UsageGet(ctx, pro.org.ID, month); n != 0 {
				t.Errorf("another organization's usage = %d; want 0", n)
			}
		})
	})
}

// checkOsloDST checks row 22: 30 2 * * * in Europe/Oslo fires once on the
// spring-forward day and once on the fall-back day of 2026, in the
// preview computed with a pinned clock.
func checkOsloDST(t *testing.T, s *server, _ *response) {
	defer s.clock.reset()
	for _, day := range []struct {
		from time.Time
		date string
	}{
		{time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), "2026-03-29"},
		{time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC), "2026-10-25"},
	} {
		s.clock.set(day.from)
		q := url.Values{"cron_expression": {"30 2 * * *"}, "timezone": {"Europe/Oslo"}, "count": {"5"}}
		r := s.anon().do("GET", "/api/v1/schedule/preview?"+q.Encode(), nil)
		if r.Status != 200 {
			t.Fatalf("preview = %d %s", r.Status, r.Body)
		}
		var p struct {
			Next []struct {
				At    time.Time
				Local string
			}
		}
		r.json(t, &p)
		n := 0
		for _, f := range p.Next {
			if strings.HasPrefix(f.Local, day.date) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("fires %d times on %s; want exactly once: %s", n, day.date, r.Body)
		}
	}
}

// jobRow is a job's stored row as JSON, to compare before and after.
func jobRow(t *testing.T, s *server, id string) []byte {
	t.Helper()
	jid, err := prikke.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.store.JobGet(context.Background(), jid)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(j)
	return b
}

// checkProblem checks an error response: problem+json, nothing leaked,
// and the expected field location and message (or detail).
func checkProblem(t *testing.T, r *response, loc, msg string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, body %s", ct, truncate(r.Body))
	}
	if m := leaks.Find(r.Body); m != nil {
		t.Errorf("error body leaks %q: %s", m, truncate(r.Body))
	}
	var p problem
	r.json(t, &p)
	if p.Status != r.Status || p.Title == "" || p.Detail == "" {
		t.Errorf("problem = %+v; want status, title and detail", p)
	}
	if loc == "" {
		if !strings.Contains(p.Detail, msg) {
			t.Errorf("detail %q does not contain %q", p.Detail, msg)
		}
		return
	}
	for _, e := range p.Errors {
		if e.Location == loc {
			if !strings.Contains(e.Message, msg) {
				t.Errorf("%s: message %q does not contain %q", loc, e.Message, msg)
			}
			return
		}
	}
	t.Errorf("no error at %q: %s", loc, truncate(r.Body))
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}
