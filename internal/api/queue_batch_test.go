package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
)

type batchAnswer struct {
	Results []struct {
		Status      int    `json:"status"`
		JobID       string `json:"job_id"`
		ExecutionID string `json:"execution_id"`
		DueAt       string `json:"due_at"`
		Duplicate   bool   `json:"duplicate"`
		Error       *struct {
			Status int    `json:"status"`
			Title  string `json:"title"`
			Errors []struct {
				Location string `json:"location"`
				Message  string `json:"message"`
			} `json:"errors"`
		} `json:"error"`
	} `json:"results"`
	Enqueued, Duplicates, Failed int
}

func hook(extra string) map[string]any {
	m := map[string]any{"url": "https://example.com/hook", "body": `{"n":1}`}
	if extra != "" {
		m["idempotency_key"] = extra
	}
	return m
}

// TestQueueBatch: POST /api/v1/queue/batch answers one result per item in
// order: created, duplicate (within the batch, across batches, against
// the single endpoint), or a problem naming the item's field; one item's
// mistake does not fail the others; both body shapes are accepted.
func TestQueueBatch(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/queue", hook(""), "Idempotency-Key", "single")
		var single struct {
			JobID string `json:"job_id"`
		}
		r.json(t, &single)
		items := []any{
			hook("a"),
			map[string]any{"url": "ftp://example.com/x", "idempotency_key": "bad-url"},
			hook("a"),
			hook("single"),
			map[string]any{"url": "https://example.com/hook", "delay": -1},
			map[string]any{"url": "https://example.com/hook", "timeout_ms": "soon"},
			map[string]any{"url": "https://example.com/hook", "bogus": 1},
			hook(""),
			map[string]any{"url": "https://example.com/hook", "idempotency_key": strings.Repeat("k", 201)},
			map[string]any{"url": "https://example.com/hook", "project_id": "nope"},
		}
		r = c.do("POST", "/api/v1/queue/batch", items)
		if r.Status != 200 {
			t.Fatalf("batch = %d %s", r.Status, r.Body)
		}
		var got batchAnswer
		r.json(t, &got)
		if len(got.Results) != len(items) {
			t.Fatalf("%d results for %d items: %s", len(got.Results), len(items), r.Body)
		}
		res := got.Results
		if res[0].Status != 202 || res[0].JobID == "" || res[0].ExecutionID == "" || res[0].Duplicate {
			t.Errorf("item 0 = %+v", res[0])
		}
		if res[2].Status != 200 || !res[2].Duplicate || res[2].JobID != res[0].JobID || res[2].ExecutionID != res[0].ExecutionID {
			t.Errorf("item 2 (same key as 0) = %+v; want a duplicate of %s", res[2], res[0].JobID)
		}
		if res[3].Status != 200 || !res[3].Duplicate || res[3].JobID != single.JobID {
			t.Errorf("item 3 (the single's key) = %+v; want %s", res[3], single.JobID)
		}
		if res[7].Status != 202 || res[7].JobID == "" {
			t.Errorf("item 7 = %+v", res[7])
		}
		wantField := map[int]string{1: "body.requests[1].url", 4: "body.requests[4].delay", 5: "body.requests[5].timeout_ms",
			6: "body.requests[6].bogus", 8: "body.requests[8].idempotency_key", 9: "body.requests[9].project_id"}
		for i, loc := range wantField {
			e := res[i].Error
			if e == nil || res[i].Status < 400 || res[i].JobID != "" || e.Status != res[i].Status || len(e.Errors) == 0 || e.Errors[0].Location != loc {
				t.Errorf("item %d = %+v %+v; want a problem at %s", i, res[i], e, loc)
			}
		}
		if got.Enqueued != 2 || got.Duplicates != 2 || got.Failed != 6 {
			t.Errorf("counts = %d %d %d", got.Enqueued, got.Duplicates, got.Failed)
		}
		// Again, as {"requests": [...]}: everything with a key is a duplicate.
		r = c.do("POST", "/api/v1/queue/batch", map[string]any{"requests": []any{hook("a"), hook("single")}})
		var again batchAnswer
		r.json(t, &again)
		if r.Status != 200 || len(again.Results) != 2 || again.Results[0].JobID != res[0].JobID || !again.Results[1].Duplicate ||
			again.Results[1].JobID != single.JobID {
			t.Errorf("second batch = %d %s", r.Status, r.Body)
		}
		// The single endpoint with a key a batch took.
		r = c.do("POST", "/api/v1/queue", hook(""), "Idempotency-Key", "a")
		var dup struct {
			JobID     string `json:"job_id"`
			Duplicate bool   `json:"duplicate"`
		}
		r.json(t, &dup)
		if r.Status != 200 || !dup.Duplicate || dup.JobID != res[0].JobID {
			t.Errorf("single after batch = %d %s", r.Status, r.Body)
		}
		// What is stored: the single, a, and the keyless item 7.
		if n := len(s.sqlRows("SELECT id FROM jobs WHERE kind = 'queue' AND project_id = $1", tn.project.ID)); n != 3 {
			t.Errorf("%d queue jobs stored, want 3", n)
		}
	})
}

