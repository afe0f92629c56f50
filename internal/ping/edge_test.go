package ping_test

import (
	"strings"
	"testing"

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
