package scheduler

import (
	"context"
)

// repairBatch bounds the runs one repair round advances.
const repairBatch = 100

// repairRuns advances running workflow runs whose steps wait on
// executions that ended without a completion naming them (settled over
// quota in a claim, deleted with an edit): the safety net behind the
// store's run transitions, so no run waits for ever. A few batches per
// round.
func (s *Scheduler) repairRuns(ctx context.Context) {
	dbNow, err := s.store.Now(ctx)
	if err != nil {
		return
	}
	for range 5 {
		n, err := s.store.WorkflowRunsRepair(ctx, dbNow, repairBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("workflow run repair failed", "error", err)
			}
			return
		}
		if n > 0 {
			s.logger.Info("advanced stalled workflow runs", "runs", n)
		}
		if n < repairBatch {
			return
		}
	}
}

// pruneRuns deletes finished workflow runs (with their step jobs and
// their history) past their organization's retention, in bounded
// batches like the executions.
func (s *Scheduler) pruneRuns(ctx context.Context) {
	dbNow, err := s.store.Now(ctx)
	if err != nil {
		return
	}
	for range 20 {
		n, err := s.store.WorkflowRunPrune(ctx, dbNow, s.cfg.PruneBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("workflow run prune failed", "error", err)
			}
			return
		}
		if n < s.cfg.PruneBatch {
			return
		}
	}
}
