// Package workflow is the brain of workflows, free of I/O: it validates a
// definition against a tier, evaluates `when` conditions and `expect`
// checks, decides a step's retries, and plans every run transition
// (Advance, Cancel, RetryFrom) as rows for a store to write in one
// transaction. The store locks the run's row, loads the run and all its
// step rows, calls a planner, and writes the Plan.
//
// STUB: signatures and documented semantics are the contract; the engine
// helper implements them.
package workflow

import (
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/template"
)

// Validate checks a definition at save time against a tier's limits. Its
// error is a prikke EINVALID whose fields are "steps[i].field" (e.g.
// "steps[2].needs[0]", "steps[0].url", "steps"), each message naming the
// step by key and saying what to fix. It refuses: no steps; more steps
// than the tier allows; for_each on a tier without it; empty, duplicate or
// malformed keys ([a-z0-9_-], at most MaxStepKeyLength); needs naming
// unknown keys or the step itself; cycles (naming the steps in it); a
// template, `when` or for_each that does not parse, or that references a
// step not upstream of this one (steps.X where X is not reachable through
// needs), or a root other than payload, run, steps, item, index (only in a
// for_each step), secrets; a request that is not a valid job request
// (method, URL scheme and host when the host has no template, headers,
// body size, timeout); a bad retry, expect, delay (exactly one of
// duration/until; duration 1s..MaxStepDelay) or max_concurrency.
func Validate(def *prikke.WorkflowDefinition, tier prikke.Tier) error { return errors.New("STUB") }

// Needs returns each step's effective needs (nil Needs: the previous
// step; empty: none), by key.
func Needs(def *prikke.WorkflowDefinition) map[string][]string { panic("STUB") }

// Downstream returns key and every step that needs it, directly or not.
func Downstream(def *prikke.WorkflowDefinition, key string) []string { panic("STUB") }

// Cond is a parsed `when` condition: comparisons (== != < <= > >=) of
// paths and literals (numbers, "strings", true, false, null), combined with
// && || ! and parentheses; a bare path is true when present and not
// false, null, 0 or "". A path whose value is missing is null (so
// `steps.a.json.ok == true` is false when a has no ok).
type Cond struct{}

// ParseCond parses a condition.
func ParseCond(s string) (*Cond, error) { return nil, errors.New("STUB") }

// Paths returns the paths the condition references.
func (c *Cond) Paths() []template.Path { panic("STUB") }

// Eval evaluates the condition in a scope.
func (c *Cond) Eval(sc template.Scope) bool { panic("STUB") }

// Check judges a response against a step's expect (nil: any 2xx). It
// returns "" when it passes, or why not: `expect: status 404 is not in
// [200, 201]`, `expect: json_path data.state is "pending", not "done"`,
// `expect: the response is not JSON`.
func Check(e *prikke.Expect, status int, body []byte) string { panic("STUB") }

// Failure is what went wrong with one attempt, for the retry policy.
type Failure struct {
	StatusCode int  // 0 when no response arrived
	Timeout    bool // the attempt timed out
	Expect     bool // a response arrived but failed expect
}

// RetryAfter decides a step's retry after attempt (1 for the first)
// failed: whether to retry, and after how long. r nil means no retries.
// retryAfter is the receiver's Retry-After (honoured when longer, capped
// at prikke.RetryAfterMax).
func RetryAfter(r *prikke.StepRetry, attempt int, f Failure, retryAfter time.Duration) (bool, time.Duration) {
	panic("STUB")
}

// ResultOf turns a delivery result into a step's attempt status and
// error: a 2xx that fails expect is failed with Check's reason.
func ResultOf(step *prikke.JobStep, res *delivery.Result) (prikke.ExecutionStatus, string) {
	panic("STUB")
}