// TestQueueBatchShape: an empty batch, more than 1000 items, and a body
// that is not a batch are 400 problems naming the field.
func TestQueueBatchShape(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		many := make([]any, 1001)
		for i := range many {
			many[i] = map[string]any{"url": "https://example.com/h"}
		}
		for _, tc := range []struct {
			name string
			body any
			loc  string
		}{
			{"empty", []any{}, "body.requests"},
			{"empty object", map[string]any{"requests": []any{}}, "body.requests"},
			{"1001", many, "body.requests"},
			{"1001 object", map[string]any{"requests": many}, "body.requests"},
			{"no requests", map[string]any{"items": []any{}}, "body"},
			{"not JSON", "[{", ""},
			{"a string", `"x"`, ""},
		} {
			r := c.do("POST", "/api/v1/queue/batch", tc.body)
			if r.Status != 400 {
				t.Errorf("%s = %d %s", tc.name, r.Status, r.Body)
				continue
			}
			p := r.problem(t)
			if tc.loc != "" && (len(p.Errors) == 0 || p.Errors[0].Location != tc.loc) {
				t.Errorf("%s problem = %+v; want it at %s", tc.name, p, tc.loc)
			}
		}
		if n := len(s.sqlRows("SELECT id FROM jobs WHERE project_id = $1", tn.project.ID)); n != 0 {
			t.Errorf("refused batches stored %d jobs", n)
		}
		// 1000 is allowed.
		r := c.do("POST", "/api/v1/queue/batch", many[:1000])
		var got batchAnswer
		r.json(t, &got)
		if r.Status != 200 || got.Enqueued != 1000 || len(got.Results) != 1000 {
			t.Errorf("1000 items = %d, %d enqueued", r.Status, got.Enqueued)
		}
	})
}

// TestQueueBatchTenants: a key of organization A cannot enqueue into B's
// project (a per-item problem, nothing stored in B), a key limited to one
// project cannot enqueue into another of its organization, and a
// suspended organization's key and a revoked key are refused at once.
func TestQueueBatchTenants(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		a, b := s.newTenant(prikke.TierPro), s.newTenant(prikke.TierPro)
		ca := s.withKey(a.key)
		into := func(p prikke.ID) map[string]any {
			return map[string]any{"url": "https://example.com/hook", "project_id": p.String()}
		}
		// Warm the key's cache first: isolation must hold with it.
		if r := ca.do("POST", "/api/v1/queue", hook("")); r.Status != 202 {
			t.Fatalf("enqueue = %d %s", r.Status, r.Body)
		}
		r := ca.do("POST", "/api/v1/queue/batch", []any{into(b.project.ID), into(a.project.ID)})
		var got batchAnswer
		r.json(t, &got)
		if r.Status != 200 || got.Results[0].Error == nil || got.Results[0].Error.Errors[0].Location != "body.requests[0].project_id" ||
			got.Results[1].Status != 202 {
			t.Errorf("A's key into B's project = %d %s", r.Status, r.Body)
		}
		if r := ca.do("POST", "/api/v1/queue", into(b.project.ID)); r.Status != 422 && r.Status != 400 {
			t.Errorf("single into B = %d %s", r.Status, r.Body)
		}
		if n := len(s.sqlRows("SELECT id FROM jobs WHERE project_id = $1", b.project.ID)); n != 0 {
			t.Errorf("B's project holds %d jobs of A's key", n)
		}

		// A key limited to A's second project: its batch into A's first
		// project fails that item, and the one into its own is created
		// (each item's project is checked, not the batch's first).
		r = ca.do("POST", "/api/v1/projects", map[string]any{"name": "second"})
		var second struct {
			ID string `json:"id"`
		}
		r.json(t, &second)
		secondID, _ := prikke.ParseID(second.ID)
		scopedKey, _, err := s.svc.CreateAPIKey(ctx, &service.Actor{User: a.user}, a.org.ID,
			service.APIKeyInput{Name: "scoped", ProjectID: &secondID})
		if err != nil {
			t.Fatal(err)
		}
		scoped := s.withKey(scopedKey)
		r = scoped.do("POST", "/api/v1/queue/batch", []any{into(secondID), into(a.project.ID), into(secondID)})
		var sc batchAnswer
		r.json(t, &sc)
		if r.Status != 200 || len(sc.Results) != 3 || sc.Results[0].Status != 202 || sc.Results[1].Error == nil ||
			sc.Results[1].Error.Errors[0].Location != "body.requests[1].project_id" || sc.Results[2].Status != 202 {
			t.Errorf("scoped key into its own and another project = %d %s", r.Status, r.Body)
		}
		if r := scoped.do("POST", "/api/v1/queue", into(a.project.ID)); r.Status != 422 && r.Status != 400 {
			t.Errorf("scoped single into the first project = %d %s", r.Status, r.Body)
		}

		// Revoked: refused on the next request (this node forgets at once).
		// The key is used just before, so its cache entry is fresh: only
		// the forgetting can refuse it, not the entry running out.
		sess := s.login(a)
		if r := ca.do("POST", "/api/v1/queue", hook("")); r.Status != 202 {
			t.Fatalf("enqueue before the revoke = %d %s", r.Status, r.Body)
		}
		if st := sess.do("DELETE", "/api/v1/api-keys/"+a.keyRow.ID.String(), nil).Status; st != 204 {
			t.Fatalf("revoke = %d", st)
		}
		for _, path := range []string{"/api/v1/queue", "/api/v1/queue/batch"} {
			body := any(hook(""))
			if strings.HasSuffix(path, "batch") {
				body = []any{hook("")}
			}
			if r := ca.do("POST", path, body); r.Status != 401 {
				t.Errorf("revoked key %s = %d %s", path, r.Status, r.Body)
			}
		}

		// Suspended: refused on the next request.
		cb := s.withKey(b.key)
		if r := cb.do("POST", "/api/v1/queue/batch", []any{hook("")}); r.Status != 200 {
			t.Fatalf("b's batch = %d %s", r.Status, r.Body)
		}
		if _, err := s.svc.SuspendOrganization(ctx, service.CLIOperator(), b.org.ID, "abuse"); err != nil {
			t.Fatal(err)
		}
		if r := cb.do("POST", "/api/v1/queue/batch", []any{hook("")}); r.Status != 403 {
			t.Errorf("suspended batch = %d %s", r.Status, r.Body)
		}
		if r := cb.do("POST", "/api/v1/queue", hook("")); r.Status != 403 {
			t.Errorf("suspended single = %d %s", r.Status, r.Body)
		}
	})
}

