package service

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/prikke/prikke"
)

// STUB: the contract for issue 18's replay, export and request preview;
// h-exapi replaces this file (and may split it). The signatures are what
// the API and the dashboard (h-exweb) build on.

var errStubInspect = errors.New("service: not implemented yet")

// ReplayInput edits a replay's request; nil fields keep the original's.
// A header whose value is prikke.Redacted is sent with the job's current
// value of that header (a redacted value is never stored, so never
// replayed as "[redacted]"); when the job has none, the replay is refused
// naming the header.
type ReplayInput struct {
	Method  *string
	URL     *string
	Headers *[]prikke.Header
	Body    *string
}

// ReplayExecution sends an execution's request again now, as a new manual
// execution of the same job with ReplayOf set, optionally edited first.
// The original is never changed. What is sent: the original's recorded
// request (method, URL, the user's headers, body) with redacted values
// restored from the job and edits applied; Prikke's own headers
// (signature, webhook id, Prikke-*) are made afresh. When the recorded
// body was cut (RequestTruncated) and no body is given, the job's body is
// rendered again. A workflow step's execution is refused (retry the run).
// URL edits pass the same validation and SSRF rules as a job's URL.
func (s *Service) ReplayExecution(ctx context.Context, a *Actor, id prikke.ID, in ReplayInput) (*prikke.Execution, error) {
	return nil, errStubInspect
}

// BulkReplay selects the executions to send again: a job's failed ones
// (failed and timeout, last attempt of each occurrence) created in
// [Since, Until).
type BulkReplay struct {
	JobID        prikke.ID
	Since, Until time.Time
}

// ReplayFailed replays every execution BulkReplay selects, at most
// prikke.MaxBulkReplay (more is refused, saying to narrow the range), and
// returns the new executions.
func (s *Service) ReplayFailed(ctx context.Context, a *Actor, in BulkReplay) ([]*prikke.Execution, error) {
	return nil, errStubInspect
}

// Export formats.
const (
	ExportCSV   = "csv"
	ExportJSONL = "jsonl"
)

// ExportExecutions writes the executions f selects (all pages, newest
// first, within the history window; at most 100,000 rows) to w as CSV or
// JSON lines, redacted as stored.
func (s *Service) ExportExecutions(ctx context.Context, a *Actor, f ExecutionFilter, format string, w io.Writer) error {
	return errStubInspect
}

// RequestPreview is the next request a job would send, templates
// rendered (signature headers shown as placeholders, never real).
type RequestPreview struct {
	ScheduledFor time.Time
	Method       string
	URL          string
	Headers      []prikke.Header
	Body         string
	Curl         string
}

// PreviewJobRequest renders the request a job made of in would send at its
// next occurrence (or now for a job without one), validating its
// templates: a template error is a field error on url, headers or body.
// projectID is the job's project; jobID, when set, is the job edited.
func (s *Service) PreviewJobRequest(ctx context.Context, a *Actor, projectID prikke.ID, jobID *prikke.ID, in JobInput) (*RequestPreview, error) {
	return nil, errStubInspect
}
