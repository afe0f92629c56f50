package prikke

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"time"
)

// ExecutionStatus is the state of one delivery attempt. The same words are
// used in the store, the API and the dashboard.
type ExecutionStatus string

// Execution statuses. pending → running → success | failed | timeout; the
// others are terminal states for occurrences deliberately not run, so that
// history tells the whole truth.
const (
	ExecutionStatusPending       ExecutionStatus = "pending"
	ExecutionStatusRunning       ExecutionStatus = "running"
	ExecutionStatusSuccess       ExecutionStatus = "success"
	ExecutionStatusFailed        ExecutionStatus = "failed"
	ExecutionStatusTimeout       ExecutionStatus = "timeout"
	ExecutionStatusMissed        ExecutionStatus = "missed"         // not run: Prikke was down past the catch-up window
	ExecutionStatusSkipped       ExecutionStatus = "skipped"        // not run: the previous run was still in flight
	ExecutionStatusQuotaExceeded ExecutionStatus = "quota_exceeded" // not run: the monthly request quota is used up
)

// ExecutionStatuses lists every status, in lifecycle order.
var ExecutionStatuses = []ExecutionStatus{
	ExecutionStatusPending, ExecutionStatusRunning, ExecutionStatusSuccess, ExecutionStatusFailed,
	ExecutionStatusTimeout, ExecutionStatusMissed, ExecutionStatusSkipped, ExecutionStatusQuotaExceeded,
}

// Valid reports whether s is a known status.
func (s ExecutionStatus) Valid() bool {
	for _, x := range ExecutionStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// Terminal reports whether s is a final state.
func (s ExecutionStatus) Terminal() bool {
	return s != ExecutionStatusPending && s != ExecutionStatusRunning && s != ""
}

// Delivered reports whether a request went out (or was attempted) in s.
func (s ExecutionStatus) Delivered() bool {
	return s == ExecutionStatusSuccess || s == ExecutionStatusFailed || s == ExecutionStatusTimeout
}

// Execution is one delivery attempt of one occurrence of a job. An
// occurrence is the job at one scheduled time; retries are further attempts
// of it, each its own row. (job, scheduled_for, attempt) is unique.
type Execution struct {
	ID             ID
	JobID          ID
	ProjectID      ID
	OrganizationID ID
	ScheduledFor   time.Time // the occurrence
	DueAt          time.Time // when this attempt may start
	Attempt        int       // 1 for the first
	Status         ExecutionStatus
	Priority       int // lower runs first; see Priority
	Rescued        bool
	MissedCount    int  // occurrences skipped over by a catch-up, recorded on this row
	Manual         bool // triggered by "run now" rather than the schedule
	// FlowKey is the job's flow key when the execution was made (Job.Flow);
	// retries and rescues keep it. ThrottledMS is how long flow control
	// held the attempt back: its start slot less its due instant.
	FlowKey     string
	ThrottledMS int64

	ClaimedBy      string
	ClaimedAt      *time.Time
	LeaseExpiresAt *time.Time

	StartedAt  *time.Time
	FinishedAt *time.Time

	RequestMethod  string
	RequestURL     string
	RequestHeaders []Header
	// RequestBody is the body as sent, at most MaxRecordedBody bytes
	// (RequestTruncated when cut), after redaction. While a replay is
	// pending, the Request* fields hold the request to send (ReplayOf
	// set): the worker sends them instead of the job's.
	RequestBody      []byte
	RequestTruncated bool
	// Trace is where the attempt's time went (nil before it ran, or when
	// tracing is off).
	Trace *Trace
	// ReplayOf is the execution this one sends again (a replay, manual).
	ReplayOf *ID

	ResponseStatus    int
	ResponseHeaders   []Header
	ResponseBody      []byte
	ResponseTruncated bool
	DurationMS        int
	Error             string

	CreatedAt time.Time
}

// Lateness is how late the attempt started against its due instant.
func (e *Execution) Lateness() time.Duration {
	if e.StartedAt == nil {
		return 0
	}
	return e.StartedAt.Sub(e.DueAt)
}

// ClaimDelay is the claim's share of the attempt's lateness: its claim
// against its due instant.
func (e *Execution) ClaimDelay() time.Duration {
	if e.ClaimedAt == nil {
		return 0
	}
	return e.ClaimedAt.Sub(e.DueAt)
}

// WebhookID returns the Standard Webhooks message id of an occurrence. It is
// the same for every attempt of the occurrence, so receivers can drop
// duplicates, and contains no '.'.
func WebhookID(jobID ID, scheduledFor time.Time) string {
	var b [24]byte
	copy(b[:16], jobID[:])
	binary.BigEndian.PutUint64(b[16:], uint64(scheduledFor.UnixNano()))
	sum := sha256.Sum256(b[:])
	return "msg_" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// FormatInstant writes an instant the way Prikke shows it to clients (the
// Prikke-Scheduled-For header, a queued request's due_at): RFC 3339 in UTC,
// to the millisecond when it has a fractional second, such as
// "2026-11-27T08:30:00Z" or "2026-11-27T08:30:00.250Z". A queued request's
// instant is kept to the millisecond when it is enqueued, so the value
// answered, stored and delivered is the same.
func FormatInstant(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Nanosecond() == 0 {
		return t.Format(time.RFC3339)
	}
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}

// Retry backoff for one-time and queued jobs.
const (
	RetryBaseDelay = 10 * time.Second
	RetryMaxDelay  = 6 * time.Hour
	// RetryAfterMax caps a receiver's Retry-After.
	RetryAfterMax = 24 * time.Hour
)

// RetryDelay returns how long to wait before attempt+1 after attempt failed:
// exponential (10 s, 20 s, 40 s … capped at 6 h) with up to 20% jitter, or
// the receiver's Retry-After when it asked for longer (capped at a day).
// rnd returns a float in [0,1); tests pass a fixed one.
func RetryDelay(attempt int, retryAfter time.Duration, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	d := RetryBaseDelay
	for i := 1; i < attempt && d < RetryMaxDelay; i++ {
		d *= 2
	}
	d = min(d, RetryMaxDelay)
	d += time.Duration(rnd() * 0.2 * float64(d))
	if retryAfter > d {
		d = min(retryAfter, RetryAfterMax)
	}
	return d
}
