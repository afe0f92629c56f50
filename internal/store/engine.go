package store

import (
	"slices"
	"time"

	"github.com/prikke/prikke"
)

// Sealer encrypts secrets at rest (project signing secrets). Stores seal on
// write and open on read, so callers see plain secrets.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(ciphertext []byte) ([]byte, error)
}

// Options configure a store when it is opened.
type Options struct {
	// Sealer encrypts signing secrets; required.
	Sealer Sealer
	// Namespace prefixes NOTIFY channels and lock keys so that tests
	// sharing a PostgreSQL server cannot disturb each other. Empty in
	// production.
	Namespace string
	// Schema, when set, is the PostgreSQL schema the store lives in
	// (created if missing). Tests use one per test.
	Schema string
	// MaxConns bounds the PostgreSQL pool (0: a default sized for the
	// worker pool).
	MaxConns int
}

// RescueNote is the error recorded on an attempt whose node was lost.
const RescueNote = "rescued: node lost (no result within the job's timeout plus grace); delivered again as a new attempt"

// RescueNoteFinal is recorded when a lost attempt is not delivered again.
const RescueNoteFinal = "rescued: node lost (no result within the job's timeout plus grace); no attempts left"

// DeadNote is recorded on a sent attempt whose node was judged dead by its
// heartbeat; DeadNoteFinal when it is not delivered again.
const (
	DeadNote      = "rescued: node lost (its heartbeat stopped after the request was sent, so the result is unknown); delivered again as a new attempt"
	DeadNoteFinal = "rescued: node lost (its heartbeat stopped after the request was sent, so the result is unknown); no attempts left"
)

// DeadCompletion settles a sent attempt of a dead node like
// RescueCompletion, with the dead-node notes.
func DeadCompletion(c *RescueCandidate, now time.Time) *Completion {
	comp := RescueCompletion(c, now)
	comp.Error = DeadNoteFinal
	if comp.Retry != nil {
		comp.Error = DeadNote
	}
	return comp
}

// RescueCandidate is a running execution whose lease expired.
type RescueCandidate struct {
	Execution     *prikke.Execution
	JobKind       prikke.JobKind
	RetryAttempts int
	// AlreadyRescued is true when an earlier attempt of the same
	// occurrence was itself a rescue.
	AlreadyRescued bool
	// Step is the job's step (Job.Step) of a workflow step's attempt; the
	// rescue query reads it (j.step) so a final rescue advances the run.
	Step *prikke.JobStep
}

// RescueDecision decides whether a lost attempt is delivered again. Every
// occurrence gets one rescue, cron jobs included (at-least-once: the request
// may never have left); after that the normal retry rules apply: one-time
// and queued jobs while attempts remain, cron jobs never.
func RescueDecision(c *RescueCandidate) bool {
	if !c.AlreadyRescued && !c.Execution.Rescued {
		return true
	}
	if c.JobKind == prikke.JobKindCron {
		return false
	}
	return c.Execution.Attempt < 1+c.RetryAttempts
}

// RescueAttempt returns the new attempt for a rescued execution, due at now.
func RescueAttempt(e *prikke.Execution, now time.Time) *prikke.Execution {
	next := &prikke.Execution{
		ID:             prikke.NewID(),
		JobID:          e.JobID,
		ProjectID:      e.ProjectID,
		OrganizationID: e.OrganizationID,
		ScheduledFor:   e.ScheduledFor,
		DueAt:          now,
		Attempt:        e.Attempt + 1,
		Status:         prikke.ExecutionStatusPending,
		Priority:       e.Priority,
		Rescued:        true,
		Manual:         e.Manual,
		FlowKey:        e.FlowKey,
		CreatedAt:      now,
	}
	if e.ReplayOf != nil {
		// A replay's next attempt sends the same request.
		next.ReplayOf = e.ReplayOf
		next.RequestMethod, next.RequestURL, next.RequestHeaders, next.RequestBody = e.RequestMethod, e.RequestURL, e.RequestHeaders, e.RequestBody
	}
	return next
}

