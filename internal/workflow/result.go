package workflow

import (
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/expect"
)

// Check judges a response against a step's expect (nil: any 2xx); see
// expect.Check, the one checker jobs and steps share.
func Check(e *prikke.Expect, status int, body []byte) string {
	return expect.Check(e, status, body, false, 0)
}

// classOf reports whether code matches c: a code ("404"), a class ("4xx",
// any case) or a range ("500-504").
func classOf(c string, code int) bool { return expect.StatusIn([]string{c}, code) }

// Failure is what went wrong with one attempt, for the retry policy.
type Failure struct {
	StatusCode int  // 0 when no response arrived
	Timeout    bool // the attempt timed out
	Expect     bool // a response arrived but failed expect
}

// Retry policy words.
const (
	BackoffExponential = "exponential"
	BackoffFixed       = "fixed"
	DefaultRetryDelay  = 10 * time.Second
)

// RetryAfter decides a step's retry after attempt (1 for the first)
// failed: whether to retry, and after how long. r nil means no retries.
// retryAfter is the receiver's Retry-After (honoured when longer, capped
// at prikke.RetryAfterMax).
func RetryAfter(r *prikke.StepRetry, attempt int, f Failure, retryAfter time.Duration) (bool, time.Duration) {
	if r == nil || attempt > r.Attempts || !retries(r.On, f) {
		return false, 0
	}
	d := DefaultRetryDelay
	if r.Delay != "" {
		if x, err := time.ParseDuration(r.Delay); err == nil && x > 0 {
			d = x
		}
	}
	if r.Backoff != BackoffFixed {
		for i := 1; i < attempt && d < prikke.RetryMaxDelay; i++ {
			d *= 2
		}
	}
	d = min(d, prikke.RetryMaxDelay)
	if retryAfter > d {
		d = min(retryAfter, prikke.RetryAfterMax)
	}
	return true, d
}

// retries reports whether the failure is one the policy's On retries.
func retries(on []string, f Failure) bool {
	if len(on) == 0 {
		return true
	}
	for _, o := range on {
		switch strings.ToLower(strings.TrimSpace(o)) {
		case "timeout":
			if f.Timeout {
				return true
			}
		case "network":
			if f.StatusCode == 0 && !f.Timeout {
				return true
			}
		default:
			if f.StatusCode != 0 && classOf(o, f.StatusCode) {
				return true
			}
		}
	}
	return false
}

// ResultOf turns a delivery result into a step's attempt status and
// error (expect.Judge): a response that fails expect is failed with
// Check's reason.
func ResultOf(step *prikke.JobStep, res *delivery.Result) (prikke.ExecutionStatus, string) {
	var e *prikke.Expect
	if step != nil {
		e = step.Expect
	}
	return expect.Judge(e, expect.Response{Status: res.Status, Error: res.Error, StatusCode: res.StatusCode,
		Body: res.Body, Truncated: res.Truncated, Duration: res.Duration})
}

// FailureOf is the retry policy's view of a result ResultOf judged failed.
func FailureOf(res *delivery.Result) Failure {
	return Failure{StatusCode: res.StatusCode, Timeout: res.Status == prikke.ExecutionStatusTimeout,
		Expect: res.StatusCode != 0 && res.Status == prikke.ExecutionStatusSuccess}
}

// Finish writes an attempt's final result into its step row: succeeded or
// failed (Reason the attempt's error), the attempt count, the response
// (the body cut at prikke.MaxStepOutputBytes) and the timing. A store
// calls it before Advance on a final completion.
func Finish(row *prikke.RunStep, e *prikke.Execution, now time.Time) {
	row.Status = prikke.StepStatusFailed
	if e.Status == prikke.ExecutionStatusSuccess {
		row.Status = prikke.StepStatusSucceeded
	}
	row.Reason = e.Error
	if row.Status == prikke.StepStatusSucceeded {
		row.Reason = ""
	}
	row.Attempts = e.Attempt
	row.ResponseStatus = e.ResponseStatus
	row.ResponseHeaders = e.ResponseHeaders
	row.ResponseBody = e.ResponseBody
	row.ResponseTruncated = e.ResponseTruncated
	if len(row.ResponseBody) > prikke.MaxStepOutputBytes {
		row.ResponseBody, row.ResponseTruncated = row.ResponseBody[:prikke.MaxStepOutputBytes], true
	}
	end := now
	if e.FinishedAt != nil {
		end = *e.FinishedAt
	}
	row.FinishedAt = &end
	if row.StartedAt == nil {
		row.StartedAt = e.StartedAt
	}
	row.DurationMS = e.DurationMS
}