// TestQueueGroupCommit: 200 concurrent single enqueues, some sharing
// idempotency keys, are grouped into shared transactions yet answer each
// on its own: exactly one job per key, every caller with a key getting
// that job, every keyless caller its own.
func TestQueueGroupCommit(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		const n, keys = 200, 20
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			byKey   = map[string]map[string]bool{}
			created = map[string]int{}
			keyless = map[string]bool{}
		)
		for i := range n {
			wg.Go(func() {
				key := ""
				if i%4 != 0 {
					key = fmt.Sprintf("k%d", i%keys)
				}
				body := hook("")
				if i%10 == 9 {
					body["url"] = "ftp://example.com/x" // fails alone
				}
				var hs []string
				if key != "" {
					hs = []string{"Idempotency-Key", key}
				}
				r := c.do("POST", "/api/v1/queue", body, hs...)
				mu.Lock()
				defer mu.Unlock()
				if i%10 == 9 {
					if r.Status != 422 {
						t.Errorf("bad url = %d %s", r.Status, r.Body)
					}
					return
				}
				var got struct {
					JobID string `json:"job_id"`
				}
				r.json(t, &got)
				switch {
				case r.Status != 202 && r.Status != 200:
					t.Errorf("enqueue %d = %d %s", i, r.Status, r.Body)
				case key == "":
					keyless[got.JobID] = true
				default:
					if byKey[key] == nil {
						byKey[key] = map[string]bool{}
					}
					byKey[key][got.JobID] = true
					if r.Status == 202 {
						created[key]++
					}
				}
			})
		}
		wg.Wait()
		for k, ids := range byKey {
			if len(ids) != 1 || created[k] != 1 {
				t.Errorf("key %s: jobs %v, created %d times; want one", k, ids, created[k])
			}
		}
		if want := len(byKey) + len(keyless); len(s.sqlRows("SELECT id FROM jobs WHERE project_id = $1", tn.project.ID)) != want {
			t.Errorf("stored jobs != %d", want)
		}
		if n := len(s.sqlRows("SELECT e.id FROM executions e JOIN jobs j ON j.id = e.job_id WHERE j.project_id = $1", tn.project.ID)); n != len(byKey)+len(keyless) {
			t.Errorf("%d executions, want one per job", n)
		}
	})
}

// TestQueueBatchAnnounced: every execution a large batch creates reaches
// open dashboards (store.TopicExecutions), however many: PostgreSQL
// refuses a NOTIFY payload of 8000 bytes, so they go in several events.
func TestQueueBatchAnnounced(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		sub := s.store.Subscribe(store.TopicExecutions)
		defer sub.Close()
		items := make([]any, 150)
		for i := range items {
			items[i] = hook("")
		}
		r := c.do("POST", "/api/v1/queue/batch", items)
		var got batchAnswer
		r.json(t, &got)
		if r.Status != 200 || got.Enqueued != len(items) {
			t.Fatalf("batch = %d, %d enqueued: %s", r.Status, got.Enqueued, r.Body)
		}
		want := map[string]bool{}
		for _, res := range got.Results {
			want[res.ExecutionID] = true
		}
		timeout := time.After(30 * time.Second)
		for len(want) > 0 {
			select {
			case ev := <-sub.C:
				for line := range strings.Lines(ev.Payload) {
					if f := strings.Fields(line); len(f) == 2 {
						delete(want, f[1])
					}
				}
			case <-timeout:
				t.Fatalf("%d of %d created executions never announced", len(want), len(items))
			}
		}
	})
}
