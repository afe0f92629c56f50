package httpserver

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prikke/prikke"
)

// StatusClientClosedRequest answers a request whose client went away
// before the answer was ready (nginx's 499); nobody reads it.
const StatusClientClosedRequest = 499

// statuses is the one mapping of domain error codes to HTTP statuses, for
// the API and the dashboard alike. EINTERNAL, and any error that is not a
// *prikke.Error, is 500.
var statuses = map[string]int{
	prikke.ENOTFOUND:     http.StatusNotFound,
	prikke.EUNAUTHORIZED: http.StatusUnauthorized,
	prikke.EFORBIDDEN:    http.StatusForbidden,
	prikke.ECONFLICT:     http.StatusConflict,
	prikke.EINVALID:      http.StatusUnprocessableEntity,
	prikke.ELIMIT:        http.StatusUnprocessableEntity,
	prikke.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	prikke.ERATELIMIT:    http.StatusTooManyRequests,
	prikke.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// titles are the headings a page shows above an error's message, "That
// did not work" when the status has none here (the API's problem+json
// title is the status text, in huma's shape).
var titles = map[int]string{
	http.StatusForbidden:          "Your role does not allow this",
	http.StatusTooManyRequests:    "Too many attempts",
	http.StatusServiceUnavailable: "Prikke cannot reach its database right now",
}

// Problem is how an error is answered over HTTP, by the API as
// problem+json and by the dashboard as a page.
type Problem struct {
	Status int
	// Title is a heading for people, for pages.
	Title string
	// Detail is what the user is told: the error's own message, or for an
	// internal error a plea to quote the request id, never the cause.
	Detail string
	// Fields name the inputs at fault (validation and size errors).
	Fields []prikke.FieldError
	// Header holds the headers the status calls for: WWW-Authenticate on
	// 401, Retry-After on 429 and 503.
	Header http.Header
}

// Internal reports whether the problem is a fault on our side, whose cause
// belongs in the logs (with the request id) and nowhere else.
func (p Problem) Internal() bool { return p.Status == http.StatusInternalServerError }

// ProblemOf maps err to its one HTTP answer: a *prikke.Error by its code
// with its message, a cancelled request to 499, anything else to 500 with
// a message quoting requestID and nothing of the cause.
func ProblemOf(err error, requestID string) Problem {
	status, ok := statuses[prikke.ErrorCode(err)]
	if !ok {
		if errors.Is(err, context.Canceled) {
			return Problem{Status: StatusClientClosedRequest, Detail: "Request cancelled."}
		}
		return Problem{Status: http.StatusInternalServerError, Detail: internalErrorDetail(requestID)}
	}
	title := titles[status]
	if title == "" {
		title = "That did not work"
	}
	p := Problem{Status: status, Title: title, Detail: prikke.ErrorMessage(err), Fields: prikke.ErrorFields(err)}
	switch status {
	case http.StatusUnauthorized:
		p.Header = http.Header{"Www-Authenticate": {`Bearer realm="prikke"`}}
	case http.StatusTooManyRequests:
		wait := time.Minute
		var rl *prikke.RateLimitError
		if errors.As(err, &rl) {
			wait = rl.RetryAfter
		}
		p.Header = http.Header{"Retry-After": {strconv.Itoa(int(wait.Seconds() + 0.99))}}
	case http.StatusServiceUnavailable:
		p.Header = http.Header{"Retry-After": {"5"}}
	}
	return p
}

// internalErrorDetail is what a user is told of a fault on our side.
func internalErrorDetail(requestID string) string {
	return "Something went wrong on our side. Quote request id " + requestID + " if you contact support."
}