// JobOutcome is the net effect of one batch of completions on one job.
type JobOutcome struct {
	JobID prikke.ID
	// LastStatus and LastRunAt come from the latest completion.
	LastStatus prikke.ExecutionStatus
	LastRunAt  time.Time
	// AnySuccess: at least one completion succeeded; TrailingFailures
	// counts health failures after the last success (or all of them).
	AnySuccess       bool
	TrailingFailures int
	// LastExecutionID is the completion that decides a flip.
	LastExecutionID prikke.ID
	Gone            bool
	// Results are the health results in order (true: success), for
	// JobHealthAfter.
	Results []bool
}

// Clean reports whether the outcome is a plain success: it can only
// change a job that was not already healthy.
func (o *JobOutcome) Clean() bool { return o.AnySuccess && o.TrailingFailures == 0 && !o.Gone }

// Outcomes folds a batch's applied completions into one outcome per job, in
// the order given.
func Outcomes(cs []*Completion) []*JobOutcome {
	byJob := make(map[prikke.ID]*JobOutcome, len(cs))
	var order []*JobOutcome
	for _, c := range cs {
		o := byJob[c.JobID]
		if o == nil {
			o = &JobOutcome{JobID: c.JobID}
			byJob[c.JobID] = o
			order = append(order, o)
		}
		if c.FinishedAt.After(o.LastRunAt) || o.LastRunAt.IsZero() {
			o.LastRunAt = c.FinishedAt
			o.LastStatus = c.Status
		}
		switch c.Health {
		case HealthSuccess:
			o.AnySuccess = true
			o.TrailingFailures = 0
			o.LastExecutionID = c.ExecutionID
			o.Results = append(o.Results, true)
		case HealthFailure:
			o.TrailingFailures++
			o.LastExecutionID = c.ExecutionID
			o.Results = append(o.Results, false)
		}
		if c.Gone {
			o.Gone = true
		}
	}
	return order
}

// RescueCompletion settles a lost attempt: failed with a note, and per
// RescueDecision a new attempt due at now. A lost attempt that is not
// delivered again counts as a failure for the job's health.
func RescueCompletion(c *RescueCandidate, now time.Time) *Completion {
	e := c.Execution
	comp := &Completion{
		ExecutionID:    e.ID,
		JobID:          e.JobID,
		OrganizationID: e.OrganizationID,
		Attempt:        e.Attempt,
		Status:         prikke.ExecutionStatusFailed,
		FinishedAt:     now,
		Error:          RescueNoteFinal,
		Health:         HealthFailure,
		Step:           c.Step,
	}
	if e.ReplayOf != nil {
		// A replay's record keeps the request it was to send (an ordinary
		// attempt's is the worker's to report).
		comp.RequestMethod, comp.RequestURL, comp.RequestHeaders, comp.RequestBody = e.RequestMethod, e.RequestURL, e.RequestHeaders, e.RequestBody
	}
	if e.ClaimedAt != nil {
		comp.StartedAt = *e.ClaimedAt
	} else {
		comp.StartedAt = now
	}
	if RescueDecision(c) {
		comp.Retry = RescueAttempt(e, now)
		comp.Error = RescueNote
		comp.Health = HealthNone
	}
	return comp
}

// OverlapJobs returns the jobs of claimed executions whose overlap policy
// is skip: the ones a store must check for runs already in flight.
func OverlapJobs(claimed []*Claimed) []prikke.ID {
	var ids []prikke.ID
	for _, c := range claimed {
		if c.Job.Overlap == prikke.OverlapSkip {
			ids = append(ids, c.Job.ID)
		}
	}
	return ids
}

