package httpserver

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Metrics returns the root handler of the metrics listener
// (PRIKKE_METRICS_ADDR): GET /metrics and nothing else. The public
// listener does not serve it, so queue depths and delivery counts are not
// published to the internet. With a token, a scrape must send
// "Authorization: Bearer TOKEN".
func Metrics(h http.Handler, token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="prikke metrics"`)
				writeProblem(w, http.StatusUnauthorized, "Send the metrics token (PRIKKE_METRICS_TOKEN) as Authorization: Bearer TOKEN.")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "This address serves only GET /metrics.")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}
