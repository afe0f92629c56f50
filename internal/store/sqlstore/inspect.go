package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// What an execution shows of what happened (issue 18): a project's
// redaction, replays and the search of the execution history. The request
// body, trace and replay_of columns are read with ExecutionColumns and
// written by each engine's completion.

// redactJSON is projects.redact: NULL for a project on the defaults.
func redactJSON(d Dialect, x *prikke.Redaction) any {
	if x == nil {
		return nil
	}
	return d.JSON(x)
}

// ExecutionReplay implements store.Store. The replays go in through the
// engine's own insert (queue rows, flow tags, workers woken on commit),
// as ExecutionInsert's do.
func (r *Records) ExecutionReplay(ctx context.Context, es []*prikke.Execution) error {
	if len(es) == 0 {
		return nil
	}
	jobID := es[0].JobID
	ids := make([]prikke.ID, len(es))
	for i, e := range es {
		if e.JobID != jobID {
			return fmt.Errorf("%s: replay executions: replays of more than one job", r.d.Name())
		}
		if e.ReplayOf == nil {
			return fmt.Errorf("%s: replay executions: execution %s replays nothing", r.d.Name(), e.ID)
		}
		e.Status, e.Manual, e.Attempt, e.DueAt = prikke.ExecutionStatusPending, true, 1, e.ScheduledFor
		if e.CreatedAt.IsZero() {
			e.CreatedAt = e.ScheduledFor
		}
		ids[i] = e.ID
	}
	return r.inTx(ctx, "replay executions", func(tx Tx) error {
		// A job deleted after this read takes its executions with it, or
		// fails the insert's foreign key (ENOTFOUND as well).
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM jobs WHERE id = $1", jobID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound()
		}
		if err := r.writeExecutions(ctx, tx, es); err != nil {
			return err
		}
		// The insert skips an occurrence attempt that exists: a replay
		// whose instant another replay of the job took.
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM executions WHERE "+r.d.AnyOf("id", "$1"), r.d.List(ids)).Scan(&n); err != nil {
			return err
		}
		if n != len(es) {
			return prikke.Errorf(prikke.ECONFLICT, "The job already has an execution at that instant; try again.")
		}
		return nil
	})
}

// executionSearch adds the search conditions of f (issue 18) to where:
// response status codes, their class, duration bounds and text in the
// response body, the replays of an execution. They narrow the rows the filter's job, project or
// organization and its time window select, never widen them.
func executionSearch(d Dialect, f store.ExecutionFilter, where []string, arg func(any) string) []string {
	if len(f.StatusCodes) > 0 {
		codes := slices.Clone(f.StatusCodes)
		slices.Sort(codes)
		ph := make([]string, 0, len(codes))
		for i, c := range codes {
			if i > 0 && codes[i-1] == c {
				continue
			}
			ph = append(ph, arg(c))
		}
		where = append(where, "e.response_status IN ("+strings.Join(ph, ", ")+")")
	}
	if f.StatusClass != 0 {
		lo := f.StatusClass * 100
		where = append(where, "e.response_status BETWEEN "+arg(lo)+" AND "+arg(lo+99))
	}
	if f.MinDurationMS > 0 {
		where = append(where, "e.duration_ms >= "+arg(f.MinDurationMS))
	}
	if f.MaxDurationMS > 0 {
		where = append(where, "e.duration_ms <= "+arg(f.MaxDurationMS))
	}
	if f.ReplayOf != nil {
		where = append(where, "e.replay_of = "+arg(*f.ReplayOf))
	}
	if f.BodyContains != "" {
		// Bytes, not a LIKE pattern: % and _ are plain characters here.
		where = append(where, d.BytesContain("e.response_body", arg([]byte(f.BodyContains))))
	}
	return where
}
