package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// workflow creates a workflow of tn through the service.
func (d *dash) workflow(tn *tenant, name string, steps ...prikke.Step) *prikke.Workflow {
	d.t.Helper()
	wf, err := d.svc.WorkflowCreate(context.Background(), tn.actor(), &service.WorkflowInput{ProjectID: &tn.Project.ID,
		Name: name, Definition: prikke.WorkflowDefinition{Steps: steps}})
	if err != nil {
		d.t.Fatal(err)
	}
	return wf
}

// editorForm is the editor's form for a definition, as the page posts it
// (the JSON box unchanged).
func editorForm(name string, def *prikke.WorkflowDefinition) url.Values {
	v := workflowForm(name, def, 0).Values
	j := definitionJSON(cardsDefinition(workflowForm(name, def, 0)))
	v.Set("definition", j)
	v.Set("definition_shown", j)
	v.Set("op", "save")
	return v
}

var locationID = regexp.MustCompile(`/app/(?:workflows|runs)/([0-9a-zA-Z-]+)$`)

// TestWorkflowDashboard: a workflow made in the step editor (a card
// added with the button, a bad URL refused with the service's message
// beside that step's URL field, then saved), shown with its graph and
// version, listed, edited into version 2 from the JSON view; run from its
// page; the run's timeline polls while running and stops once it is
// cancelled, offering "Retry from here".
func TestWorkflowDashboard(t *testing.T) {
	storetest.Dialects(t, testWorkflowDashboard)
}

