package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web/statuspage"
)

// newOperatorDash is the dashboard with a tenant whose user is an operator
// (PRIKKE_OPERATOR_EMAILS lists it), on the clock.
func newOperatorDash(t *testing.T, st store.Store, clock *testClock) (*dash, *tenant) {
	t.Helper()
	var op *storetest.Tenant
	if st == nil {
		st = storetest.OpenSQLite(t)
	}
	op = storetest.NewTenant(t, st, prikke.TierFree)
	d := newDashConfig(t, st, func(c *service.Config) { c.OperatorEmails = []string{prikke.NormalizeEmail(op.User.Email)} }, clock.deps())
	return d, &tenant{Tenant: op}
}

// operatorRoutes are every route of the console, with a form a POST would
// carry.
func operatorRoutes(orgID, incidentID prikke.ID) []struct{ method, path string } {
	o, i := orgID.String(), incidentID.String()
	return []struct{ method, path string }{
		{"GET", "/operator"}, {"GET", "/operator/"}, {"POST", "/operator/incidents"},
		{"POST", "/operator/incidents/" + i + "/updates"}, {"GET", "/operator/orgs"}, {"GET", "/operator/orgs/" + o},
		{"POST", "/operator/orgs/" + o + "/suspend"}, {"POST", "/operator/orgs/" + o + "/unsuspend"},
		{"POST", "/operator/orgs/" + o + "/tier"}, {"GET", "/operator/nodes"}, {"GET", "/operator/audit"},
		{"GET", "/operator/no-such-tab"},
	}
}

// TestOperatorConsoleHidden: to anyone but an operator, signed in or not,
// every console route is the 404 page an unknown path gets, and nothing
// changes; the navigation links the console only for operators.
func TestOperatorConsoleHidden(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		d, op := newOperatorDash(t, st, &testClock{})
		victim := d.tenant(prikke.TierFree)
		inc, err := d.svc.OpenIncident(context.Background(), service.IncidentInput{Title: "Slow", Message: "Slow deliveries.", Components: []string{"api"}})
		if err != nil {
			t.Fatal(err)
		}
		unknown := d.as(victim).get("/no-such-page")
		if unknown.Status != http.StatusNotFound {
			t.Fatalf("unknown page: %s", unknown)
		}
		form := url.Values{"reason": {"spam"}, "title": {"x"}, "message": {"y"}, "status": {"resolved"}, "tier": {"pro"}}
		for name, b := range map[string]*browser{"member": d.as(victim), "anonymous": d.anon()} {
			for _, rt := range operatorRoutes(victim.Org.ID, inc.ID) {
				var r *reply
				if rt.method == "GET" {
					r = b.get(rt.path)
				} else {
					r = b.post(rt.path, form)
				}
				if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "<title>") || r.location() != "" {
					t.Errorf("%s: %s %s: %s", name, rt.method, rt.path, r)
				}
			}
		}
		o, _, err := d.svc.Organization(context.Background(), victim.actor(), victim.Org.ID)
		if err != nil || o.Suspended() || o.BaseTier == prikke.TierPro {
			t.Errorf("a non-operator's POSTs changed the organization: %+v, %v", o, err)
		}
		if got, _ := d.svc.Incidents(context.Background(), service.CLIOperator()); len(got) != 1 || got[0].Status != prikke.IncidentInvestigating {
			t.Errorf("a non-operator's POST changed the incident: %+v", got)
		}

		project := "/app/projects/" + victim.Project.ID.String()
		if r := d.as(victim).get(project); strings.Contains(r.Body, `href="/operator"`) {
			t.Errorf("a member's navigation links the console: %s", r)
		}
		if r := d.as(op).get("/app/projects/" + op.Project.ID.String()); !strings.Contains(r.Body, `href="/operator"`) ||
			!strings.Contains(r.Body, "Operator console") {
			t.Errorf("an operator's navigation lacks the console: %s", r)
		}
	})
}

