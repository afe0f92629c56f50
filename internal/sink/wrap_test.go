package sink_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/sink"
)

// Options.Wrap sees every request first: what it answers itself is not
// recorded, what it passes on is. Each walks the records in order and
// stops when told.
func TestWrapAndEach(t *testing.T) {
	t.Parallel()
	s := start(t, sink.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/_own/") {
				io.WriteString(w, "mine")
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	for _, p := range []string{"/ok?n=1", "/_own/x", "/ok?n=2", "/ok?n=3"} {
		resp, err := noRedirect().Get(s.URL(p))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "ok"
		if strings.HasPrefix(p, "/_own/") {
			want = "mine"
		}
		if string(b) != want {
			t.Errorf("GET %s answered %q, want %q", p, b, want)
		}
	}
	if s.Count() != 3 {
		t.Fatalf("%d requests recorded, want 3 (the wrapper's own not among them)", s.Count())
	}
	var seen []string
	s.Each(func(r *sink.Received) bool {
		seen = append(seen, r.Query)
		return len(seen) < 2
	})
	if strings.Join(seen, ",") != "n=1,n=2" {
		t.Errorf("Each saw %v, want n=1,n=2 then stopped", seen)
	}
}