func testWorkflowDashboard(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	project := "/app/projects/" + tn.Project.ID.String()

	if p := b.get(project + "/workflows"); p.Status != http.StatusOK || !strings.Contains(p.Body, "No workflows yet") ||
		!strings.Contains(p.Body, `href="`+project+`/workflows"`) {
		t.Fatalf("empty list: %d", p.Status)
	}
	p := b.get(project + "/workflows/new")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `name="steps[0].key"`) || strings.Contains(p.Body, `name="steps[1].key"`) {
		t.Fatalf("new: %d", p.Status)
	}

	// "Add step" draws a second card and keeps what was typed.
	form := url.Values{"name": {"orders"}, "steps[0].key": {"login"}, "steps[0].method": {"POST"},
		"steps[0].url": {d.sink.URL("/login")}, "op": {"add"}}
	p = b.post(project+"/workflows", form)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `name="steps[1].key"`) || !strings.Contains(p.Body, html.EscapeString(d.sink.URL("/login"))) {
		t.Fatalf("add step: %d", p.Status)
	}

	// A bad URL on the second step: the service's message, beside it.
	bad := &prikke.WorkflowDefinition{Steps: []prikke.Step{
		{Key: "login", Method: "POST", URL: d.sink.URL("/login")},
		{Key: "call", Method: "GET", URL: "ftp://example.com/x"},
	}}
	_, err := d.svc.WorkflowCreate(context.Background(), tn.actor(), &service.WorkflowInput{ProjectID: &tn.Project.ID, Name: "x", Definition: *bad})
	var want string
	for _, fe := range prikke.ErrorFields(err) {
		if fe.Field == "definition.steps[1].url" {
			want = fe.Message
		}
	}
	if want == "" {
		t.Fatalf("the service took %+v: %v", bad, err)
	}
	p = b.post(project+"/workflows", editorForm("orders", bad))
	if p.Status != http.StatusUnprocessableEntity || shownError(p.Body, "steps[1].url") != want {
		t.Fatalf("bad url: %d, beside steps[1].url %q, want %q", p.Status, shownError(p.Body, "steps[1].url"), want)
	}

	// Fixed, it saves.
	good := &prikke.WorkflowDefinition{Steps: []prikke.Step{
		{Key: "login", Method: "POST", URL: d.sink.URL("/login")},
		{Key: "call", Method: "GET", URL: d.sink.URL("/call"), Headers: []prikke.Header{{Name: "X-Token", Value: "{{ steps.login.status }}"}}},
	}}
	p = b.post(project+"/workflows", editorForm("orders", good))
	m := locationID.FindStringSubmatch(p.location())
	if p.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %s", p.Status, p.location())
	}
	wfPath := p.location()
	p = b.get(wfPath)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `data-testid="workflow-graph"`) || !strings.Contains(p.Body, `data-step="call"`) ||
		!strings.Contains(p.Body, "Version 1") {
		t.Fatalf("workflow page: %d", p.Status)
	}
	if p := b.get(project + "/workflows"); !strings.Contains(p.Body, `href="`+wfPath+`"`) {
		t.Errorf("the list does not link the workflow")
	}

	// The editor shows the saved steps; a change in the JSON box wins.
	p = b.get(wfPath + "/edit")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `value="call"`) || !strings.Contains(p.Body, `name="version" value="1"`) {
		t.Fatalf("edit: %d", p.Status)
	}
	form = editorForm("orders", good)
	form.Set("version", "1")
	three := *good
	three.Steps = append(append([]prikke.Step{}, good.Steps...), prikke.Step{Key: "after", URL: d.sink.URL("/after"), Needs: []string{"login"}})
	j, _ := json.Marshal(three)
	form.Set("definition", string(j))
	p = b.post(wfPath, form)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("update from JSON: %d\n%s", p.Status, p.Body)
	}
	id, _ := prikke.ParseID(m[1])
	wf, err := d.svc.Workflow(context.Background(), tn.actor(), id)
	if err != nil || wf.Version != 2 || len(wf.Definition.Steps) != 3 {
		t.Fatalf("after update: %+v, %v", wf, err)
	}

	// Run now: a payload that is not JSON is refused beside the box.
	if p := b.post(wfPath+"/runs", url.Values{"payload": {"{nope"}}); p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "payload") == "" {
		t.Errorf("bad payload: %d", p.Status)
	}
	p = b.post(wfPath+"/runs", url.Values{"payload": {`{"order": 7}`}})
	rm := locationID.FindStringSubmatch(p.location())
	if p.Status != http.StatusSeeOther || rm == nil || !strings.HasPrefix(p.location(), "/app/runs/") {
		t.Fatalf("run now: %d %s", p.Status, p.location())
	}
	runPath := p.location()
	p = b.get(runPath)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `data-step-key="login"`) || !strings.Contains(p.Body, `data-step-key="after"`) ||
		!strings.Contains(p.Body, `hx-get="`+runPath+`/timeline"`) || !strings.Contains(p.Body, `data-testid="cancel-run"`) {
		t.Fatalf("run page: %d", p.Status)
	}
	if p := b.get(wfPath); !strings.Contains(p.Body, `href="`+runPath+`"`) {
		t.Error("the workflow page does not list the run")
	}

	// Cancelled: the timeline stops polling and offers a retry.
	if p := b.post(runPath+"/cancel", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", p.Status)
	}
	p = b.get(runPath + "/timeline")
	if p.Status != http.StatusOK || strings.Contains(p.Body, "hx-trigger") || !strings.Contains(p.Body, `data-run-status="cancelled"`) ||
		!strings.Contains(p.Body, `data-testid="retry-from"`) {
		t.Fatalf("timeline after cancel: %d\n%s", p.Status, p.Body)
	}
	if p := b.post(runPath+"/retry", url.Values{"from": {"login"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("retry: %d", p.Status)
	}
	if p := b.get(runPath + "/timeline"); !strings.Contains(p.Body, `data-run-status="running"`) {
		t.Error("the retried run is not running")
	}

	// Deleted, after a confirmation page, with its runs.
	if p := b.get(wfPath + "/delete"); p.Status != http.StatusOK || !strings.Contains(p.Body, `data-testid="confirm-delete"`) {
		t.Fatalf("delete page: %d", p.Status)
	}
	if p := b.post(wfPath+"/delete", nil); p.Status != http.StatusSeeOther || p.location() != project+"/workflows" {
		t.Fatalf("delete: %d %s", p.Status, p.location())
	}
	if p := b.get(wfPath); p.Status != http.StatusNotFound {
		t.Errorf("deleted workflow: %d", p.Status)
	}
	if p := b.get(runPath); p.Status != http.StatusNotFound {
		t.Errorf("deleted workflow's run: %d", p.Status)
	}
}

// TestWorkflowIsolation: another organization's workflow and run are
// 404s on every page and action; a viewer sees but has no editor.
func TestWorkflowIsolation(t *testing.T) {
	d := newDash(t, nil)
	owner, other := d.tenant(prikke.TierPro), d.tenant(prikke.TierPro)
	wf := d.workflow(owner, "mine", prikke.Step{Key: "a", URL: d.sink.URL("/a")})
	run, _, err := d.svc.RunStart(context.Background(), owner.actor(), wf.ID, &service.RunInput{Trigger: prikke.RunTriggerDashboard})
	if err != nil {
		t.Fatal(err)
	}
	b := d.as(other)
	w, r := workflowPath(wf.ID), runPath(run.ID)
	for _, path := range []string{w, w + "/edit", r, r + "/timeline"} {
		if p := b.get(path); p.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, p.Status)
		}
	}
	for _, path := range []string{w, w + "/runs", w + "/delete", r + "/cancel", r + "/retry"} {
		if p := b.post(path, url.Values{"name": {"x"}}); p.Status != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", path, p.Status)
		}
	}
	if p := b.get("/app/projects/" + owner.Project.ID.String() + "/workflows"); p.Status != http.StatusNotFound {
		t.Errorf("the other project's list = %d", p.Status)
	}
	// A viewer of the organization sees the pages but has no editor, no
	// Run now and no Cancel, and the service refuses the actions.
	viewer := d.tenant(prikke.TierFree)
	d.member(owner, viewer.User, prikke.RoleViewer)
	vb := d.as(viewer)
	if p := vb.get(w); p.Status != http.StatusOK || strings.Contains(p.Body, `data-testid="run-now"`) || strings.Contains(p.Body, w+"/edit") {
		t.Errorf("viewer's workflow page: %d", p.Status)
	}
	if p := vb.get(r); p.Status != http.StatusOK || strings.Contains(p.Body, `data-testid="cancel-run"`) {
		t.Errorf("viewer's run page: %d", p.Status)
	}
	if p := vb.get(w + "/edit"); p.Status != http.StatusForbidden {
		t.Errorf("viewer's editor: %d", p.Status)
	}
	for _, path := range []string{w + "/runs", r + "/cancel"} {
		if p := vb.post(path, url.Values{}); p.Status != http.StatusForbidden {
			t.Errorf("viewer's POST %s = %d, want 403", path, p.Status)
		}
	}
	// Still there, still running.
	if got, _, err := d.svc.Run(context.Background(), owner.actor(), run.ID); err != nil || got.Status != prikke.RunStatusRunning {
		t.Errorf("run after the other tenant's posts: %+v %v", got, err)
	}
}

