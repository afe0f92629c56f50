package ping_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/ping"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// Nothing a client can put in a ping URL is a 5xx: bytes the database
// cannot hold (invalid UTF-8, NUL), encoded slashes, very long slugs and
// odd exit statuses are each a 404 or a 400.
func TestOddURLsAreNever5xx(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{})
		m := s.monitor("backup", nil)
		long := strings.Repeat("a", 5000)
		for path, want := range map[string]int{
			"/ping/" + s.key + "/%FF":                                   404,
			"/ping/" + s.key + "/%FF?create=1":                          404,
			"/ping/" + s.key + "/a%00b":                                 404,
			"/ping/" + s.key + "/a%00b?create=1":                        404,
			"/ping/%FF%FE/backup":                                       404,
			"/ping/%FF%FE/backup?create=1":                              404,
			"/ping/a%00b/backup":                                        404,
			"/ping/" + s.key + "/b%2Fc":                                 404,
			"/ping/" + s.key + "/" + long:                               404,
			"/ping/" + s.key + "/" + long + "?create=1":                 400,
			"/ping/" + long + "/backup":                                 404,
			"/ping/" + s.key + "/caf%C3%A9":                             404,
			"/ping/" + s.key + "/caf%C3%A9?create=1":                    400,
			"/ping/" + m.PingToken + "/007":                             200,
			"/ping/" + m.PingToken + "/-1":                              404,
			"/ping/" + m.PingToken + "/256":                             400,
			"/ping/" + m.PingToken + "/1e2":                             404,
			"/ping/" + m.PingToken + "/99999999999999999999":            400,
			"/ping/" + m.PingToken + "?rid=%FF":                         400,
			"/ping/" + m.PingToken + "?" + strings.Repeat("x=1&", 5000): 200,
		} {
			a := s.do("GET", path, "")
			if a.status != want {
				t.Errorf("GET %.80s: %d %q; want %d", path, a.status, a.body, want)
			}
		}
	})
}

// A body trickled slower than BodyTimeout allows is cut with a 400 and
// records nothing; it does not hold the connection (or a writer).
func TestSlowBodyIsCut(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{BodyTimeout: 200 * time.Millisecond})
		m := s.monitor("backup", nil)
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Headers promise 100 bytes; only 5 come, and then nothing.
		fmt.Fprintf(conn, "POST /ping/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhello", m.PingToken)
		conn.SetReadDeadline(time.Now().Add(time.Minute)) // a generous bound for a loaded machine
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a stalled body: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("stalled body: %d; want 400", resp.StatusCode)
		}
		if n := len(s.pings(m.ID)); n != 0 {
			t.Errorf("%d pings stored; want none", n)
		}
		// A prompt body on the same server is still fine.
		s.expect("prompt body", s.do("POST", "/ping/"+m.PingToken, "hello"), 200, "OK")
	})
}

// An address whose pings name no monitor is cut with 429 after
// MissBurst misses, before the database is asked; its pings to a
// monitor already found still pass.
func TestUnknownTokenFlood(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{MissBurst: 3, MissRate: 0.001})
		m := s.monitor("backup", nil)
		s.expect("known", s.do("GET", "/ping/"+m.PingToken, ""), 200, "OK")
		for i := range 3 {
			s.expect(fmt.Sprint("miss ", i), s.do("GET", "/ping/"+uuid.NewString(), ""), 404, "not found")
		}
		for _, path := range []string{"/ping/" + uuid.NewString(), "/ping/" + s.key + "/nope", "/ping/" + strings.ToUpper(uuid.NewString())} {
			a := s.do("GET", path, "")
			s.expect("flood "+path, a, 429, "too many pings to unknown monitors")
			if a.header.Get("Retry-After") == "" {
				t.Errorf("%s: no Retry-After", path)
			}
		}
		// Cached, in either case: still answered.
		s.expect("known after", s.do("GET", "/ping/"+strings.ToUpper(m.PingToken), ""), 200, "OK")
		if n := len(s.pings(m.ID)); n != 2 {
			t.Errorf("%d pings stored; want 2", n)
		}
	})
}
