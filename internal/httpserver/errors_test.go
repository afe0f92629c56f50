package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestProblemOf: every domain error code has its one status, the user sees
// the error's message and fields, and an internal error's cause never
// reaches the answer.
func TestProblemOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code   string
		status int
	}{
		{prikke.ENOTFOUND, 404}, {prikke.EUNAUTHORIZED, 401}, {prikke.EFORBIDDEN, 403},
		{prikke.ECONFLICT, 409}, {prikke.EINVALID, 422}, {prikke.ELIMIT, 422},
		{prikke.ETOOLARGE, 413}, {prikke.ERATELIMIT, 429}, {prikke.EUNAVAILABLE, 503},
		{prikke.EINTERNAL, 500},
	} {
		err := fmt.Errorf("wrapped: %w", prikke.Errorf(tc.code, "the message"))
		p := ProblemOf(err, "req1")
		if p.Status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.code, p.Status, tc.status)
		}
		if tc.code == prikke.EINTERNAL {
			continue
		}
		if p.Detail != "the message" || p.Title == "" {
			t.Errorf("%s: title %q, detail %q", tc.code, p.Title, p.Detail)
		}
	}

	if p := ProblemOf(prikke.InvalidField("name", "is required"), ""); len(p.Fields) != 1 || p.Fields[0].Field != "name" {
		t.Errorf("fields: %+v", p.Fields)
	}
	if p := ProblemOf(prikke.Errorf(prikke.EUNAUTHORIZED, "x"), ""); p.Header.Get("WWW-Authenticate") != `Bearer realm="prikke"` {
		t.Errorf("401 headers: %v", p.Header)
	}
	if p := ProblemOf(&prikke.RateLimitError{RetryAfter: 90 * time.Second}, ""); p.Status != 429 || p.Header.Get("Retry-After") != "90" {
		t.Errorf("rate limit: %d %v", p.Status, p.Header)
	}
	if p := ProblemOf(prikke.Errorf(prikke.ERATELIMIT, "x"), ""); p.Header.Get("Retry-After") != "60" {
		t.Errorf("rate limit without a wait: %v", p.Header)
	}
	if p := ProblemOf(prikke.Errorf(prikke.EUNAVAILABLE, "x"), ""); p.Header.Get("Retry-After") != "5" {
		t.Errorf("503 headers: %v", p.Header)
	}
	if p := ProblemOf(fmt.Errorf("query: %w", context.Canceled), ""); p.Status != StatusClientClosedRequest {
		t.Errorf("cancelled: %d", p.Status)
	}

	p := ProblemOf(errors.New(`pq: relation "jobs" does not exist`), "req42")
	if p.Status != http.StatusInternalServerError || !p.Internal() || strings.Contains(p.Detail, "jobs") ||
		!strings.Contains(p.Detail, "req42") || p.Fields != nil || p.Header != nil {
		t.Errorf("internal error answered %+v", p)
	}
}