// TestWorkflowSecretsDashboard: a secret set in project settings is
// listed by name and never rendered, not after saving, not with an error
// on the name; deleting removes it.
func TestWorkflowSecretsDashboard(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	settings := "/app/projects/" + tn.Project.ID.String() + "/settings"
	const value = "s3cr3t-value-never-shown"
	p := b.post("/app/projects/"+tn.Project.ID.String()+"/secrets", url.Values{"name": {"API_TOKEN"}, "value": {value}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("put: %d\n%s", p.Status, p.Body)
	}
	p = b.get(settings)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `data-secret="API_TOKEN"`) || strings.Contains(p.Body, value) {
		t.Fatalf("settings: %d, value shown: %v", p.Status, strings.Contains(p.Body, value))
	}
	// A bad name: the service's message beside it, the value not sent back.
	_, err := d.svc.SecretPut(context.Background(), tn.actor(), tn.Project.ID, "bad name!", value)
	if !formError(err) {
		t.Fatalf("the service took a bad name: %v", err)
	}
	p = b.post("/app/projects/"+tn.Project.ID.String()+"/secrets", url.Values{"name": {"bad name!"}, "value": {value}})
	if p.Status != http.StatusUnprocessableEntity || strings.Contains(p.Body, value) || !strings.Contains(html.UnescapeString(p.Body), prikke.ErrorFields(err)[0].Message) {
		t.Errorf("bad name: %d, value shown: %v", p.Status, strings.Contains(p.Body, value))
	}
	// Another tenant can neither list nor delete it.
	if p := d.as(d.tenant(prikke.TierPro)).post("/app/projects/"+tn.Project.ID.String()+"/secrets/API_TOKEN/delete", nil); p.Status != http.StatusNotFound {
		t.Errorf("other tenant's delete: %d", p.Status)
	}
	if p := b.post("/app/projects/"+tn.Project.ID.String()+"/secrets/API_TOKEN/delete", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.Status)
	}
	if p := b.get(settings); strings.Contains(p.Body, `data-secret="API_TOKEN"`) {
		t.Error("deleted secret still listed")
	}
}

