package prikke

import "time"

// Operators are the accounts PRIKKE_OPERATOR_EMAILS lists: the people who
// run a Prikke. They post incidents on /status, see every organization,
// suspend an abusive one and watch the cluster's nodes, from the
// dashboard's operator console or the command line. Every operator action
// is written to the audit log with one of the actions below.

// PauseForSuspension is the PauseReason of a job or monitor paused because
// an operator suspended its organization; unsuspending resumes exactly
// those.
const PauseForSuspension = "suspended"

// Operator audit actions. A suspension is recorded under the suspended
// organization (its admins see it too); an incident under none.
const (
	AuditOrganizationSuspend   AuditAction = "operator.suspend"
	AuditOrganizationUnsuspend AuditAction = "operator.unsuspend"
	AuditIncidentOpen          AuditAction = "operator.incident_open"
	AuditIncidentUpdate        AuditAction = "operator.incident_update"
	AuditOperatorTier          AuditAction = "operator.tier"
)

// MaxSuspendReason bounds the reason an operator gives for a suspension
// (it is shown to the organization's members and API clients).
const MaxSuspendReason = 500

// NodeInfo is what a running node reports of itself, every few seconds, in
// its node heartbeat (store.NodeBeat + ID), for the operator console and
// for `prikke migrate`, which must know what schema the live nodes expect.
type NodeInfo struct {
	ID       string `json:"id"`
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	// Schema is the newest migration version this node's binary knows.
	Schema    int64     `json:"schema"`
	StartedAt time.Time `json:"started_at"`
	// Load: executions this node is delivering now, its worker limit, and
	// the process's goroutines, Go heap, and the machine's 1-minute load
	// average (0 where the system does not say).
	InFlight   int     `json:"in_flight"`
	Workers    int     `json:"workers"`
	Goroutines int     `json:"goroutines"`
	HeapBytes  uint64  `json:"heap_bytes"`
	Load1      float64 `json:"load1"`
	// Leader: this node holds the scheduler's lease.
	Leader bool `json:"leader"`

	// BeatAt is when the heartbeat was last written (the database clock);
	// it is the heartbeat row's time, not part of the JSON.
	BeatAt time.Time `json:"-"`
}
