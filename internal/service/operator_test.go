package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// opFixture is a service whose PRIKKE_OPERATOR_EMAILS lists
// ops@example.com, with its mailbox and clock.
type opFixture struct {
	st    store.Store
	svc   *service.Service
	box   *mail.Mailbox
	clock *clock
}

func onOperatorStores(t *testing.T, fn func(t *testing.T, f *opFixture)) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &opFixture{st: open(t), box: mail.NewMailbox(), clock: &clock{t: storetest.T0}}
			f.svc = service.New(f.st, auth.NewHasher(), f.box, delivery.New(delivery.Options{}),
				service.Config{BaseURL: "http://prikke.test", OperatorEmails: []string{"ops@example.com"}},
				slog.New(slog.DiscardHandler))
			f.svc.NowFunc = f.clock.now
			fn(t, f)
		})
	}
}

// operatorAudit returns the operator actions on record, oldest first.
func (f *opFixture) operatorAudit(t *testing.T) []*prikke.AuditEntry {
	t.Helper()
	es, err := f.svc.OperatorAudit(context.Background(), service.CLIOperator(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(es)
	return es
}

func TestIsOperator(t *testing.T) {
	t.Parallel()
	onOperatorStores(t, func(t *testing.T, f *opFixture) {
		now := storetest.T0
		for _, c := range []struct {
			email     string
			confirmed bool
			want      bool
		}{
			{"ops@example.com", true, true},
			{" Ops@Example.COM", true, true}, // normalised as account emails are
			{"ops@example.com", false, false},
			{"other@example.com", true, false},
		} {
			u := &prikke.User{ID: prikke.NewID(), Email: c.email}
			if c.confirmed {
				u.ConfirmedAt = &now
			}
			if got := f.svc.IsOperator(u); got != c.want {
				t.Errorf("IsOperator(%q, confirmed %v) = %v", c.email, c.confirmed, got)
			}
			op, err := f.svc.OperatorFor(&service.Actor{User: u})
			if c.want && (err != nil || op.User != u) {
				t.Errorf("OperatorFor(%q) = %+v, %v", c.email, op, err)
			}
			if !c.want && prikke.ErrorCode(err) != prikke.ENOTFOUND {
				t.Errorf("OperatorFor(%q): %v, want not found", c.email, err)
			}
		}
		ops := &prikke.User{ID: prikke.NewID(), Email: "ops@example.com", ConfirmedAt: &now}
		if _, err := f.svc.OperatorFor(&service.Actor{User: ops, APIKey: &prikke.APIKey{}}); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("an API key is an operator: %v", err)
		}
		if f.svc.IsOperator(nil) {
			t.Error("nil is an operator")
		}
		// A user who is no operator gets nothing from the operator methods.
		notOp := &service.Operator{User: &prikke.User{ID: prikke.NewID(), Email: "x@example.com", ConfirmedAt: &now}}
		if _, err := f.svc.OperatorOrganizations(context.Background(), notOp, store.OrganizationSummaryFilter{}); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("OperatorOrganizations for a user: %v", err)
		}
		if _, err := f.svc.SuspendOrganization(context.Background(), nil, prikke.NewID(), "x"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("SuspendOrganization without an operator: %v", err)
		}
	})
}

