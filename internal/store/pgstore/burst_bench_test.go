package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// BenchmarkBurstCycle is the engine's hot path for a project without flow
// keys, per 500 executions: one OccurrencesWrite, claims of up to 500,
// and one ExecutionComplete. (Compare before and after a change to the
// insert or claim statements; the whole-system figure is prikke bench.)
func BenchmarkBurstCycle(b *testing.B) { burstCycle(b, false) }

// BenchmarkBurstCycleRecorded is BenchmarkBurstCycle with what issue 18
// records per attempt: a 1 KiB request body and a trace in each
// completion.
func BenchmarkBurstCycleRecorded(b *testing.B) { burstCycle(b, true) }

func burstCycle(b *testing.B, recorded bool) {
	ctx := context.Background()
	var body []byte
	var trace *prikke.Trace
	if recorded {
		body = make([]byte, 1024)
		for i := range body {
			body[i] = 'a' + byte(i%26)
		}
		trace = &prikke.Trace{DNSUS: 900, ConnectUS: 400, TLSUS: 2500, SendUS: 30, WaitUS: 12000, BodyUS: 200,
			RemoteAddr: "192.0.2.7:443", TLSVersion: "TLS 1.3"}
	}
	s := storetest.OpenPostgres(b)
	tn := storetest.NewTenant(b, s, prikke.TierPro)
	j := storetest.NewJob(b, s, tn, storetest.Once(storetest.T0))
	const n = 500
	base := storetest.T0
	b.ResetTimer()
	for i := range b.N {
		w := &store.OccurrenceWrite{JobID: j.ID, PrevNextRunAt: *j.NextRunAt, NextRunAt: j.NextRunAt}
		for k := range n {
			at := base.Add(time.Duration(i*n+k) * time.Microsecond)
			w.Executions = append(w.Executions, &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID,
				OrganizationID: j.OrganizationID, ScheduledFor: at, DueAt: base, Attempt: 1, Status: prikke.ExecutionStatusPending,
				Priority: 1, FlowKey: j.Flow(), CreatedAt: base})
		}
		if got, err := s.OccurrencesWrite(ctx, []*store.OccurrenceWrite{w}); err != nil || got != n {
			b.Fatalf("wrote %d, %v", got, err)
		}
		var cs []*store.Completion
		for len(cs) < n {
			res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: n, Now: base.Add(time.Hour), LeaseGrace: time.Minute})
			if err != nil || len(res.Claimed) == 0 {
				b.Fatalf("claimed %d, %v", len(res.Claimed), err)
			}
			for _, c := range res.Claimed {
				cs = append(cs, &store.Completion{ExecutionID: c.Execution.ID, JobID: j.ID, Attempt: 1, Status: prikke.ExecutionStatusSuccess,
					StartedAt: base, FinishedAt: base, DurationMS: 1, Health: store.HealthSuccess,
					RequestBody: body, Trace: trace})
			}
		}
		if applied, err := s.ExecutionComplete(ctx, "n", cs); err != nil || len(applied) != n {
			b.Fatalf("completed %d, %v", len(applied), err)
		}
	}
}
