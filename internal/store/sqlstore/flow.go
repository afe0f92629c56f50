package sqlstore

import (
	"time"

	"github.com/prikke/prikke"
)

// FlowKeyColumns are the stored fields of a flow key (table alias f), in
// the order ScanFlowKey reads them.
const FlowKeyColumns = `f.id, f.project_id, f.key, f.rate, f.period_ms, f.burst, f.parallelism, f.paused, f.configured,
	f.tat, f.held_until, f.hold_reason, f.created_at, f.updated_at`

// FlowKeyScan is a scan destination for FlowKeyColumns.
type FlowKeyScan struct {
	k        prikke.FlowKey
	periodMS int64
}

// Dest returns the scan destinations, in FlowKeyColumns order.
func (s *FlowKeyScan) Dest(d Dialect) []any {
	k := &s.k
	return []any{&k.ID, &k.ProjectID, &k.Key, &k.Rate, &s.periodMS, &k.Burst, &k.Parallelism, &k.Paused, &k.Configured,
		d.ScanTimePtr(&k.TAT), d.ScanTimePtr(&k.HeldUntil), &k.HoldReason, d.ScanTime(&k.CreatedAt), d.ScanTime(&k.UpdatedAt)}
}

// Key returns the scanned key (without live figures).
func (s *FlowKeyScan) Key() *prikke.FlowKey {
	k := s.k
	k.Period = time.Duration(s.periodMS) * time.Millisecond
	k.TAT, k.HeldUntil = utcp(k.TAT), utcp(k.HeldUntil)
	k.CreatedAt, k.UpdatedAt = k.CreatedAt.UTC(), k.UpdatedAt.UTC()
	return &k
}

// ScanFlowKey scans one row of FlowKeyColumns.
func ScanFlowKey(d Dialect, row Row) (*prikke.FlowKey, error) {
	var s FlowKeyScan
	if err := row.Scan(s.Dest(d)...); err != nil {
		return nil, err
	}
	return s.Key(), nil
}

// FlowPeriodMS is the stored period_ms of a key (1 s when unset).
func FlowPeriodMS(k *prikke.FlowKey) int64 {
	if k.Period <= 0 {
		return prikke.FlowPeriodMin.Milliseconds()
	}
	return k.Period.Milliseconds()
}

// FlowReadyAt is the ready_at to store beside a key's tat and hold:
// k.ReadyAt(), nil (NULL) when the key could start now.
func FlowReadyAt(k *prikke.FlowKey) *time.Time {
	r := k.ReadyAt()
	if r.IsZero() {
		return nil
	}
	return &r
}

// FlowKeyLive sets a key's live figures: waiting (capped at FlowCountCap)
// and in-flight counts, and NextSlot when ReadyAt is after now.
func FlowKeyLive(k *prikke.FlowKey, waiting, inFlight int, now time.Time) {
	k.Waiting, k.InFlight, k.NextSlot = min(waiting, prikke.FlowCountCap), inFlight, nil
	if r := k.ReadyAt(); r.After(now) {
		k.NextSlot = &r
	}
}

// FlowRoom is how many of a key's waiting executions one claim may read
// and start: at most free (what is left of the claim's and the
// organization's room), the room under its parallelism (inFlight of them
// running), and the slots its rate can give within the lookahead (its
// burst, then one an interval), so a rate-limited key's backlog is read
// no further than it can start.
func FlowRoom(k *prikke.FlowKey, free, inFlight int, lookahead time.Duration) int {
	if k.Parallelism > 0 {
		free = min(free, k.Parallelism-inFlight)
	}
	if iv := k.Interval(); iv > 0 {
		free = min(free, max(k.Burst, 1)+int(max(lookahead, 0)/iv)+1)
	}
	return max(free, 0)
}

// FlowKeyLimits gives k the limits of in as FlowKeyPut stores them (a
// period of at least FlowPeriodMin, a burst of at least 1): k becomes a
// configured key. Its pause, hold and GCRA state stay as they are.
func FlowKeyLimits(k, in *prikke.FlowKey) {
	k.Rate, k.Period, k.Burst, k.Parallelism, k.Configured = in.Rate, max(in.Period, prikke.FlowPeriodMin), max(in.Burst, 1), in.Parallelism, true
}

// FlowKeysFull is the error of a key that would make a project's
// configured keys more than FlowKeysPerProject (n: how many it has).
func FlowKeysFull(n int) error {
	if n < prikke.FlowKeysPerProject {
		return nil
	}
	return prikke.Errorf(prikke.ECONFLICT, "A project can have at most %d flow keys; remove one first.", prikke.FlowKeysPerProject)
}

// FlowHoldKeysFull is the error of a hold that would make a project's
// hold-only keys (rows an endpoint's 429 or 503 made, Configured false)
// more than FlowHoldKeysPerProject (n: how many it has).
func FlowHoldKeysFull(n int) error {
	if n < prikke.FlowHoldKeysPerProject {
		return nil
	}
	return prikke.Errorf(prikke.ECONFLICT,
		"A project can have at most %d flow keys held by their endpoints (429 or 503 with Retry-After); this key was not held. Held keys are removed an hour after their hold ends.",
		prikke.FlowHoldKeysPerProject)
}
