package httpserver

import (
	"encoding/json"
	"net/http"
)

// problem is an RFC 9457 problem details body as this package writes it,
// for the errors answered outside the API (which writes huma's shape):
// a refused method, a cross-site request, a panic, the metrics listener
// and the requests net/http refuses before any handler runs.
type problem struct {
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id,omitempty"`
}

// problemBody returns the problem+json body of status with detail, and
// the request's id when there is one.
func problemBody(status int, detail, requestID string) []byte {
	b, _ := json.Marshal(problem{Title: http.StatusText(status), Status: status, Detail: detail, RequestID: requestID})
	return b
}

// writeProblem writes an RFC 9457 problem+json reply.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	writeProblemBody(w, status, problemBody(status, detail, ""))
}

func writeProblemBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	w.Write(body)
}
