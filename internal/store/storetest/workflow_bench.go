package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// BenchmarkWorkflowHandOff measures a batch of step completions that each
// make the next step of its run due (the completion transaction with its
// run transitions), per completion.
func BenchmarkWorkflowHandOff(b *testing.B, open Opener) {
	s := open(b)
	ctx := context.Background()
	a := NewTenant(b, s, prikke.TierPro)
	w := NewWorkflow(b, s, a, httpStep("a"), httpStep("b"))
	const batch = 100
	b.ResetTimer()
	done := 0
	for i := 0; done < b.N; i++ {
		b.StopTimer()
		now := T0.Add(time.Duration(i) * time.Minute)
		for range batch {
			startRun(b, s, w, "", now)
		}
		cs := claimN(b, s, "n1", now, batch)
		cps := make([]*store.Completion, len(cs))
		for k, c := range cs {
			cps[k] = stepCompletion(c, prikke.ExecutionStatusSuccess, 200)
		}
		b.StartTimer()
		if applied, err := s.ExecutionComplete(ctx, "n1", cps); err != nil || len(applied) != len(cps) {
			b.Fatalf("complete = %d, %v", len(applied), err)
		}
		done += len(cps)
		b.StopTimer()
		// Finish b so the queue stays small.
		cs = claimN(b, s, "n1", now.Add(time.Second), batch)
		cps = cps[:0]
		for _, c := range cs {
			cps = append(cps, stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
		}
		s.ExecutionComplete(ctx, "n1", cps)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(done), "µs/completion")
}