// TestOperatorIncidents: an operator posts an incident (errors beside the
// fields), adds an update and resolves it; /status shows each step and the
// audit log lists them.
func TestOperatorIncidents(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		clock := &testClock{}
		d, op := newOperatorDash(t, st, clock)
		b := d.as(op)
		anon := d.anon()

		r := b.post("/operator/incidents", url.Values{"title": {""}, "message": {""}, "status": {"investigating"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="field-title-error"`) ||
			!strings.Contains(r.Body, `id="field-message-error"`) {
			t.Fatalf("empty incident: %s", r)
		}
		r = b.post("/operator/incidents", url.Values{"title": {"Deliveries delayed"}, "message": {"Requests start late."},
			"status": {"investigating"}, "components": {"delivery", "api"}})
		if r.Status != http.StatusSeeOther || r.location() != "/operator" {
			t.Fatalf("post incident: %s", r)
		}
		page := b.get("/operator")
		if page.Status != 200 || !strings.Contains(page.Body, "Deliveries delayed") || !strings.Contains(page.Body, "Requests start late.") ||
			!strings.Contains(page.Body, "posted on /status") {
			t.Fatalf("console after posting: %s", page)
		}
		incs, err := d.svc.Incidents(context.Background(), service.CLIOperator())
		if err != nil || len(incs) != 1 {
			t.Fatalf("incidents: %v, %v", incs, err)
		}
		id := incs[0].ID.String()
		clock.advance(statuspage.TTL)
		if s := anon.get("/status"); !strings.Contains(s.Body, "Deliveries delayed") || !strings.Contains(s.Body, "Requests start late.") {
			t.Errorf("/status after posting: %s", s)
		}

		// An update without a message: the error beside that incident's field.
		r = b.post("/operator/incidents/"+id+"/updates", url.Values{"status": {"identified"}, "message": {" "}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="field-`+id+`-message-error"`) {
			t.Fatalf("empty update: %s", r)
		}
		if r = b.post("/operator/incidents/"+id+"/updates", url.Values{"status": {"identified"}, "message": {"A slow disk."}}); r.Status != http.StatusSeeOther {
			t.Fatalf("update: %s", r)
		}
		clock.advance(statuspage.TTL)
		if s := anon.get("/status"); !strings.Contains(s.Body, "A slow disk.") {
			t.Errorf("/status after the update: %s", s)
		}
		if r = b.post("/operator/incidents/"+id+"/updates", url.Values{"status": {"identified"}, "message": {"Fixed."}, "resolve": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("resolve: %s", r)
		}
		page = b.get("/operator")
		if !strings.Contains(page.Body, "resolved.") || strings.Contains(page.Body, `data-testid="incident-update-form"`) {
			t.Errorf("console after resolving: %s", page)
		}
		clock.advance(statuspage.TTL)
		if p := b.get("/app/projects/" + op.Project.ID.String()); strings.Contains(p.Body, `data-testid="incident-banner"`) {
			t.Errorf("a resolved incident's banner: %s", p)
		}

		audit := b.get("/operator/audit")
		if audit.Status != 200 || strings.Count(audit.Body, string(prikke.AuditIncidentOpen)) != 1 ||
			strings.Count(audit.Body, string(prikke.AuditIncidentUpdate)) != 2 || !strings.Contains(audit.Body, op.User.Email) {
			t.Errorf("audit: %s", audit)
		}
	})
}

// TestOperatorSuspend: a suspension needs a reason (the error beside the
// field); once suspended, the organization's members see the banner on its
// pages, and a new job is refused with the operator's reason; unsuspending
// lifts both. The organization list finds it by its owner's email, and the
// audit log lists both actions.
func TestOperatorSuspend(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		d, op := newOperatorDash(t, st, &testClock{})
		b := d.as(op)
		victim := d.tenant(prikke.TierFree)
		member := d.tenant(prikke.TierFree)
		d.member(victim, member.User, prikke.RoleAdmin)
		org := "/operator/orgs/" + victim.Org.ID.String()

		list := b.get("/operator/orgs?q=" + url.QueryEscape(strings.ToUpper(victim.User.Email)))
		if list.Status != 200 || !strings.Contains(list.Body, `data-org-id="`+victim.Org.ID.String()+`"`) ||
			strings.Contains(list.Body, `data-org-id="`+op.Org.ID.String()+`"`) {
			t.Fatalf("search by owner email: %s", list)
		}
		if r := b.get(org); r.Status != 200 || !strings.Contains(r.Body, victim.User.Email) {
			t.Fatalf("organization page: %s", r)
		}
		if r := b.get("/operator/orgs/" + prikke.NewID().String()); r.Status != http.StatusNotFound {
			t.Errorf("unknown organization: %s", r)
		}

		r := b.post(org+"/suspend", url.Values{"reason": {"  "}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="field-reason-error"`) {
			t.Fatalf("suspend without a reason: %s", r)
		}
		if r = b.post(org+"/suspend", url.Values{"reason": {"Sending spam <b>loudly</b>"}}); r.Status != http.StatusSeeOther || r.location() != org {
			t.Fatalf("suspend: %s", r)
		}
		if r = b.get(org); !strings.Contains(r.Body, `data-testid="suspended"`) || !strings.Contains(r.Body, "Sending spam &lt;b&gt;loudly&lt;/b&gt;") {
			t.Errorf("organization page after suspending: %s", r)
		}
		if r = b.get("/operator/orgs?suspended=1"); !strings.Contains(r.Body, `data-org-id="`+victim.Org.ID.String()+`"`) ||
			strings.Contains(r.Body, `data-org-id="`+op.Org.ID.String()+`"`) {
			t.Errorf("suspended-only list: %s", r)
		}

		project := "/app/projects/" + victim.Project.ID.String()
		for _, tn := range []*tenant{victim, member} {
			mb := d.as(tn)
			for _, path := range []string{project, project + "/jobs", project + "/monitors", project + "/settings",
				"/app/orgs/" + victim.Org.ID.String() + "/members", "/app/orgs/" + victim.Org.ID.String() + "/api-keys",
				"/app/orgs/" + victim.Org.ID.String() + "/usage", "/app/orgs/" + victim.Org.ID.String() + "/billing", project + "/jobs/new"} {
				p := mb.get(path)
				if p.Status != 200 || !strings.Contains(p.Body, `data-testid="suspended-banner"`) ||
					!strings.Contains(p.Body, "Suspended by the operator: “Sending spam &lt;b&gt;loudly&lt;/b&gt;”") {
					t.Errorf("%s as %s while suspended: %s", path, tn.User.Email, p)
				}
			}
			r := mb.post(project+"/jobs", jobForm("https://example.com/hook", nil))
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "suspended by the operator: Sending spam") {
				t.Errorf("a new job while suspended: %s", r)
			}
		}
		if n, _ := d.store.JobCountByOrganization(context.Background(), victim.Org.ID); n != 0 {
			t.Errorf("a job was created while suspended: %d", n)
		}
		// Another organization of the member's is not touched.
		if p := d.as(member).get("/app/projects/" + member.Project.ID.String()); strings.Contains(p.Body, "suspended-banner") {
			t.Errorf("the banner on another organization: %s", p)
		}

		if r = b.post(org+"/unsuspend", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("unsuspend: %s", r)
		}
		if p := d.as(victim).get(project); strings.Contains(p.Body, "suspended-banner") {
			t.Errorf("the banner after unsuspending: %s", p)
		}
		if r = d.as(victim).post(project+"/jobs", jobForm("https://example.com/hook", nil)); r.Status != http.StatusSeeOther {
			t.Errorf("a new job after unsuspending: %s", r)
		}
		if r = b.post(org+"/tier", url.Values{"tier": {"pro"}}); r.Status != http.StatusSeeOther {
			t.Errorf("set tier: %s", r)
		}

		audit := b.get("/operator/audit")
		for _, a := range []prikke.AuditAction{prikke.AuditOrganizationSuspend, prikke.AuditOrganizationUnsuspend, prikke.AuditOperatorTier} {
			if !strings.Contains(audit.Body, ">"+string(a)+"<") {
				t.Errorf("audit lacks %s: %s", a, audit)
			}
		}
		if strings.Index(audit.Body, string(prikke.AuditOperatorTier)) > strings.Index(audit.Body, string(prikke.AuditOrganizationSuspend)) {
			t.Errorf("audit is not newest first: %s", audit)
		}
	})
}

// TestOperatorNodes: the nodes tab shows each node's heartbeat: version,
// schema, load and the leader; a silent node is marked stale.
func TestOperatorNodes(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		clock := &testClock{}
		d, op := newOperatorDash(t, st, clock)
		b := d.as(op)
		if r := b.get("/operator/nodes"); r.Status != 200 || !strings.Contains(r.Body, "No node heartbeats") {
			t.Fatalf("no nodes: %s", r)
		}
		n := prikke.NodeInfo{ID: "node-a", Version: "v1.7.0", Revision: "abc123", Schema: 12, StartedAt: time.Now().Add(-time.Hour),
			InFlight: 3, Workers: 32, Goroutines: 120, HeapBytes: 12 << 20, Load1: 0.42, Leader: true}
		detail, _ := json.Marshal(n)
		if err := st.HeartbeatPut(context.Background(), store.NodeBeat+n.ID, string(detail)); err != nil {
			t.Fatal(err)
		}
		r := b.get("/operator/nodes")
		for _, want := range []string{`data-node-id="node-a"`, "v1.7.0", "abc123", "<td>12</td>", "3 / 32", "12.0 MiB", "0.42", `data-testid="leader"`, " s ago"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("nodes lacks %q: %s", want, r)
			}
		}
		if strings.Contains(r.Body, `data-testid="stale"`) {
			t.Errorf("a fresh node marked stale: %s", r)
		}
		clock.advance(2 * time.Minute)
		if r = b.get("/operator/nodes"); !strings.Contains(r.Body, `data-testid="stale"`) || !strings.Contains(r.Body, "2 min ago") {
			t.Errorf("a silent node: %s", r)
		}
	})
}

func TestAgoAndBytes(t *testing.T) {
	for d, want := range map[time.Duration]string{3 * time.Second: "3 s ago", 90 * time.Second: "1 min ago", 3 * time.Hour: "3 h ago", -time.Second: "just now"} {
		if got := agoWords(d); got != want {
			t.Errorf("agoWords(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[uint64]string{512: "512 B", 1536: "1.5 KiB", 12 << 20: "12.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := byteWords(n); got != want {
			t.Errorf("byteWords(%d) = %q, want %q", n, got, want)
		}
	}
}
