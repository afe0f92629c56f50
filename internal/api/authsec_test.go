package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/store"
)

// TestAuthSecurity checks reliability.md §4.4.3 as far as it concerns the
// API, on both stores: password storage, login rate limits, account
// enumeration, the session cookie and session lifetimes, API key storage
// and revocation, the audit log, and what a panic shows. CSRF is the HTTP
// server's business and is tested there.
//
// The subtests of one store run in order: several move the service's
// clock, which every request on that server reads.
func TestAuthSecurity(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		login := func(c *client, email, pw string) *response {
			return c.do("POST", "/api/v1/account/login", map[string]string{"email": email, "password": pw})
		}
		// withCookie is a client that sends one session token, without a jar.
		withCookie := func(tok string) *client {
			c := s.anon().from()
			return &client{s: s, ip: c.ip, hc: &http.Client{Transport: cookieTransport{"prikke_session=" + tok}}}
		}
		sessionCookie := func(r *response) *http.Cookie {
			t.Helper()
			for _, line := range r.Header.Values("Set-Cookie") {
				c, err := http.ParseSetCookie(line)
				if err != nil {
					t.Fatalf("Set-Cookie %q: %v", line, err)
				}
				if strings.HasSuffix(c.Name, "prikke_session") {
					return c
				}
			}
			t.Fatalf("no session cookie in %v", r.Header)
			return nil
		}
		signIn := func(tn *tenant) (*client, string) {
			t.Helper()
			c := s.anon().from()
			r := login(c, tn.user.Email, tn.pw)
			if r.Status != 200 {
				t.Fatalf("login = %d %s", r.Status, r.Body)
			}
			tok := sessionCookie(r).Value
			return withCookie(tok), tok
		}
		status := func(c *client, method, path string, body any) int {
			t.Helper()
			return c.do(method, path, body).Status
		}

		t.Run("password storage", func(t *testing.T) {
			tn := s.newTenant(prikke.TierFree)
			u, err := s.store.UserGet(ctx, tn.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(u.PasswordHash, tn.pw) {
				t.Errorf("stored hash %q", u.PasswordHash)
			}
		})

		t.Run("login rate limit", func(t *testing.T) {
			defer s.clock.reset()
			tn := s.newTenant(prikke.TierFree)
			// Per IP, on the default server: 20 attempts an hour, whichever
			// the accounts.
			direct := s.anon()
			for i := range 20 {
				if r := login(direct, fmt.Sprintf("nobody%d@example.com", i), "not the password"); r.Status != 401 {
					t.Fatalf("attempt %d = %d %s; want 401", i+1, r.Status, r.Body)
				}
			}
			r := login(direct, tn.user.Email, tn.pw)
			if r.Status != 429 {
				t.Fatalf("21st attempt from one IP = %d %s; want 429", r.Status, r.Body)
			}
			checkProblem(t, r, "", "Too many attempts")
			if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 3600 {
				t.Errorf("Retry-After = %q; want 1-3600 seconds", r.Header.Get("Retry-After"))
			}
			// The default server trusts no proxy: a forged X-Forwarded-For
			// does not make a new bucket.
			for _, ip := range []string{"203.0.113.9", "198.51.100.77", "2001:db8::1"} {
				if r := direct.do("POST", "/api/v1/account/login", map[string]string{"email": tn.user.Email, "password": tn.pw}, "X-Forwarded-For", ip); r.Status != 429 {
					t.Errorf("with X-Forwarded-For %s = %d; want 429 still", ip, r.Status)
				}
			}
			s.clock.advance(time.Hour + time.Second)
			if r := login(direct, tn.user.Email, tn.pw); r.Status != 200 {
				t.Errorf("the right password an hour later = %d %s; want 200 (a limit, not a lockout)", r.Status, r.Body)
			}

			// Per account, from rotating IPs (behind a trusted proxy): 20
			// attempts a day.
			tn2 := s.newTenant(prikke.TierFree)
			for i := range 20 {
				if r := login(s.anon().from(), tn2.user.Email, "not the password"); r.Status != 401 {
					t.Fatalf("attempt %d = %d %s; want 401", i+1, r.Status, r.Body)
				}
			}
			r = login(s.anon().from(), tn2.user.Email, tn2.pw)
			if r.Status != 429 {
				t.Fatalf("21st attempt on one account from a new IP = %d %s; want 429", r.Status, r.Body)
			}
			if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 86400 {
				t.Errorf("Retry-After = %q; want 1-86400 seconds", r.Header.Get("Retry-After"))
			}
			s.clock.advance(24*time.Hour + time.Second)
			if r := login(s.anon().from(), tn2.user.Email, tn2.pw); r.Status != 200 {
				t.Errorf("the right password a day later = %d %s; want 200", r.Status, r.Body)
			}
		})

		t.Run("enumeration", func(t *testing.T) {
			tn := s.newTenant(prikke.TierFree)
			const tries = 20
			var unknown, known []time.Duration
			var first [2]*response
			for i := range tries {
				for j, email := range []string{"no.such.user@example.com", tn.user.Email} {
					derived := s.hasher.Derived()
					start := time.Now()
					r := login(s.anon().from(), email, "not the password")
					d := time.Since(start)
					if r.Status != 401 {
						t.Fatalf("login %s = %d %s; want 401", email, r.Status, r.Body)
					}
					// The same work for both: one argon2id key each. Counted,
					// not timed, so a busy machine cannot fail it; the
					// medians below are logged as figures.
					if n := s.hasher.Derived() - derived; n != 1 {
						t.Fatalf("login %s derived %d password keys; want 1 whether or not the address exists", email, n)
					}
					if j == 0 {
						unknown = append(unknown, d)
					} else {
						known = append(known, d)
					}
					if i == 0 {
						first[j] = r
					}
				}
			}
			if !bytes.Equal(first[0].Body, first[1].Body) || !sameHeaders(first[0].Header, first[1].Header) {
				t.Errorf("unknown address: %v %s\nwrong password: %v %s\nwant the same answer", first[0].Header, first[0].Body, first[1].Header, first[1].Body)
			}
			mu, mk := median(unknown), median(known)
			t.Logf("login median over %d tries: unknown address %v, wrong password %v (difference %v)", tries, mu, mk, (mu - mk).Abs())
			// A password reset answers the same for any address.
			a := s.anon().from().do("POST", "/api/v1/account/password-reset", map[string]string{"email": "no.such.user@example.com"})
			b := s.anon().from().do("POST", "/api/v1/account/password-reset", map[string]string{"email": tn.user.Email})
			if a.Status != 202 || a.Status != b.Status || !bytes.Equal(a.Body, b.Body) {
				t.Errorf("password reset: unknown %d %s, known %d %s; want the same 202", a.Status, a.Body, b.Status, b.Body)
			}
		})

		t.Run("session cookie", func(t *testing.T) {
			defer s.clock.reset()
			tn := s.newTenant(prikke.TierFree)

			r := login(s.anon().from(), tn.user.Email, tn.pw)
			c := sessionCookie(r)
			if c.Name != "prikke_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure ||
				c.MaxAge != int(prikke.SessionAbsoluteTimeout/time.Second) || len(c.Value) < 43 {
				t.Errorf("cookie on http = %+v", c)
			}
			secure := auth.SessionCookie{Secure: true}
			w := httptest.NewRecorder()
			secure.Set(w, "token")
			sc := (&http.Response{Header: w.Header()}).Cookies()
			if len(sc) != 1 || sc[0].Name != "__Host-prikke_session" || !sc[0].Secure || !sc[0].HttpOnly || sc[0].SameSite != http.SameSiteLaxMode ||
				sc[0].Path != "/" || sc[0].Domain != "" {
				t.Errorf("auth.SessionCookie{Secure: true}.Set wrote %v", w.Header())
			}
			// The API's own login sets the same cookie when configured Secure.
			hs := httptest.NewServer(s.handler(secure, nil))
			defer hs.Close()
			req, _ := http.NewRequest("POST", hs.URL+"/api/v1/account/login", strings.NewReader(obj(`"email":`+jstr(tn.user.Email), `"password":`+jstr(tn.pw))))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if cs := resp.Cookies(); resp.StatusCode != 200 || len(cs) != 1 || cs[0].Name != "__Host-prikke_session" || !cs[0].Secure || !cs[0].HttpOnly ||
				cs[0].SameSite != http.SameSiteLaxMode || cs[0].Path != "/" || cs[0].Domain != "" {
				t.Errorf("login with a Secure cookie configuration = %d %v", resp.StatusCode, resp.Header.Values("Set-Cookie"))
			}

			// Fixation: a planted token is not adopted; every login makes a new one.
			planted := withCookie("planted-by-an-attacker-0123456789abcdefghijklmn")
			r = login(planted, tn.user.Email, tn.pw)
			if v := sessionCookie(r).Value; v == c.Value || strings.HasPrefix(v, "planted") {
				t.Errorf("login kept a token: %q", v)
			}
			if status(planted, "GET", "/api/v1/account", nil) != 401 {
				t.Error("the planted token works after login")
			}

			// Logout ends the session; the old cookie is worthless.
			sess := withCookie(c.Value)
			if st := status(sess, "GET", "/api/v1/account", nil); st != 200 {
				t.Fatalf("session = %d", st)
			}
			if r := sess.do("POST", "/api/v1/account/logout", nil); r.Status != 204 || sessionCookie(r).MaxAge >= 0 {
				t.Errorf("logout = %d %v; want 204 and the cookie cleared", r.Status, r.Header.Values("Set-Cookie"))
			}
			if r := sess.do("GET", "/api/v1/account", nil); r.Status != 401 {
				t.Errorf("old cookie after logout = %d; want 401", r.Status)
			} else {
				checkProblem(t, r, "", "Sign in again")
			}

			// Idle timeout: 7 days without a request.
			idle, _ := signIn(tn)
			for _, step := range []time.Duration{6 * 24 * time.Hour, 6 * 24 * time.Hour} {
				s.clock.advance(step)
				if st := status(idle, "GET", "/api/v1/account", nil); st != 200 {
					t.Fatalf("session in use after %v more = %d; want 200", step, st)
				}
			}
			s.clock.advance(prikke.SessionIdleTimeout + time.Minute)
			if st := status(idle, "GET", "/api/v1/account", nil); st != 401 {
				t.Errorf("session idle for 7 days = %d; want 401", st)
			}
			s.clock.reset()

			// Absolute timeout: 30 days, however busy.
			busy, _ := signIn(tn)
			for _, days := range []int{6, 6, 6, 6, 5} { // 29 days, never idle
				s.clock.advance(time.Duration(days) * 24 * time.Hour)
				if st := status(busy, "GET", "/api/v1/account", nil); st != 200 {
					t.Fatalf("busy session at %v = %d; want 200", s.clock.Now(), st)
				}
			}
			s.clock.advance(prikke.SessionAbsoluteTimeout - 29*24*time.Hour + time.Minute)
			if st := status(busy, "GET", "/api/v1/account", nil); st != 401 {
				t.Errorf("session 30 days old = %d; want 401", st)
			}
			s.clock.reset()

			// A password change ends the other sessions, not this one.
			a, _ := signIn(tn)
			b, _ := signIn(tn)
			newPW := "a different long passphrase"
			if r := a.do("POST", "/api/v1/account/password", map[string]string{"current_password": tn.pw, "password": newPW}); r.Status != 200 {
				t.Fatalf("password change = %d %s", r.Status, r.Body)
			}
			tn.pw = newPW
			if st := status(a, "GET", "/api/v1/account", nil); st != 200 {
				t.Errorf("the session that changed the password = %d; want 200", st)
			}
			if st := status(b, "GET", "/api/v1/account", nil); st != 401 {
				t.Errorf("another session after a password change = %d; want 401", st)
			}
			if u, _ := s.store.UserGet(ctx, tn.user.ID); !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Errorf("changed hash %q", u.PasswordHash)
			}

			// A password reset ends every session.
			c2, _ := signIn(tn)
			if r := s.anon().from().do("POST", "/api/v1/account/password-reset", map[string]string{"email": tn.user.Email}); r.Status != 202 {
				t.Fatalf("reset request = %d %s", r.Status, r.Body)
			}
			tok := tokenFrom(t, s.lastMail(tn.user.Email).Text)
			resetPW := "yet another long passphrase"
			if r := s.anon().from().do("POST", "/api/v1/account/password-reset/confirm", map[string]string{"token": tok, "password": resetPW}); r.Status != 200 {
				t.Fatalf("reset = %d %s", r.Status, r.Body)
			}
			tn.pw = resetPW
			for name, c := range map[string]*client{"the password-changing session": a, "a newer session": c2} {
				if st := status(c, "GET", "/api/v1/account", nil); st != 401 {
					t.Errorf("%s after a password reset = %d; want 401", name, st)
				}
			}

			// Deleting the account ends its sessions and its keys.
			gone := s.newTenant(prikke.TierFree)
			gs, _ := signIn(gone)
			gk := s.withKey(gone.key)
			if st := status(gk, "GET", "/api/v1/jobs", nil); st != 200 {
				t.Fatalf("key before delete = %d", st)
			}
			if r := gs.do("POST", "/api/v1/account/delete", map[string]string{"current_password": gone.pw}); r.Status != 204 {
				t.Fatalf("delete account = %d %s", r.Status, r.Body)
			}
			if st := status(gs, "GET", "/api/v1/account", nil); st != 401 {
				t.Errorf("session of a deleted account = %d; want 401", st)
			}
			if st := status(gk, "GET", "/api/v1/jobs", nil); st != 401 {
				t.Errorf("API key of a deleted account = %d; want 401", st)
			}
		})

		t.Run("API keys", func(t *testing.T) {
			defer s.clock.reset()
			tn := s.newTenant(prikke.TierFree)
			sess, _ := signIn(tn)
			org := tn.org.ID.String()
			r := sess.do("POST", "/api/v1/organizations/"+org+"/api-keys", map[string]string{"name": "grep me"})
			if r.Status != 201 {
				t.Fatalf("create key = %d %s", r.Status, r.Body)
			}
			var k struct {
				ID, Key string
				KeyID   string `json:"key_id"`
			}
			r.json(t, &k)
			secret := k.Key[strings.LastIndexByte(k.Key, '_')+1:]
			if len(secret) != 32 || !strings.HasPrefix(k.Key, k.KeyID+"_") {
				t.Fatalf("key %q", k.Key)
			}
			c := s.withKey(k.Key)
			if st := status(c, "GET", "/api/v1/jobs", nil); st != 200 {
				t.Fatalf("new key = %d", st)
			}
			if st := status(s.withKey(tn.key), "GET", "/api/v1/jobs", nil); st != 200 {
				t.Fatalf("tenant key = %d", st)
			}

			// Neither the key nor its secret is stored anywhere.
			for _, table := range s.tables() {
				dump := strings.Join(slices.Concat(s.sqlRows("SELECT * FROM "+table)...), "\x00")
				for _, sec := range []string{k.Key, secret, tn.key, tn.key[strings.LastIndexByte(tn.key, '_')+1:]} {
					if strings.Contains(dump, sec) {
						t.Errorf("table %s holds an API key secret", table)
					}
				}
			}
			row := s.sqlRows("SELECT * FROM api_keys WHERE key_id = $1", k.KeyID)
			if len(row) != 1 {
				t.Fatalf("api_keys rows for %s: %d", k.KeyID, len(row))
			}
			for i, col := range row[0] {
				if strings.Contains(col, secret) {
					t.Errorf("api_keys column %d holds the secret", i)
				}
			}
			if s.dbPath != "" {
				for _, f := range []string{s.dbPath, s.dbPath + "-wal", s.dbPath + "-shm"} {
					b, err := os.ReadFile(f)
					if err != nil {
						continue
					}
					if n := bytes.Count(b, []byte(secret)); n > 0 {
						t.Errorf("%s holds the key's secret %d times", f, n)
					}
				}
			}

			// Wrong secret and unknown prefix: the same 401.
			wrongSecret := s.withKey(k.KeyID+"_"+strings.Repeat("A", 32)).do("GET", "/api/v1/jobs", nil)
			wrongPrefix := s.withKey("pk_live_"+strings.Repeat("Z", 12)+"_"+secret).do("GET", "/api/v1/jobs", nil)
			if wrongSecret.Status != 401 || !bytes.Equal(wrongSecret.Body, wrongPrefix.Body) || !sameHeaders(wrongSecret.Header, wrongPrefix.Header) {
				t.Errorf("wrong secret: %d %v %s\nwrong prefix: %d %v %s\nwant the same 401", wrongSecret.Status, wrongSecret.Header, wrongSecret.Body,
					wrongPrefix.Status, wrongPrefix.Header, wrongPrefix.Body)
			}

			// last_used_at is set, and written again only after a minute.
			stored := func() *prikke.APIKey {
				id, _ := prikke.ParseID(k.ID)
				kr, err := s.store.APIKeyGet(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return kr
			}
			first := stored().LastUsedAt
			if first == nil {
				t.Fatal("last_used_at not set after use")
			}
			s.clock.advance(30 * time.Second)
			status(c, "GET", "/api/v1/jobs", nil)
			if again := stored().LastUsedAt; again == nil || !again.Equal(*first) {
				t.Errorf("last_used_at rewritten within a minute: %v then %v", first, again)
			}
			s.clock.advance(31 * time.Second)
			status(c, "GET", "/api/v1/jobs", nil)
			if later := stored().LastUsedAt; later == nil || !later.After(*first) {
				t.Errorf("last_used_at not updated after a minute: %v then %v", first, later)
			}

			// A revoked key fails on the very next request.
			if st := status(sess, "DELETE", "/api/v1/api-keys/"+k.ID, nil); st != 204 {
				t.Fatalf("revoke = %d", st)
			}
			if r := c.do("GET", "/api/v1/jobs", nil); r.Status != 401 || !bytes.Equal(r.Body, wrongSecret.Body) {
				t.Errorf("revoked key = %d %s; want the same 401", r.Status, r.Body)
			}
		})

		t.Run("audit", func(t *testing.T) {
			tn := s.newTenant(prikke.TierPro)
			owner := s.withKey(tn.key)
			org := tn.org.ID.String()
			type entry struct {
				ID, Action, Actor, IP string
				TargetID              string `json:"target_id"`
				Detail                string
				RequestID             string `json:"request_id"`
			}
			list := func() []entry {
				t.Helper()
				r := owner.do("GET", "/api/v1/organizations/"+org+"/audit-log?limit=100", nil)
				if r.Status != 200 {
					t.Fatalf("audit log = %d %s", r.Status, r.Body)
				}
				var p struct{ Entries []entry }
				r.json(t, &p)
				return p.Entries
			}
			seen := map[string]bool{}
			for _, e := range list() {
				seen[e.ID] = true
			}
			var secrets []string
			step := func(action string, fn func()) {
				t.Helper()
				fn()
				var added []entry
				for _, e := range list() {
					if !seen[e.ID] {
						added = append(added, e)
						seen[e.ID] = true
					}
				}
				if len(added) != 1 || added[0].Action != action {
					t.Errorf("%s wrote %d audit rows %+v; want exactly one", action, len(added), added)
					return
				}
				if e := added[0]; e.IP == "" || e.RequestID == "" || e.Actor == "" {
					t.Errorf("%s: audit row %+v lacks the actor, IP or request id", action, e)
				}
			}
			var sess *client
			step("login", func() { sess, _ = signIn(tn) })
			step("login.failed", func() {
				if st := status(s.anon().from(), "POST", "/api/v1/account/login", map[string]string{"email": tn.user.Email, "password": "guessed password"}); st != 401 {
					t.Errorf("wrong password = %d", st)
				}
			})
			var keyID string
			step("api_key.create", func() {
				r := sess.do("POST", "/api/v1/organizations/"+org+"/api-keys", map[string]string{"name": "audited"})
				var k struct{ ID, Key string }
				r.json(t, &k)
				keyID, secrets = k.ID, append(secrets, k.Key, k.Key[strings.LastIndexByte(k.Key, '_')+1:])
			})
			step("api_key.revoke", func() { status(sess, "DELETE", "/api/v1/api-keys/"+keyID, nil) })
			var jobID string
			step("job.create", func() {
				r := sess.do("POST", "/api/v1/jobs", jobWith(`"name":"audited"`))
				var j struct{ ID string }
				r.json(t, &j)
				jobID = j.ID
			})
			step("job.update", func() { status(sess, "PATCH", "/api/v1/jobs/"+jobID, `{"name":"audited again"}`) })
			step("job.delete", func() { status(sess, "DELETE", "/api/v1/jobs/"+jobID, nil) })
			step("project.secret_reveal", func() {
				r := sess.do("GET", "/api/v1/projects/"+tn.project.ID.String()+"/signing-secret", nil)
				var sec struct{ Secret string }
				r.json(t, &sec)
				if !strings.HasPrefix(sec.Secret, "whsec_") {
					t.Errorf("signing secret %q", sec.Secret)
				}
				secrets = append(secrets, sec.Secret, strings.TrimPrefix(sec.Secret, "whsec_"))
			})
			newPW := "the audited new passphrase"
			step("password.change", func() {
				if st := status(sess, "POST", "/api/v1/account/password", map[string]string{"current_password": tn.pw, "password": newPW}); st != 200 {
					t.Errorf("password change = %d", st)
				}
			})
			step("logout", func() { status(sess, "POST", "/api/v1/account/logout", nil) })

			// A name that would forge a log line is refused, and logged nowhere raw.
			forged := "nightly\n[FAKE] admin login"
			if r := sess.do("POST", "/api/v1/jobs", jobWith(`"name":`+jstr(forged))); r.Status != 401 {
				t.Errorf("after logout = %d", r.Status)
			}
			if r := owner.do("POST", "/api/v1/jobs", jobWith(`"name":`+jstr(forged))); r.Status != 422 {
				t.Errorf("job named %q = %d %s; want 422", forged, r.Status, r.Body)
			} else {
				checkProblem(t, r, "body.name", "control characters are not allowed")
			}
			status(s.anon().from(), "POST", "/api/v1/account/login", map[string]string{"email": "x\n[FAKE] admin login@example.com", "password": "whatever it is"})

			secrets = append(secrets, tn.pw, newPW, tn.key, tn.key[strings.LastIndexByte(tn.key, '_')+1:], "guessed password")
			es, err := s.store.AuditList(ctx, store.AuditFilter{OrganizationID: tn.org.ID, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := json.Marshal(es)
			apiRows := owner.do("GET", "/api/v1/organizations/"+org+"/audit-log?limit=100", nil).Body
			logs := s.logs.String()
			if !strings.Contains(logs, "request_id=") {
				t.Fatalf("the server log is empty: %q", logs)
			}
			for _, sec := range secrets {
				for name, text := range map[string]string{"audit rows": string(rows), "audit API": string(apiRows), "server log": logs} {
					if strings.Contains(text, sec) {
						t.Errorf("%s contain the secret %.12q…", name, sec)
					}
				}
			}
			for line := range strings.Lines(logs) {
				if strings.HasPrefix(line, "[FAKE]") {
					t.Errorf("forged log line: %q", line)
				}
			}
			if r := sess.do("GET", "/api/v1/organizations/"+org+"/audit-log", nil); r.Status != 401 {
				t.Errorf("audit log with a logged-out session = %d", r.Status)
			}
			tn.pw = newPW
			again, _ := signIn(tn)
			if r := again.do("GET", "/api/v1/organizations/"+org+"/audit-log?limit=100", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"action":"logout"`) {
				t.Errorf("the owner's own session reads the audit log: %d %s", r.Status, truncate(r.Body))
			}
		})

		t.Run("panic", func(t *testing.T) {
			h := httpserver.New(httpserver.Deps{Store: s.store, Logger: s.logger, Mount: func(mux *http.ServeMux) {
				api.New(mux, api.Deps{Service: s.svc, Logger: s.logger, Cookie: auth.SessionCookie{}, ClientIP: httpserver.ClientIP(nil)})
				mux.HandleFunc("GET /api/v1/boom", func(http.ResponseWriter, *http.Request) {
					panic("boom: internal-detail-" + s.dialect)
				})
			}})
			hs := httptest.NewServer(h)
			defer hs.Close()
			resp, err := http.Get(hs.URL + "/api/v1/boom")
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			resp.Body.Close()
			r := &response{Status: resp.StatusCode, Header: resp.Header, Body: buf.Bytes()}
			if r.Status != 500 {
				t.Fatalf("panic = %d %s", r.Status, r.Body)
			}
			id := r.Header.Get("X-Request-Id")
			checkProblem(t, r, "", "Something went wrong on our side")
			var p struct {
				Detail    string
				RequestID string `json:"request_id"`
			}
			r.json(t, &p)
			if id == "" || p.RequestID != id || !strings.Contains(p.Detail, id) || strings.Contains(string(r.Body), "internal-detail") {
				t.Errorf("panic body %s (request id %q)", r.Body, id)
			}
			logs := s.logs.String()
			if !strings.Contains(logs, "internal-detail-"+s.dialect) || !strings.Contains(logs, "goroutine") || !strings.Contains(logs, id) {
				t.Errorf("the log lacks the panic, its stack or its request id")
			}
		})
	})
}

// cookieTransport sends a fixed Cookie header.
type cookieTransport struct{ cookie string }

func (c cookieTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Cookie", c.cookie)
	return http.DefaultTransport.RoundTrip(r)
}

// sameHeaders compares two responses' headers, but for those that differ
// per response.
func sameHeaders(a, b http.Header) bool {
	strip := func(h http.Header) http.Header {
		h = h.Clone()
		h.Del("Date")
		h.Del("X-Request-Id")
		return h
	}
	x, _ := json.Marshal(strip(a))
	y, _ := json.Marshal(strip(b))
	return bytes.Equal(x, y)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// tables lists the database's tables.
func (s *server) tables() []string {
	q := "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	if s.dialect == "sqlite" {
		q = "SELECT name FROM sqlite_master WHERE type = 'table'"
	}
	var out []string
	for _, r := range s.sqlRows(q) {
		out = append(out, r[0])
	}
	if len(out) < 5 {
		s.t.Fatalf("tables: %v", out)
	}
	return out
}