// TestSuspendRoundTrip: a suspension pauses the organization's jobs and
// monitors and drops its queued message, refuses its API key with the
// reason and its members' changes (not their reads), mails its owner and
// is audited; no execution of it is claimed after. Lifting it resumes
// exactly what it paused and opens everything again.
func TestSuspendRoundTrip(t *testing.T) {
	t.Parallel()
	onOperatorStores(t, func(t *testing.T, f *opFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierPro)
		other := storetest.NewTenant(t, f.st, prikke.TierPro)
		owner := &service.Actor{User: tn.User}
		var jobs []*prikke.Job
		for _, name := range []string{"a", "b"} {
			j, err := f.svc.CreateJob(ctx, owner, hourly(name))
			if err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, j)
		}
		paused, err := f.svc.CreateJob(ctx, owner, hourly("paused-by-its-user"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PauseJob(ctx, owner, paused.ID); err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.CreateMonitor(ctx, owner, &service.MonitorInput{Slug: ptr("backup"), Period: ptr("1h")})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := f.svc.Enqueue(ctx, owner, &service.QueueInput{URL: "https://example.com/q", DelaySeconds: ptr(600)}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.TriggerJob(ctx, owner, jobs[0].ID); err != nil {
			t.Fatal(err)
		}
		key, _, err := f.svc.CreateAPIKey(ctx, owner, tn.Org.ID, service.APIKeyInput{Name: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		otherJob, err := f.svc.CreateJob(ctx, &service.Actor{User: other.User}, hourly("other"))
		if err != nil {
			t.Fatal(err)
		}

		for _, bad := range []string{"", "   ", strings.Repeat("x", prikke.MaxSuspendReason+1)} {
			_, err := f.svc.SuspendOrganization(ctx, service.CLIOperator(), tn.Org.ID, bad)
			if fs := prikke.ErrorFields(err); len(fs) != 1 || fs[0].Field != "reason" {
				t.Errorf("reason %.10q: %v", bad, err)
			}
		}
		if _, err := f.svc.SuspendOrganization(ctx, service.CLIOperator(), prikke.NewID(), "spam"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("an unknown organization: %v", err)
		}

		f.clock.set(storetest.T0.Add(time.Minute))
		res, err := f.svc.SuspendOrganization(ctx, service.CLIOperator(), tn.Org.ID, "  Sending spam to strangers \n")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) != 2 || len(res.Monitors) != 1 || res.Cancelled < 1 {
			t.Errorf("suspend paused %d jobs, %d monitors, cancelled %d", len(res.Jobs), len(res.Monitors), res.Cancelled)
		}
		o, err := f.st.OrganizationGet(ctx, tn.Org.ID)
		if err != nil || !o.Suspended() || o.SuspendReason != "Sending spam to strangers" {
			t.Fatalf("organization after suspend: %+v, %v", o, err)
		}
		for _, j := range jobs {
			got, _ := f.st.JobGet(ctx, j.ID)
			if got.Enabled || got.PauseReason != prikke.PauseForSuspension {
				t.Errorf("job %s: enabled %v, reason %q", got.Name, got.Enabled, got.PauseReason)
			}
		}
		if got, _ := f.st.JobGet(ctx, paused.ID); got.PauseReason != "" {
			t.Errorf("the user's pause became %q", got.PauseReason)
		}
		if got, _ := f.st.MonitorGet(ctx, m.ID); got.Status != prikke.MonitorPaused || got.PauseReason != prikke.PauseForSuspension {
			t.Errorf("monitor: %s, reason %q", got.Status, got.PauseReason)
		}

		// Its API key: 403 with the reason.
		_, err = f.svc.AuthenticateKey(ctx, key)
		if prikke.ErrorCode(err) != prikke.EFORBIDDEN || !strings.Contains(prikke.ErrorMessage(err), "suspended by the operator: Sending spam to strangers") {
			t.Errorf("the suspended organization's key: %v", err)
		}
		// Its members: every change refused with the reason.
		want := "This organization is suspended by the operator: Sending spam to strangers"
		refused := func(what string, err error) {
			t.Helper()
			if prikke.ErrorCode(err) != prikke.EFORBIDDEN || prikke.ErrorMessage(err) != want {
				t.Errorf("%s while suspended: %v", what, err)
			}
		}
		_, err = f.svc.CreateJob(ctx, owner, hourly("new"))
		refused("create a job", err)
		_, err = f.svc.UpdateJob(ctx, owner, jobs[0].ID, &service.JobInput{Enabled: ptr(true)})
		refused("resume a job", err)
		_, err = f.svc.TriggerJob(ctx, owner, jobs[1].ID)
		refused("run a job now", err)
		refused("delete a job", f.svc.DeleteJob(ctx, owner, jobs[1].ID))
		_, err = f.svc.CreateMonitor(ctx, owner, &service.MonitorInput{Slug: ptr("new"), Period: ptr("1h")})
		refused("create a monitor", err)
		_, _, _, err = f.svc.Enqueue(ctx, owner, &service.QueueInput{URL: "https://example.com/q"}, "")
		refused("enqueue", err)
		_, err = f.svc.CreateProject(ctx, owner, tn.Org.ID, service.ProjectInput{Name: ptr("p")})
		refused("create a project", err)
		_, _, err = f.svc.CreateAPIKey(ctx, owner, tn.Org.ID, service.APIKeyInput{Name: "more"})
		refused("create a key", err)
		_, err = f.svc.Invite(ctx, owner, tn.Org.ID, "friend@example.com", prikke.RoleMember)
		refused("invite", err)
		// Reads stay open.
		if js, err := f.svc.Jobs(ctx, owner, service.JobFilter{}); err != nil || len(js) != 3 {
			t.Errorf("jobs while suspended: %d, %v", len(js), err)
		}
		if _, err := f.svc.APIKeys(ctx, owner, tn.Org.ID); err != nil {
			t.Errorf("API keys while suspended: %v", err)
		}
		if _, err := f.svc.Invitations(ctx, owner, tn.Org.ID); err != nil {
			t.Errorf("invitations while suspended: %v", err)
		}
		if _, err := f.svc.Usage(ctx, owner, tn.Org.ID); err != nil {
			t.Errorf("usage while suspended: %v", err)
		}
		// Another organization is untouched.
		if _, err := f.svc.UpdateJob(ctx, &service.Actor{User: other.User}, otherJob.ID, &service.JobInput{Name: ptr("renamed")}); err != nil {
			t.Errorf("another organization's change: %v", err)
		}
		// Nothing of it is claimed any more, however late.
		cl, err := f.st.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 100, Now: storetest.T0.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cl.Claimed {
			if c.Execution.OrganizationID == tn.Org.ID {
				t.Errorf("claimed %s of the suspended organization", c.Execution.ID)
			}
		}

		// The owner was mailed the reason.
		var mails []mail.Stored
		for _, ms := range f.box.List() {
			if strings.Contains(ms.Subject, "is suspended") {
				mails = append(mails, ms)
			}
		}
		if len(mails) != 1 || !slices.Equal(mails[0].To, []string{tn.User.Email}) || !strings.Contains(mails[0].Text, "Sending spam to strangers") ||
			!strings.Contains(mails[0].Text, "2 jobs and 1 monitor paused") {
			t.Errorf("suspended mails = %+v", mails)
		}

		// Lifting it.
		f.clock.set(storetest.T0.Add(2 * time.Minute))
		res, err = f.svc.UnsuspendOrganization(ctx, service.CLIOperator(), tn.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) != 2 || len(res.Monitors) != 1 {
			t.Errorf("unsuspend resumed %d jobs, %d monitors", len(res.Jobs), len(res.Monitors))
		}
		if o, _ := f.st.OrganizationGet(ctx, tn.Org.ID); o.Suspended() || o.SuspendReason != "" {
			t.Errorf("organization after unsuspend: %+v", o)
		}
		for _, j := range jobs {
			got, _ := f.st.JobGet(ctx, j.ID)
			if !got.Enabled || got.PauseReason != "" || got.NextRunAt == nil {
				t.Errorf("job %s after unsuspend: enabled %v, reason %q, next %v", got.Name, got.Enabled, got.PauseReason, got.NextRunAt)
			}
		}
		if got, _ := f.st.JobGet(ctx, paused.ID); got.Enabled {
			t.Error("the user's pause was resumed")
		}
		if _, err := f.svc.AuthenticateKey(ctx, key); err != nil {
			t.Errorf("the key after unsuspend: %v", err)
		}
		if _, err := f.svc.CreateJob(ctx, owner, hourly("after")); err != nil {
			t.Errorf("create after unsuspend: %v", err)
		}
		// Unsuspending again changes and records nothing.
		if res, err := f.svc.UnsuspendOrganization(ctx, service.CLIOperator(), tn.Org.ID); err != nil || len(res.Jobs)+len(res.Monitors) != 0 {
			t.Errorf("unsuspend twice: %+v, %v", res, err)
		}

		var actions []string
		for _, e := range f.operatorAudit(t) {
			if e.OrganizationID == nil || *e.OrganizationID != tn.Org.ID || e.ActorEmail != "cli" || e.TargetType != "organization" || e.TargetID != tn.Org.ID.String() {
				t.Errorf("audit entry %+v", e)
			}
			actions = append(actions, string(e.Action)+": "+e.Detail)
		}
		if !slices.Equal(actions, []string{"operator.suspend: Sending spam to strangers", "operator.unsuspend: resumed 2 jobs and 1 monitors"}) {
			t.Errorf("operator audit = %q", actions)
		}
		// The organization's admins see it in their own audit log too.
		es, err := f.svc.Audit(ctx, owner, tn.Org.ID, time.Time{}, prikke.ID{}, 100)
		if err != nil || !slices.ContainsFunc(es, func(e *prikke.AuditEntry) bool { return e.Action == prikke.AuditOrganizationSuspend }) {
			t.Errorf("the organization's audit log: %v", err)
		}
	})
}

// TestUnsuspendEnforcesTheTier: an organization moved to Free while
// suspended gets, when the suspension is lifted, what Free allows: its
// oldest five, the rest paused for the plan.
func TestUnsuspendEnforcesTheTier(t *testing.T) {
	t.Parallel()
	onOperatorStores(t, func(t *testing.T, f *opFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierPro)
		owner := &service.Actor{User: tn.User}
		var ids []prikke.ID
		for i := range 7 {
			f.clock.set(storetest.T0.Add(time.Duration(i+1) * time.Minute))
			j, err := f.svc.CreateJob(ctx, owner, hourly(fmt.Sprintf("job-%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, j.ID)
		}
		f.clock.set(storetest.T0.Add(time.Hour))
		if _, err := f.svc.SuspendOrganization(ctx, service.CLIOperator(), tn.Org.ID, "unpaid"); err != nil {
			t.Fatal(err)
		}
		o, err := f.svc.SetBaseTierAs(ctx, service.CLIOperator(), tn.Org.ID, prikke.TierFree)
		if err != nil || o.Tier != prikke.TierFree {
			t.Fatalf("set-tier free while suspended: %+v, %v", o, err)
		}
		if _, err := f.svc.UnsuspendOrganization(ctx, service.CLIOperator(), tn.Org.ID); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			j, _ := f.st.JobGet(ctx, id)
			if want := i < 5; j.Enabled != want || (j.PauseReason == prikke.PauseForPlan) == want {
				t.Errorf("job %d after unsuspend on Free: enabled %v, reason %q", i, j.Enabled, j.PauseReason)
			}
		}
		var actions []string
		for _, e := range f.operatorAudit(t) {
			actions = append(actions, string(e.Action))
		}
		if !slices.Equal(actions, []string{"operator.suspend", "operator.tier", "operator.unsuspend"}) {
			t.Errorf("operator audit = %q", actions)
		}
	})
}

// TestOperatorIncidents: a dashboard operator's incident and its
// resolution are audited under the operator, listed for the console.
func TestOperatorIncidents(t *testing.T) {
	t.Parallel()
	onOperatorStores(t, func(t *testing.T, f *opFixture) {
		ctx := context.Background()
		now := storetest.T0
		u := &prikke.User{ID: prikke.NewID(), Email: "ops@example.com", ConfirmedAt: &now}
		op, err := f.svc.OperatorFor(&service.Actor{User: u, IP: "192.0.2.1", RequestID: "req-1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.OpenIncidentAs(ctx, op, service.IncidentInput{Title: "t"}); prikke.ErrorCode(err) != prikke.EINVALID {
			t.Errorf("an incident without a message: %v", err)
		}
		inc, err := f.svc.OpenIncidentAs(ctx, op, service.IncidentInput{Title: "Delays on delivery", Message: "Looking into it", Components: []string{"delivery"}})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.set(now.Add(time.Minute))
		if inc, err = f.svc.UpdateIncidentAs(ctx, service.CLIOperator(), inc.ID, prikke.IncidentResolved, "Fixed"); err != nil || inc.Status != prikke.IncidentResolved {
			t.Fatalf("resolve: %+v, %v", inc, err)
		}
		incs, err := f.svc.Incidents(ctx, op)
		if err != nil || len(incs) != 1 || incs[0].ID != inc.ID {
			t.Errorf("incidents = %+v, %v", incs, err)
		}
		es := f.operatorAudit(t)
		if len(es) != 2 {
			t.Fatalf("operator audit: %d entries", len(es))
		}
		if e := es[0]; e.Action != prikke.AuditIncidentOpen || e.ActorUserID == nil || *e.ActorUserID != u.ID || e.ActorEmail != "ops@example.com" ||
			e.IP != "192.0.2.1" || e.RequestID != "req-1" || e.OrganizationID != nil || e.TargetID != inc.ID.String() || e.Detail != "investigating: Delays on delivery" {
			t.Errorf("open audited as %+v", e)
		}
		if e := es[1]; e.Action != prikke.AuditIncidentUpdate || e.ActorUserID != nil || e.ActorEmail != "cli" || e.Detail != "resolved: Fixed" {
			t.Errorf("resolve audited as %+v", e)
		}
	})
}

// TestOperatorOrganizations: the console's list has the organization's
// tier, counts and suspension, found by its owner's email.
func TestOperatorOrganizations(t *testing.T) {
	t.Parallel()
	onOperatorStores(t, func(t *testing.T, f *opFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		storetest.NewTenant(t, f.st, prikke.TierPro)
		if _, err := f.svc.CreateJob(ctx, &service.Actor{User: tn.User}, hourly("a")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SuspendOrganization(ctx, service.CLIOperator(), tn.Org.ID, "spam"); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.OperatorOrganizations(ctx, service.CLIOperator(), store.OrganizationSummaryFilter{Query: " " + strings.ToUpper(tn.User.Email)})
		if err != nil || len(got) != 1 {
			t.Fatalf("by owner email: %d, %v", len(got), err)
		}
		if s := got[0]; s.Organization.ID != tn.Org.ID || s.Organization.Tier != prikke.TierFree || s.OwnerEmail != tn.User.Email ||
			s.Jobs != 1 || s.Members != 1 || !s.Organization.Suspended() || s.Organization.SuspendReason != "spam" {
			t.Errorf("summary = %+v", s)
		}
		if got, err := f.svc.OperatorOrganizations(ctx, service.CLIOperator(), store.OrganizationSummaryFilter{Suspended: true}); err != nil || len(got) != 1 {
			t.Errorf("suspended only: %d, %v", len(got), err)
		}
	})
}

// TestNodes: the node heartbeats round-trip through the console's list;
// an unreadable one is skipped, one silent for an hour forgotten.
func TestNodes(t *testing.T) {
	t.Parallel()
	onOperatorStores(t, func(t *testing.T, f *opFixture) {
		ctx := context.Background()
		started := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		b, _ := json.Marshal(prikke.NodeInfo{ID: "node-b", Version: "1.2.3", Schema: 12, StartedAt: started, InFlight: 3, Workers: 512,
			Goroutines: 40, HeapBytes: 1 << 20, Load1: 0.5, Leader: true})
		for name, detail := range map[string]string{"node-b": string(b), "node-a": `{"id":"node-a","version":"1.2.2"}`, "bad": "{"} {
			if err := f.st.HeartbeatPut(ctx, store.NodeBeat+name, detail); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.st.HeartbeatPut(ctx, store.WorkerBeat+"node-a", ""); err != nil {
			t.Fatal(err)
		}
		f.svc.NowFunc = time.Now // the heartbeats carry the database clock
		nodes, err := f.svc.Nodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) != 2 || nodes[0].ID != "node-a" || nodes[1].ID != "node-b" {
			t.Fatalf("nodes = %+v", nodes)
		}
		n := nodes[1]
		if n.Version != "1.2.3" || n.Schema != 12 || !n.StartedAt.Equal(started) || n.InFlight != 3 || n.Workers != 512 ||
			n.Goroutines != 40 || n.HeapBytes != 1<<20 || n.Load1 != 0.5 || !n.Leader || n.BeatAt.IsZero() || time.Since(n.BeatAt) > time.Minute {
			t.Errorf("node = %+v", n)
		}
		f.svc.NowFunc = func() time.Time { return time.Now().Add(service.NodeForgetAfter + time.Minute) }
		if nodes, err := f.svc.Nodes(ctx); err != nil || len(nodes) != 0 {
			t.Errorf("nodes silent for an hour: %+v, %v", nodes, err)
		}
	})
}