// TestWorkflowDocs: /docs/workflows answers with the three examples and
// the index links it.
func TestWorkflowDocs(t *testing.T) {
	d := newDash(t, nil)
	b := d.anon()
	p := b.get("/docs/workflows")
	if p.Status != http.StatusOK {
		t.Fatalf("docs: %d", p.Status)
	}
	for _, id := range []string{"example-login", "example-fanout", "example-follow-up", "templates", "secrets", "idempotency", "limits"} {
		if !strings.Contains(p.Body, `id="`+id+`"`) {
			t.Errorf("no section %s", id)
		}
	}
	if !strings.Contains(p.Body, html.EscapeString("{{ steps.login.json.access_token }}")) {
		t.Error("the login example does not use the token")
	}
	if p := b.get("/docs"); !strings.Contains(p.Body, `href="/docs/workflows"`) {
		t.Error("the docs index does not link /docs/workflows")
	}
}

// TestWorkflowJobTarget: the job editor offers the project's workflows; a
// job saved with one starts it instead of calling a URL, its page says
// so, and its editor shows the choice; choosing none with a URL makes it
// call the URL again.
func TestWorkflowJobTarget(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	jobs := "/app/projects/" + tn.Project.ID.String() + "/jobs"
	if p := b.get(jobs + "/new"); strings.Contains(p.Body, `name="workflow_id"`) {
		t.Error("a project without workflows offers one")
	}
	wf := d.workflow(tn, "nightly", prikke.Step{Key: "a", URL: d.sink.URL("/a")})
	if p := b.get(jobs + "/new"); !strings.Contains(p.Body, `<option value="`+wf.ID.String()+`">nightly</option>`) {
		t.Fatal("the job editor does not offer the workflow")
	}
	p := b.post(jobs, jobForm("", func(v url.Values) { v.Set("workflow_id", wf.ID.String()); v.Set("body", `{"day": 1}`) }))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", p.Status, p.Body)
	}
	jobPath := p.location()
	if p := b.get(jobPath); !strings.Contains(p.Body, `data-testid="job-workflow"`) || !strings.Contains(p.Body, `href="`+workflowPath(wf.ID)+`"`) {
		t.Error("the job page does not show its workflow")
	}
	if p := b.get(jobPath + "/edit"); !strings.Contains(p.Body, `<option value="`+wf.ID.String()+`" selected>`) {
		t.Error("the editor does not show the chosen workflow")
	}
	p = b.post(jobPath, jobForm(d.sink.URL("/x"), func(v url.Values) { v.Set("workflow_id", "") }))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("back to a URL: %d", p.Status)
	}
	if p := b.get(jobPath); strings.Contains(p.Body, `data-testid="job-workflow"`) {
		t.Error("the job still starts the workflow")
	}
}

// TestWorkflowRunsPaging: a workflow's page lists its newest runs and
// links the older ones.
func TestWorkflowRunsPaging(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	wf := d.workflow(tn, "waits", prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Duration: "1h"}},
		prikke.Step{Key: "report", URL: "https://example.com/report"})
	var first *prikke.WorkflowRun
	for i := range runsShown + 1 {
		run, _, err := d.svc.RunStart(context.Background(), tn.actor(), wf.ID, &service.RunInput{Trigger: prikke.RunTriggerDashboard})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = run
		}
	}
	b := d.as(tn)
	p := b.get(workflowPath(wf.ID))
	if n := strings.Count(p.Body, `data-run-id="`); n != runsShown || strings.Contains(p.Body, `data-run-id="`+first.ID.String()+`"`) {
		t.Fatalf("first page: %d runs", n)
	}
	m := regexp.MustCompile(`href="([^"]*)" data-testid="older-runs"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("no link to older runs")
	}
	p = b.get(html.UnescapeString(m[1]))
	if n := strings.Count(p.Body, `data-run-id="`); n != 1 || !strings.Contains(p.Body, `data-run-id="`+first.ID.String()+`"`) {
		t.Errorf("second page: %d runs", n)
	}
}
