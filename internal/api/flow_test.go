package api_test

import (
	"strings"
	"testing"
	"time"
)

// TestNewcomerFlow is the README's walk-through: register, confirm through
// the dev mailbox, sign in, create a key, and with the key create an hourly
// job, trigger it, list its executions and enqueue an immediate request.
func TestNewcomerFlow(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		anon := s.anon()
		r := anon.do("POST", "/api/v1/account/signup", map[string]string{"email": "New.Comer@Example.com", "password": "my first prikke password"})
		if r.Status != 202 {
			t.Fatalf("signup = %d %s", r.Status, r.Body)
		}
		m := s.lastMail("new.comer@example.com")
		if !strings.Contains(m.Subject, "onfirm") {
			t.Errorf("confirmation subject = %q", m.Subject)
		}
		tok := tokenFrom(t, m.Text)

		// Signing in before confirming is refused (and resends the link).
		sess := s.withSession()
		r = sess.do("POST", "/api/v1/account/login", map[string]string{"email": "new.comer@example.com", "password": "my first prikke password"})
		if r.Status != 403 {
			t.Errorf("login before confirming = %d %s", r.Status, r.Body)
		}
		if r = anon.do("POST", "/api/v1/account/confirm", map[string]string{"token": tok}); r.Status != 200 {
			t.Fatalf("confirm = %d %s", r.Status, r.Body)
		}
		r = sess.do("POST", "/api/v1/account/login", map[string]string{"email": "NEW.COMER@example.com", "password": "my first prikke password"})
		if r.Status != 200 {
			t.Fatalf("login = %d %s", r.Status, r.Body)
		}
		var acct struct {
			Email         string
			Organizations []struct{ ID, Name, Tier, Role string }
		}
		r.json(t, &acct)
		if acct.Email != "new.comer@example.com" || len(acct.Organizations) != 1 || acct.Organizations[0].Role != "owner" || acct.Organizations[0].Tier != "free" {
			t.Fatalf("account = %+v", acct)
		}
		org := acct.Organizations[0].ID

		r = sess.do("POST", "/api/v1/organizations/"+org+"/api-keys", map[string]string{"name": "laptop"})
		if r.Status != 201 {
			t.Fatalf("create key = %d %s", r.Status, r.Body)
		}
		var key struct {
			ID, Key string
			KeyID   string `json:"key_id"`
		}
		r.json(t, &key)
		if !strings.HasPrefix(key.Key, key.KeyID+"_") {
			t.Fatalf("key = %+v", key)
		}
		c := s.withKey(key.Key)

		r = c.do("POST", "/api/v1/jobs", map[string]any{"name": "hourly ping", "url": "https://example.com/hook", "interval": "hourly"})
		if r.Status != 201 {
			t.Fatalf("create job = %d %s", r.Status, r.Body)
		}
		var job struct {
			ID, Description, Method string
			ScheduleKind            string    `json:"schedule_kind"`
			CronExpression          string    `json:"cron_expression"`
			NextRunAt               time.Time `json:"next_run_at"`
		}
		r.json(t, &job)
		if job.ScheduleKind != "interval" || job.CronExpression != "0 * * * *" || job.Method != "GET" || job.Description == "" ||
			job.NextRunAt.Minute() != 0 || !job.NextRunAt.After(time.Now()) {
			t.Errorf("job = %+v", job)
		}
		r = c.do("POST", "/api/v1/jobs/"+job.ID+"/trigger", nil)
		if r.Status != 202 {
			t.Fatalf("trigger = %d %s", r.Status, r.Body)
		}
		r = c.do("GET", "/api/v1/jobs/"+job.ID+"/executions", nil)
		var page struct {
			Executions []struct {
				ID, Status string
				Manual     bool
			}
		}
		r.json(t, &page)
		if r.Status != 200 || len(page.Executions) != 1 || !page.Executions[0].Manual || page.Executions[0].Status != "pending" {
			t.Fatalf("executions = %d %s", r.Status, r.Body)
		}
		r = c.do("GET", "/api/v1/executions/"+page.Executions[0].ID, nil)
		if r.Status != 200 {
			t.Errorf("get execution = %d %s", r.Status, r.Body)
		}

		r = c.do("POST", "/api/v1/queue", map[string]any{"url": "https://example.com/hook", "body": `{"order":42}`}, "Idempotency-Key", "order-42")
		if r.Status != 202 {
			t.Fatalf("enqueue = %d %s", r.Status, r.Body)
		}
		var q struct {
			JobID       string `json:"job_id"`
			ExecutionID string `json:"execution_id"`
			Duplicate   bool
		}
		r.json(t, &q)
		r = c.do("POST", "/api/v1/queue", map[string]any{"url": "https://example.com/hook", "body": `{"order":42}`}, "Idempotency-Key", "order-42")
		var q2 struct {
			JobID       string `json:"job_id"`
			ExecutionID string `json:"execution_id"`
			Duplicate   bool
		}
		r.json(t, &q2)
		if r.Status != 200 || !q2.Duplicate || q2.JobID != q.JobID || q2.ExecutionID != q.ExecutionID {
			t.Errorf("repeated enqueue = %d %s; want 200 and the first request's ids", r.Status, r.Body)
		}
		if r = c.do("GET", "/api/v1/jobs/"+q.JobID+"/executions", nil); r.Status != 200 || !strings.Contains(string(r.Body), q.ExecutionID) {
			t.Errorf("queued request not in history: %d %s", r.Status, r.Body)
		}
		r = c.do("GET", "/api/v1/jobs", nil)
		if r.Status != 200 || strings.Contains(string(r.Body), q.JobID) || !strings.Contains(string(r.Body), job.ID) {
			t.Errorf("jobs list should hold the job, not the queued request: %s", r.Body)
		}
		// The hourly job becomes a one-time job, and back.
		at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		r = c.do("PATCH", "/api/v1/jobs/"+job.ID, map[string]any{"scheduled_at": at.Format(time.RFC3339)})
		var changed struct {
			ScheduleKind string     `json:"schedule_kind"`
			ScheduledAt  *time.Time `json:"scheduled_at"`
			NextRunAt    *time.Time `json:"next_run_at"`
		}
		r.json(t, &changed)
		if r.Status != 200 || changed.ScheduleKind != "once" || changed.ScheduledAt == nil || !changed.ScheduledAt.Equal(at) ||
			changed.NextRunAt == nil || !changed.NextRunAt.Equal(at) {
			t.Errorf("hourly to one-time = %d %s", r.Status, r.Body)
		}
		if r = c.do("PATCH", "/api/v1/jobs/"+job.ID, map[string]any{"cron_expression": "15 * * * *"}); r.Status != 200 ||
			!strings.Contains(string(r.Body), `"schedule_kind":"cron"`) {
			t.Errorf("one-time to cron = %d %s", r.Status, r.Body)
		}
		r = c.do("GET", "/api/v1/organizations/"+org+"/usage", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"limit":5000`) {
			t.Errorf("usage = %d %s", r.Status, r.Body)
		}
		// The spec is served.
		if r = anon.do("GET", "/api/v1/openapi.json", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"openapi":"3.1.0"`) {
			t.Errorf("openapi = %d", r.Status)
		}
	})
}
