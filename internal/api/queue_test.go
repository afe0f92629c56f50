package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// TestQueueReplayReturnsStoredExecution: replaying POST /api/v1/queue with
// the same Idempotency-Key after the request was delivered answers with
// the execution as stored (request headers, response status, headers and
// body), the same as GET /api/v1/executions/{id}, not an empty shell.
func TestQueueReplayReturnsStoredExecution(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		req := map[string]any{"url": "https://example.com/hook", "body": `{"order":7}`}
		r := c.do("POST", "/api/v1/queue", req, "Idempotency-Key", "order-7")
		var first struct {
			JobID       string `json:"job_id"`
			ExecutionID string `json:"execution_id"`
		}
		r.json(t, &first)
		if r.Status != 202 {
			t.Fatalf("enqueue = %d %s", r.Status, r.Body)
		}

		// Deliver it as a worker would: claim, then record the response.
		res, err := s.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 10, Now: time.Now().Add(time.Minute), LeaseGrace: time.Minute})
		if err != nil || len(res.Claimed) != 1 {
			t.Fatalf("claim = %v, %v", res, err)
		}
		cl := res.Claimed[0]
		now := time.Now().UTC()
		_, err = s.store.ExecutionComplete(ctx, "n1", []*store.Completion{{ExecutionID: cl.Execution.ID, JobID: cl.Execution.JobID,
			OrganizationID: cl.Execution.OrganizationID, Attempt: 1, Status: prikke.ExecutionStatusSuccess, StartedAt: now, FinishedAt: now,
			DurationMS: 12, RequestMethod: "POST", RequestURL: "https://example.com/hook",
			RequestHeaders:  []prikke.Header{{Name: "Content-Type", Value: "application/json"}},
			ResponseStatus:  200,
			ResponseHeaders: []prikke.Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "X-Receipt", Value: "r-7"}},
			ResponseBody:    []byte("thanks for order 7")}})
		if err != nil {
			t.Fatal(err)
		}

		r = c.do("POST", "/api/v1/queue", req, "Idempotency-Key", "order-7")
		var replay struct {
			ExecutionID string          `json:"execution_id"`
			Duplicate   bool            `json:"duplicate"`
			Execution   json.RawMessage `json:"execution"`
		}
		r.json(t, &replay)
		if r.Status != 200 || !replay.Duplicate || replay.ExecutionID != first.ExecutionID {
			t.Fatalf("replay = %d %s", r.Status, r.Body)
		}
		var got struct {
			Status   string
			Request  struct{ Headers map[string]string }
			Response struct {
				Status  int
				Headers map[string]string
				Body    string
			}
		}
		if err := json.Unmarshal(replay.Execution, &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != "success" || got.Response.Status != 200 || got.Response.Body != "thanks for order 7" ||
			got.Response.Headers["X-Receipt"] != "r-7" || got.Request.Headers["Content-Type"] != "application/json" {
			t.Errorf("replayed execution = %s; want the stored request headers and response", replay.Execution)
		}
		g := c.do("GET", "/api/v1/executions/"+first.ExecutionID, nil)
		var stored, replayed any
		g.json(t, &stored)
		_ = json.Unmarshal(replay.Execution, &replayed)
		if a, b := mustJSON(stored), mustJSON(replayed); a != b {
			t.Errorf("replay's execution differs from GET's:\n%s\n%s", b, a)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
