package workflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/template"
)

// Check judges a response against a step's expect (nil: any 2xx). It
// returns "" when it passes, or why not: `expect: status 404 is not in
// [200, 201]`, `expect: json_path data.state is "pending", not "done"`,
// `expect: the response is not JSON`.
func Check(e *prikke.Expect, status int, body []byte) string {
	if e == nil || len(e.Status) == 0 {
		if status < 200 || status > 299 {
			return fmt.Sprintf("expect: status %d is not 2xx", status)
		}
	} else if !statusIn(e.Status, status) {
		return fmt.Sprintf("expect: status %d is not in [%s]", status, strings.Join(e.Status, ", "))
	}
	if e == nil || e.JSONPath == "" {
		return ""
	}
	p, err := template.ParsePath(e.JSONPath)
	if err != nil {
		return "expect: json_path " + err.Error()
	}
	doc, ok := decodeJSON(body)
	if !ok {
		return "expect: the response is not JSON"
	}
	got, ok := template.Walk(doc, p)
	if !ok {
		return fmt.Sprintf("expect: json_path %s is missing from the response", p)
	}
	if len(e.Equals) == 0 {
		return ""
	}
	want, ok := decodeJSON(e.Equals)
	if !ok {
		return "expect: equals is not JSON"
	}
	if !equal(got, want) {
		return fmt.Sprintf("expect: json_path %s is %s, not %s", p, clip(template.JSON(got), 200), clip(template.JSON(want), 200))
	}
	return ""
}

// statusIn reports whether code is one of codes ("200") or classes ("2xx").
func statusIn(codes []string, code int) bool {
	for _, c := range codes {
		if classOf(c, code) {
			return true
		}
	}
	return false
}

// classOf reports whether code matches c: a code ("404") or a class
// ("4xx", any case).
func classOf(c string, code int) bool {
	c = strings.ToLower(strings.TrimSpace(c))
	if len(c) == 3 && strings.HasSuffix(c, "xx") && c[0] >= '1' && c[0] <= '5' {
		return code/100 == int(c[0]-'0')
	}
	n, err := strconv.Atoi(c)
	return err == nil && n == code
}

// validStatus reports whether c is a code 100..599 or a class 1xx..5xx.
func validStatus(c string) bool {
	l := strings.ToLower(c)
	if len(l) == 3 && strings.HasSuffix(l, "xx") && l[0] >= '1' && l[0] <= '5' {
		return true
	}
	n, err := strconv.Atoi(c)
	return err == nil && n >= 100 && n <= 599 && strconv.Itoa(n) == c
}

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
// error: a 2xx that fails expect is failed with Check's reason.
func ResultOf(step *prikke.JobStep, res *delivery.Result) (prikke.ExecutionStatus, string) {
	if res.Status == prikke.ExecutionStatusTimeout || res.StatusCode == 0 {
		return res.Status, res.Error
	}
	var e *prikke.Expect
	if step != nil {
		e = step.Expect
	}
	code := res.StatusCode
	if res.Status != prikke.ExecutionStatusSuccess && code >= 200 && code < 300 {
		return res.Status, res.Error // a 2xx whose body could not be read
	}
	why := Check(e, code, res.Body)
	if why == "" {
		return prikke.ExecutionStatusSuccess, ""
	}
	if res.Status != prikke.ExecutionStatusSuccess && (e == nil || len(e.Status) == 0) {
		return res.Status, res.Error // "HTTP 500" as for any job
	}
	return prikke.ExecutionStatusFailed, why
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
