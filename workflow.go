package prikke

import (
	"encoding/json"
	"strconv"
	"time"
)

// A Workflow is a project's versioned list of steps, each an HTTP call (or
// a delay) that runs after the steps it needs and can use their responses.
// Every edit makes a new version; a run keeps the version it started with.
type Workflow struct {
	ID             ID
	ProjectID      ID
	OrganizationID ID
	Name           string
	Version        int // the current version, from 1
	Definition     WorkflowDefinition
	// Health flips like a job's: a failed run makes a healthy workflow
	// failing (one flip, one alert); a succeeded run makes it healthy.
	Health              JobHealth
	ConsecutiveFailures int
	LastRunAt           *time.Time // the last run to finish
	LastRunStatus       RunStatus
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// WorkflowDefinition is what a user writes: the steps, in order.
type WorkflowDefinition struct {
	Steps []Step `json:"steps"`
}

// StepKind is what a step does.
type StepKind string

// Step kinds. A step is a delay when it has Delay; otherwise it makes an
// HTTP request, once, or once per item when it has ForEach.
const (
	StepKindHTTP    StepKind = "http"
	StepKindDelay   StepKind = "delay"
	StepKindForEach StepKind = "for_each"
)

// OnFailure says what a step's failure (after its retries) does to the run.
type OnFailure string

// OnFailure values; "" means stop.
const (
	OnFailureStop     OnFailure = "stop"     // the run fails; steps not started are cancelled
	OnFailureContinue OnFailure = "continue" // the step counts as finished; its dependents run
)

// Step is one step of a workflow. URL, Headers and Body may hold templates
// (see internal/template); so may Delay.Until and Expect.Equals' strings.
type Step struct {
	Key string `json:"key"`

	// The HTTP request, as a job's (Method "" means GET; TimeoutMS 0 means
	// DefaultTimeoutMS).
	Method    string   `json:"method,omitempty"`
	URL       string   `json:"url,omitempty"`
	Headers   []Header `json:"headers,omitempty"`
	Body      string   `json:"body,omitempty"`
	TimeoutMS int      `json:"timeout_ms,omitempty"`
	FlowKey   string   `json:"flow_key,omitempty"`

	// Needs names the steps that must finish first. nil (absent) means the
	// previous step in the list (none for the first); an empty list means
	// none: the step starts with the run.
	Needs []string `json:"needs"`
	// When is a condition on earlier steps (internal/workflow's Cond
	// syntax, e.g. `steps.check.status == 200`); false skips the step.
	When      string     `json:"when,omitempty"`
	Retry     *StepRetry `json:"retry,omitempty"`
	Expect    *Expect    `json:"expect,omitempty"`
	OnFailure OnFailure  `json:"on_failure,omitempty"`

	// Delay makes the step a wait instead of a request.
	Delay *StepDelay `json:"delay,omitempty"`
	// ForEach makes one request per element of a JSON array from an earlier
	// step: a path such as "steps.list.json.items" (no braces). Templates
	// of the step see the element as item and its position as index.
	ForEach        string `json:"for_each,omitempty"`
	MaxConcurrency int    `json:"max_concurrency,omitempty"` // 0 means DefaultMaxConcurrency
}

// Kind returns what the step does.
func (s *Step) Kind() StepKind {
	switch {
	case s.Delay != nil:
		return StepKindDelay
	case s.ForEach != "":
		return StepKindForEach
	}
	return StepKindHTTP
}

// Failure returns the step's on_failure, stop when unset.
func (s *Step) Failure() OnFailure {
	if s.OnFailure == "" {
		return OnFailureStop
	}
	return s.OnFailure
}

// StepRetry is a step's retry policy. Attempts counts the retries after
// the first attempt (0: none). Backoff "exponential" (default) doubles
// Delay from attempt to attempt (capped at RetryMaxDelay), "fixed" waits
// Delay each time; Delay is a Go duration ("10s"; default 10s). On lists
// what is retried: HTTP status codes, "4xx", "5xx", "timeout", "network";
// empty means every failure (a failed expectation included), as for jobs.
type StepRetry struct {
	Attempts int      `json:"attempts"`
	Backoff  string   `json:"backoff,omitempty"`
	Delay    string   `json:"delay,omitempty"`
	On       []string `json:"on,omitempty"`
}

// Expect is a job's or a step's response assertions: what counts as
// success beyond "a 2xx arrived". Every set assertion must hold; the
// first that does not fails the attempt with a reason that names it and
// what was seen (internal/expect.Check), and retries and alerts follow as
// for any failure.
//
// Status, when set, replaces 2xx: codes ("404"), classes ("2xx".."5xx")
// or ranges ("200-299"). JSONPath names a value in the response, which
// must then be JSON (a path such as "data.items[0].state"); Equals
// requires that value to equal a JSON value, Matches (a Go regular
// expression, RE2) requires its text to match. BodyContains and
// BodyNotContains look for a string in the response body (as kept, up to
// 64 KiB). MaxDurationMS fails an attempt that took longer.
type Expect struct {
	Status          []string        `json:"status,omitempty"`
	JSONPath        string          `json:"json_path,omitempty"`
	Equals          json.RawMessage `json:"equals,omitempty"`
	Matches         string          `json:"matches,omitempty"`
	BodyContains    string          `json:"body_contains,omitempty"`
	BodyNotContains string          `json:"body_not_contains,omitempty"`
	MaxDurationMS   int             `json:"max_duration_ms,omitempty"`
}

// Expect limits.
const (
	MaxExpectStatuses   = 20
	MaxExpectTextLength = 1024 // Matches, BodyContains, BodyNotContains
)

// StepDelay waits for Duration (a Go duration, "24h"), or until the
// instant Until (RFC 3339, may be a template). Exactly one is set.
type StepDelay struct {
	Duration string `json:"duration,omitempty"`
	Until    string `json:"until,omitempty"`
}

// Workflow limits.
const (
	MaxWorkflowSteps      = 50 // Pro; see Limits.WorkflowSteps
	MaxStepKeyLength      = 64
	DefaultMaxConcurrency = 10
	MaxConcurrencyLimit   = 100
	MaxWhenLength         = 1024
	MaxStepRetryAttempts  = 10
	MaxStepDelay          = 366 * 24 * time.Hour
	MaxRunPayloadBytes    = 64 << 10
	// MaxStepOutputBytes caps the response body a step keeps for later
	// steps' templates (the execution keeps its own copy, as any).
	MaxStepOutputBytes   = 64 << 10
	MaxSecretsPerProject = 100
	MaxSecretValueBytes  = 4 << 10
)

// RunStatus is the state of a workflow run.
type RunStatus string

// Run statuses: running → succeeded | failed | cancelled. A failed or
// cancelled run can be retried from a step, which makes it running again.
const (
	RunStatusRunning   RunStatus = "running"
	RunStatusSucceeded RunStatus = "succeeded"
	RunStatusFailed    RunStatus = "failed"
	RunStatusCancelled RunStatus = "cancelled"
)

// Terminal reports whether the run has finished.
func (s RunStatus) Terminal() bool { return s != RunStatusRunning && s != "" }

// RunTrigger says what started a run.
type RunTrigger string

// Run triggers.
const (
	RunTriggerAPI       RunTrigger = "api"
	RunTriggerJob       RunTrigger = "job"
	RunTriggerDashboard RunTrigger = "dashboard"
)

// WorkflowRun is one run of one version of a workflow.
type WorkflowRun struct {
	ID             ID
	WorkflowID     ID
	ProjectID      ID
	OrganizationID ID
	Version        int
	// Definition is the version's definition, filled by reads that need
	// it (WorkflowRunGet).
	Definition     *WorkflowDefinition
	WorkflowName   string // filled by reads
	Status         RunStatus
	Trigger        RunTrigger
	JobID          *ID             // the job that started it, for RunTriggerJob
	Payload        json.RawMessage // the trigger payload ("null" when none)
	IdempotencyKey string
	ScheduledFor   time.Time // the instant the run was due (a job's occurrence, or its start)
	Error          string    // why it failed: the step and its reason
	CreatedAt      time.Time
	FinishedAt     *time.Time
	UpdatedAt      time.Time
}

// StepStatus is the state of one step (or one item of a for_each step) in
// a run.
type StepStatus string

// Step statuses. waiting: its needs have not finished; scheduled: an
// execution is pending or running (or, for a delay, the wait runs until
// DueAt); then one of the terminal ones.
const (
	StepStatusWaiting   StepStatus = "waiting"
	StepStatusScheduled StepStatus = "scheduled"
	StepStatusSucceeded StepStatus = "succeeded"
	StepStatusFailed    StepStatus = "failed"
	StepStatusSkipped   StepStatus = "skipped"
	StepStatusCancelled StepStatus = "cancelled"
)

// Terminal reports whether the step has finished.
func (s StepStatus) Terminal() bool {
	return s == StepStatusSucceeded || s == StepStatusFailed || s == StepStatusSkipped || s == StepStatusCancelled
}

// NoItem is RunStep.Item of a step itself (for a for_each step, the row
// that sums up its items).
const NoItem = -1

// RunStep is the state of one step, or one item of a for_each step, in a
// run: (RunID, Key, Item) is unique. Outputs (ResponseStatus, headers,
// body) are kept for later steps' templates and `when`.
type RunStep struct {
	RunID ID
	Key   string
	Item  int // NoItem, or the item's index
	// ItemValue is the for_each element (JSON) of an item row.
	ItemValue json.RawMessage
	// Items is the number of items of a for_each step's own row (-1 until
	// its array is known).
	Items  int
	Status StepStatus
	// JobID is the job whose executions are this step's attempts (nil
	// for a delay, a skip, or a failure before any request).
	JobID    *ID
	Attempts int
	DueAt    *time.Time // when it became (or becomes) due; a delay's end
	// Reason says why a step was skipped, failed or cancelled.
	Reason            string
	ResponseStatus    int
	ResponseHeaders   []Header
	ResponseBody      []byte // at most MaxStepOutputBytes
	ResponseTruncated bool
	StartedAt         *time.Time
	FinishedAt        *time.Time
	DurationMS        int
}

// IdempotencyKey is the Idempotency-Key header every attempt of a step (or
// item) carries: "<run>.<step>" or "<run>.<step>.<item>".
func (s *RunStep) IdempotencyKey() string {
	k := s.RunID.String() + "." + s.Key
	if s.Item != NoItem {
		k += "." + strconv.Itoa(s.Item)
	}
	return k
}

// JobStep marks a job as one step instance of a workflow run: the engine
// made the job (kind queue, hidden from job lists) to carry the step's
// attempts, with its request already rendered (secrets still as templates)
// and the policies the worker needs to judge a result.
type JobStep struct {
	RunID      ID         `json:"run_id"`
	WorkflowID ID         `json:"workflow_id"`
	Key        string     `json:"key"`
	Item       int        `json:"item"`
	Retry      *StepRetry `json:"retry,omitempty"`
	Expect     *Expect    `json:"expect,omitempty"`
	// Secrets is true when the request references project secrets, which
	// the worker fills in just before sending and never records.
	Secrets bool `json:"secrets,omitempty"`
}

// Secret is a project secret, referenced by templates as secrets.NAME.
// Its value is sealed at rest and never returned by the API.
type Secret struct {
	ProjectID ID
	Name      string
	Value     string // set on writes, and by SecretValues; empty on lists
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WorkflowFlip is a change of a workflow's health, sent to the project's
// channels like a job's flip (NotificationEvent failing or recovered).
type WorkflowFlip struct {
	ID          ID
	WorkflowID  ID
	ProjectID   ID
	RunID       *ID
	Event       NotificationEvent
	CreatedAt   time.Time
	ProcessedAt *time.Time
}