// SortClaimed orders a claim as it will be served: priority, then most
// overdue first.
func SortClaimed(claimed []*Claimed) {
	slices.SortStableFunc(claimed, func(a, b *Claimed) int {
		if a.Execution.Priority != b.Execution.Priority {
			return a.Execution.Priority - b.Execution.Priority
		}
		return a.Execution.DueAt.Compare(b.Execution.DueAt)
	})
}

// SplitOverlaps separates claimed executions (sorted by SortClaimed) to
// deliver from those of overlap=skip jobs with a run in flight (busy) or
// an earlier run in the same batch.
func SplitOverlaps(claimed []*Claimed, busy map[prikke.ID]bool) (keep []*Claimed, skipped []*prikke.Execution) {
	for _, c := range claimed {
		if c.Job.Overlap == prikke.OverlapSkip {
			if busy[c.Job.ID] {
				skipped = append(skipped, c.Execution)
				continue
			}
			busy[c.Job.ID] = true
		}
		keep = append(keep, c)
	}
	return keep, skipped
}

// OverlapNote and QuotaNote explain executions settled without delivery.
const (
	OverlapNote = "not run: the previous run of this job was still in flight (overlap: skip)"
	QuotaNote   = "not run: the organization's monthly request quota is used up"
)

// OrgBatch is one organization's share of a claim.
type OrgBatch struct {
	OrganizationID prikke.ID
	Tier           prikke.Tier
	Claimed        []*Claimed
}

// ByOrganization groups claimed executions by organization, in order of
// first appearance (so the batch's priority order holds within each).
func ByOrganization(claimed []*Claimed) []*OrgBatch {
	idx := map[prikke.ID]*OrgBatch{}
	var out []*OrgBatch
	for _, c := range claimed {
		b := idx[c.Execution.OrganizationID]
		if b == nil {
			b = &OrgBatch{OrganizationID: c.Execution.OrganizationID, Tier: c.Tier}
			idx[c.Execution.OrganizationID] = b
			out = append(out, b)
		}
		b.Claimed = append(b.Claimed, c)
	}
	return out
}

// Meter decides, after an organization's usage was raised by the n
// attempts of its batch to total, how many of them (the last ones) exceed
// the tier's monthly quota and must not be delivered, and whether usage
// crossed 80% or 100% of the quota.
func Meter(n, total int64, tier prikke.Tier) (excess int64, crossing *QuotaCrossing) {
	limit := tier.Limits().MonthlyRequests
	excess = max(0, min(n, total-limit))
	after := total - excess
	before := after - (n - excess)
	hit := excess > 0
	for _, pct := range []int64{80, 100} {
		mark := limit * pct / 100
		if before < mark && after >= mark {
			hit = true
		}
	}
	if hit {
		crossing = &QuotaCrossing{Used: after, Limit: limit}
	}
	return excess, crossing
}

// TakeRoom subtracts what a claim took from each organization's room
// (def is the room of organizations not yet listed; 0 means no cap).
func TakeRoom(room map[prikke.ID]int, claimed []*Claimed, def int) {
	for _, c := range claimed {
		org := c.Execution.OrganizationID
		if _, ok := room[org]; !ok {
			if def <= 0 {
				continue
			}
			room[org] = def
		}
		room[org]--
	}
}

// ClaimScan is how many candidates a claim looks at to fill want slots
// while respecting per-organization room (room holds what is left of it in
// this claim). When no organization's room is below want, none can be cut
// short and want candidates suffice; otherwise twice as many are looked
// at, so organizations without room do not leave the claim half empty.
// (Every candidate is locked, so looking at more costs the database.)
func ClaimScan(want int, room map[prikke.ID]int, defaultRoom int) int {
	tight := defaultRoom > 0 && defaultRoom < want
	for _, r := range room {
		if r > 0 && r < want {
			tight = true
			break
		}
	}
	if !tight {
		return want
	}
	return min(max(2*want, 64), 5000)
}

// RoomCap turns "no cap" (0) into a room no claim reaches.
func RoomCap(def int) int {
	if def <= 0 {
		return 1 << 30
	}
	return def
}
