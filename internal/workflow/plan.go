package workflow

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/template"
)

// RunState is a run as a store loaded it, inside the transaction that
// holds the run's row.
type RunState struct {
	Run   *prikke.WorkflowRun // with WorkflowName
	Def   *prikke.WorkflowDefinition
	Steps []*prikke.RunStep // every row of the run
	Tier  prikke.Tier       // the organization's tier now
	Now   time.Time
}

// Plan is what a transition writes, all in the same transaction.
type Plan struct {
	// Delete are step rows to remove (a retry's reset), by key and item.
	Delete []StepRef
	// Steps are rows to insert or replace whole (upsert on run, key, item).
	Steps []*prikke.RunStep
	// Starts are step instances made due: insert Job (a hidden queue job,
	// Job.Step set, request rendered with secrets left as templates) and
	// Execution (its first attempt, pending, due at the step's DueAt). The
	// matching row in Steps is scheduled with JobID = Job.ID.
	Starts []*Start
	// DeletePending are jobs whose pending executions are deleted (a
	// cancel; running ones finish and are recorded).
	DeletePending []prikke.ID
	// Status, when not "", is the run's new status; Error and FinishedAt
	// go with a terminal one.
	Status     prikke.RunStatus
	Error      string
	FinishedAt *time.Time
}

// StepRef names one step row.
type StepRef struct {
	Key  string
	Item int
}

// Start is one step instance to make due.
type Start struct {
	Job       *prikke.Job
	Execution *prikke.Execution
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool {
	return len(p.Delete) == 0 && len(p.Steps) == 0 && len(p.Starts) == 0 && len(p.DeletePending) == 0 && p.Status == ""
}

// Start plans a new run: its step rows (all waiting, or as Advance moves
// them) and its first starts. run.Status is running.
func StartRun(st *RunState) *Plan { panic("STUB") }

// Advance plans what follows from the run's rows as they are (called
// after a step row was finished, a delay may have ended, or on repair):
//   - A waiting step whose needs have all finished (succeeded, skipped, or
//     failed with on_failure continue) is due at the latest FinishedAt of
//     its needs (a delay's end may be in the future) or now if later. Its
//     `when`, if any, is evaluated: false skips it (Reason says which
//     condition). Otherwise an http step's request is rendered (payload,
//     run, steps' outputs, secrets kept as templates) and started; a
//     missing value fails the step at once with the template's reason and
//     no execution; a delay step becomes succeeded with StartedAt now and
//     FinishedAt (and DueAt) its end; a for_each step reads its array
//     (not an array, or longer than the tier's ForEachItems: failed),
//     writes one item row per element, and starts up to max_concurrency
//     of them (an empty array: succeeded at once).
//   - A for_each step starts further items as earlier ones finish, and
//     finishes when all have: succeeded, or failed (first failed item's
//     reason) if any failed; its outputs json is the array of its items'
//     json, and status the last item's status.
//   - A failed step with on_failure stop fails the run: steps not
//     finished become cancelled ("run failed at step X"), their pending
//     executions are deleted, and the run is failed with Error naming the
//     step and its reason.
//   - When every step has finished, the run succeeds.
//   - A run that is not running plans nothing.
func Advance(st *RunState) *Plan { panic("STUB") }

// Cancel plans a cancel: every step not finished (and a delay whose end
// is after now) becomes cancelled, the pending executions of scheduled
// steps' jobs are deleted, and the run is cancelled.
func Cancel(st *RunState, why string) *Plan { panic("STUB") }

// RetryFrom plans a retry of a failed or cancelled run from step from (""
// = the first failed, else cancelled, step in definition order): that
// step's rows (items included) and those of every step downstream of it
// are deleted, the run is running again (Error cleared), and Advance's
// starts follow. EINVALID when from is not a step of the run's version.
func RetryFrom(st *RunState, from string) (*Plan, error) { return nil, errors.New("STUB") }

// Scope is the template scope of a step in a run: payload, run.id,
// run.scheduled_for (RFC 3339), steps.K.status, steps.K.headers.NAME (any
// case), steps.K.json (the body parsed when it is JSON), steps.K.body (the
// body as text), and for an item, item and index. secrets.* are never
// looked up here (kept by Options.Keep).
func Scope(st *RunState, item json.RawMessage, index int) template.Scope {
	panic("STUB")
}
