package service

// Workflows and their runs. Every method checks the actor's permission on
// the project (read to see, manage_jobs to change or run) as jobs do, and
// returns ENOTFOUND for another tenant's workflow or run, never EFORBIDDEN
// that would reveal it.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/template"
	"github.com/prikke/prikke/internal/workflow"
)

// WorkflowInput is a workflow as the API and the dashboard give it.
type WorkflowInput struct {
	ProjectID  *prikke.ID // for create; API keys bound to a project may omit it
	Name       string
	Definition prikke.WorkflowDefinition
	// Version, on update, is the version the edit was made from: a save
	// over a newer version is ECONFLICT. 0 skips the check.
	Version int
}

// WorkflowFilter selects workflows: a project's (default: an API key's
// project, else the actor's default project).
type WorkflowFilter struct {
	ProjectID *prikke.ID
	Limit     int
}

// RunFilter selects runs of one workflow or one project (default: an API
// key's project, else the actor's default project), newest first.
type RunFilter struct {
	WorkflowID *prikke.ID
	ProjectID  *prikke.ID
	Status     []prikke.RunStatus
	Before     *prikke.ID // cursor: runs older than this one (loaded for its creation time)
	// BeforeCreatedAt, with Before, is the cursor's creation time: given,
	// the run named by Before is not loaded (the API's cursors carry it).
	BeforeCreatedAt time.Time
	Limit           int
}

// RunInput starts a run.
type RunInput struct {
	Payload        json.RawMessage // JSON, ≤ prikke.MaxRunPayloadBytes; nil means null
	IdempotencyKey string
	Trigger        prikke.RunTrigger // api (default) or dashboard
}

// listProject resolves the project of a listing: the one named, else an
// API key's project, else the actor's default project.
func (s *Service) listProject(ctx context.Context, a *Actor, id *prikke.ID, what string) (*prikke.Project, error) {
	if id == nil {
		p, err := s.DefaultProject(ctx, a)
		if err != nil {
			return nil, err
		}
		id = &p.ID
	}
	return s.project(ctx, a, *id, prikke.PermRead, what)
}

// workflow loads a workflow the actor may act on with perm.
func (s *Service) workflow(ctx context.Context, a *Actor, id prikke.ID, perm prikke.Permission, what string) (*prikke.Workflow, error) {
	w, err := s.store.WorkflowGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil && *a.APIKey.ProjectID != w.ProjectID {
		return nil, notFound()
	}
	if _, err := s.can(ctx, a, w.OrganizationID, perm, what); err != nil {
		return nil, err
	}
	return w, nil
}

// run loads a run the actor may act on with perm.
func (s *Service) run(ctx context.Context, a *Actor, id prikke.ID, perm prikke.Permission, what string) (*prikke.WorkflowRun, error) {
	r, err := s.store.WorkflowRunGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil && *a.APIKey.ProjectID != r.ProjectID {
		return nil, notFound()
	}
	if _, err := s.can(ctx, a, r.OrganizationID, perm, what); err != nil {
		return nil, err
	}
	return r, nil
}

// checkWorkflow validates a workflow's name and definition against the
// tier, then that every secret its templates name exists in the project.
// Field names are the API's: "name", "definition.steps[1].url".
func (s *Service) checkWorkflow(ctx context.Context, projectID prikke.ID, name string, def *prikke.WorkflowDefinition, tier prikke.Tier) error {
	var v prikke.Validation
	prikke.ValidateName(&v, "name", name, true)
	if err := workflow.Validate(def, tier); err != nil {
		if prikke.ErrorCode(err) != prikke.EINVALID {
			return err
		}
		fs := prikke.ErrorFields(err)
		if len(fs) == 0 {
			v.Add("definition", "%s", prikke.ErrorMessage(err))
		}
		for _, f := range fs {
			v.Add("definition."+f.Field, "%s", stepMessage(def, f))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.checkSecrets(ctx, projectID, def)
}

// stepMessage makes sure a definition error's message names its step by
// key (users count steps by key, not by position).
func stepMessage(def *prikke.WorkflowDefinition, f prikke.FieldError) string {
	rest, ok := strings.CutPrefix(f.Field, "steps[")
	if !ok {
		return f.Message
	}
	n, _, _ := strings.Cut(rest, "]")
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= len(def.Steps) {
		return f.Message
	}
	key := def.Steps[i].Key
	if key == "" {
		return fmt.Sprintf("step %d: %s", i+1, f.Message)
	}
	if strings.HasPrefix(f.Message, "step "+key+":") || strings.Contains(f.Message, strconv.Quote(key)) {
		return f.Message
	}
	return fmt.Sprintf("step %s: %s", key, f.Message)
}

// checkSecrets refuses a definition whose templates name a secret the
// project does not have: the run would fail at that step.
func (s *Service) checkSecrets(ctx context.Context, projectID prikke.ID, def *prikke.WorkflowDefinition) error {
	var have map[string]bool
	var v prikke.Validation
	for i, st := range def.Steps {
		field := fmt.Sprintf("definition.steps[%d].", i)
		check := func(f, text string) error {
			t, err := template.Parse(text)
			if err != nil {
				return nil // Validate reported it
			}
			for _, p := range t.Paths() {
				if len(p) < 2 || p[0] != "secrets" {
					continue
				}
				if have == nil {
					ss, err := s.store.SecretList(ctx, projectID)
					if err != nil {
						return err
					}
					have = map[string]bool{}
					for _, sec := range ss {
						have[sec.Name] = true
					}
				}
				if !have[p[1]] && !v.Has(field+f) {
					v.Add(field+f, "step %s: secrets.%s is not a secret of this project: add it to the project first (PUT /api/v1/projects/%s/secrets/%s), or fix the name",
						st.Key, p[1], projectID, p[1])
				}
			}
			return nil
		}
		if err := check("url", st.URL); err != nil {
			return err
		}
		for j, h := range st.Headers {
			if err := check(fmt.Sprintf("headers[%d].value", j), h.Value); err != nil {
				return err
			}
		}
		if err := check("body", st.Body); err != nil {
			return err
		}
		if st.Delay != nil {
			if err := check("delay.until", st.Delay.Until); err != nil {
				return err
			}
		}
	}
	return v.Err()
}

// WorkflowCreate validates (workflow.Validate against the organization's
// tier; secrets its templates name must exist in the project) and stores
// a workflow at version 1.
func (s *Service) WorkflowCreate(ctx context.Context, a *Actor, in *WorkflowInput) (*prikke.Workflow, error) {
	p, err := s.targetProject(ctx, a, in.ProjectID, "create workflows")
	if err != nil {
		return nil, err
	}
	o, err := s.organization(ctx, p.OrganizationID)
	if err != nil {
		return nil, err
	}
	if err := s.checkWorkflow(ctx, p.ID, in.Name, &in.Definition, o.Tier); err != nil {
		return nil, err
	}
	now := s.now()
	w := &prikke.Workflow{ID: prikke.NewID(), ProjectID: p.ID, OrganizationID: o.ID, Name: in.Name,
		Definition: in.Definition, Health: prikke.JobHealthy, CreatedAt: now, UpdatedAt: now}
	if err := s.store.WorkflowCreate(ctx, w); err != nil {
		return nil, err
	}
	s.record(ctx, a, &o.ID, prikke.AuditWorkflowCreate, "workflow", w.ID.String(), w.Name)
	return s.store.WorkflowGet(ctx, w.ID)
}

// Workflow returns one workflow with its current definition.
func (s *Service) Workflow(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Workflow, error) {
	return s.workflow(ctx, a, id, prikke.PermRead, "see workflows")
}

// Workflows lists a project's workflows, oldest first.
func (s *Service) Workflows(ctx context.Context, a *Actor, f WorkflowFilter) ([]*prikke.Workflow, error) {
	p, err := s.listProject(ctx, a, f.ProjectID, "see workflows")
	if err != nil {
		return nil, err
	}
	return s.store.WorkflowList(ctx, store.WorkflowFilter{ProjectID: p.ID, Limit: f.Limit})
}

// WorkflowUpdate saves a new version (name and definition). Runs already
// started keep the version they started with.
func (s *Service) WorkflowUpdate(ctx context.Context, a *Actor, id prikke.ID, in *WorkflowInput) (*prikke.Workflow, error) {
	w, err := s.workflow(ctx, a, id, prikke.PermManageJobs, "change workflows")
	if err != nil {
		return nil, err
	}
	if in.ProjectID != nil && *in.ProjectID != w.ProjectID {
		return nil, prikke.InvalidField("project_id", "cannot be changed; create the workflow in the other project instead")
	}
	if in.Version < 0 {
		return nil, prikke.InvalidField("version", "must be the version your edit was made from (1 or more), or absent")
	}
	o, err := s.organization(ctx, w.OrganizationID)
	if err != nil {
		return nil, err
	}
	if err := s.checkWorkflow(ctx, w.ProjectID, in.Name, &in.Definition, o.Tier); err != nil {
		return nil, err
	}
	from := w.Version
	if in.Version != 0 {
		from = in.Version
	}
	if from > w.Version {
		return nil, prikke.InvalidField("version", "is %d, but the workflow is at version %d: send the version your edit was made from", from, w.Version)
	}
	if from != w.Version {
		return nil, staleVersion(from, w.Version)
	}
	w.Name, w.Definition, w.Version, w.UpdatedAt = in.Name, in.Definition, from, s.now()
	if err := s.store.WorkflowUpdate(ctx, w, w.UpdatedAt); err != nil {
		if isCode(err, prikke.ECONFLICT) {
			cur, gerr := s.store.WorkflowGet(ctx, id)
			if gerr == nil {
				return nil, staleVersion(from, cur.Version)
			}
		}
		return nil, err
	}
	s.record(ctx, a, &w.OrganizationID, prikke.AuditWorkflowUpdate, "workflow", w.ID.String(), fmt.Sprintf("%s (version %d)", w.Name, w.Version))
	return s.store.WorkflowGet(ctx, w.ID)
}

func staleVersion(from, now int) error {
	return prikke.Errorf(prikke.ECONFLICT, "This edit was made from version %d, but the workflow is at version %d now: someone saved it in between. Load the workflow again and redo your change.", from, now)
}

// WorkflowDelete deletes a workflow with its versions and runs, and the
// jobs that target it.
func (s *Service) WorkflowDelete(ctx context.Context, a *Actor, id prikke.ID) error {
	w, err := s.workflow(ctx, a, id, prikke.PermManageJobs, "delete workflows")
	if err != nil {
		return err
	}
	if err := s.store.WorkflowDelete(ctx, w.ID); err != nil {
		return err
	}
	s.record(ctx, a, &w.OrganizationID, prikke.AuditWorkflowDelete, "workflow", w.ID.String(), w.Name)
	return nil
}

// WorkflowVersion returns one saved version's definition.
func (s *Service) WorkflowVersion(ctx context.Context, a *Actor, id prikke.ID, version int) (*prikke.WorkflowDefinition, error) {
	w, err := s.workflow(ctx, a, id, prikke.PermRead, "see workflows")
	if err != nil {
		return nil, err
	}
	if version < 1 || version > w.Version {
		return nil, prikke.Errorf(prikke.ENOTFOUND, "This workflow has versions 1 to %d; there is no version %d.", w.Version, version)
	}
	return s.store.WorkflowVersionGet(ctx, w.ID, version)
}

// checkIdempotencyKey checks an Idempotency-Key header as Enqueue does.
func checkIdempotencyKey(v *prikke.Validation, key string) {
	if len(key) > MaxIdempotencyKey || !utf8.ValidString(key) ||
		strings.ContainsFunc(key, func(r rune) bool { return !unicode.IsPrint(r) }) {
		v.Add("Idempotency-Key", "must be at most 200 printable characters")
	}
}

// tierAllows refuses to start a run of a definition the organization's
// tier no longer allows (saved under Pro, now on Free).
func tierAllows(def *prikke.WorkflowDefinition, tier prikke.Tier) error {
	l := tier.Limits()
	if len(def.Steps) > l.WorkflowSteps {
		return prikke.Errorf(prikke.ELIMIT, "This workflow has %d steps, but the %s tier allows %d; remove steps or upgrade to Pro.", len(def.Steps), tier, l.WorkflowSteps)
	}
	if l.ForEachItems == 0 {
		for _, st := range def.Steps {
			if st.ForEach != "" {
				return prikke.Errorf(prikke.ELIMIT, "Step %q uses for_each, which the %s tier does not have; remove it or upgrade to Pro.", st.Key, tier)
			}
		}
	}
	return nil
}

// RunStart starts a run of the workflow's current version; created is
// false when the idempotency key matched an earlier run of the workflow
// (which is returned, as it is now).
func (s *Service) RunStart(ctx context.Context, a *Actor, workflowID prikke.ID, in *RunInput) (run *prikke.WorkflowRun, created bool, err error) {
	w, err := s.workflow(ctx, a, workflowID, prikke.PermManageJobs, "run workflows")
	if err != nil {
		return nil, false, err
	}
	var v prikke.Validation
	checkIdempotencyKey(&v, in.IdempotencyKey)
	payload := in.Payload
	switch {
	case len(payload) > prikke.MaxRunPayloadBytes:
		const msg = "is too large: max 64 KiB (65536 bytes); send less data, or a link to it"
		return nil, false, &prikke.Error{Code: prikke.ETOOLARGE, Message: "payload: " + msg, Fields: []prikke.FieldError{{Field: "payload", Message: msg}}}
	case len(payload) == 0:
		payload = json.RawMessage("null")
	case !json.Valid(payload):
		v.Add("payload", "is not valid JSON: send a JSON value, such as an object")
	}
	trigger := in.Trigger
	switch trigger {
	case "":
		trigger = prikke.RunTriggerAPI
	case prikke.RunTriggerAPI, prikke.RunTriggerDashboard:
	default:
		v.Add("trigger", `must be "api" or "dashboard"`)
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	o, err := s.organization(ctx, w.OrganizationID)
	if err != nil {
		return nil, false, err
	}
	if err := tierAllows(&w.Definition, o.Tier); err != nil {
		return nil, false, err
	}
	now := s.now()
	run, created, err = s.store.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: w.ID, Trigger: trigger,
		Payload: payload, IdempotencyKey: in.IdempotencyKey, ScheduledFor: now, Now: now})
	if err != nil {
		return nil, false, err
	}
	return run, created, nil
}

// Run returns a run with its step rows (in definition order, items after
// their step).
func (s *Service) Run(ctx context.Context, a *Actor, id prikke.ID) (*prikke.WorkflowRun, []*prikke.RunStep, error) {
	r, err := s.run(ctx, a, id, prikke.PermRead, "see runs")
	if err != nil {
		return nil, nil, err
	}
	steps, err := s.store.WorkflowRunSteps(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	return r, steps, nil
}

// runStatuses are the statuses a run filter may name.
var runStatuses = []prikke.RunStatus{prikke.RunStatusRunning, prikke.RunStatusSucceeded, prikke.RunStatusFailed, prikke.RunStatusCancelled}

// Runs lists runs newest first: a workflow's, else a project's.
func (s *Service) Runs(ctx context.Context, a *Actor, f RunFilter) ([]*prikke.WorkflowRun, error) {
	for _, st := range f.Status {
		ok := false
		for _, x := range runStatuses {
			ok = ok || st == x
		}
		if !ok {
			return nil, prikke.InvalidField("status", "must be running, succeeded, failed or cancelled")
		}
	}
	sf := store.RunFilter{Status: f.Status, Limit: f.Limit}
	var projectID prikke.ID
	if f.WorkflowID != nil {
		w, err := s.workflow(ctx, a, *f.WorkflowID, prikke.PermRead, "see runs")
		if err != nil {
			return nil, err
		}
		sf.WorkflowID, projectID = &w.ID, w.ProjectID
	} else {
		p, err := s.listProject(ctx, a, f.ProjectID, "see runs")
		if err != nil {
			return nil, err
		}
		sf.ProjectID, projectID = &p.ID, p.ID
	}
	if f.Before != nil {
		sf.BeforeID, sf.BeforeCreatedAt = *f.Before, f.BeforeCreatedAt
		if f.BeforeCreatedAt.IsZero() {
			r, err := s.store.WorkflowRunGet(ctx, *f.Before)
			if err != nil || r.ProjectID != projectID {
				return nil, prikke.InvalidField("before", "is not a run of this list")
			}
			sf.BeforeCreatedAt = r.CreatedAt
		}
	}
	return s.store.WorkflowRunList(ctx, sf)
}

// RunCancel cancels a running run: steps not finished are cancelled and
// their waiting attempts deleted (a request in flight finishes and is
// recorded, but starts nothing). ECONFLICT when the run has finished.
func (s *Service) RunCancel(ctx context.Context, a *Actor, id prikke.ID) (*prikke.WorkflowRun, error) {
	r, err := s.run(ctx, a, id, prikke.PermManageJobs, "cancel runs")
	if err != nil {
		return nil, err
	}
	if r.Status.Terminal() {
		return nil, runFinished(r)
	}
	got, err := s.store.WorkflowRunCancel(ctx, r.ID, s.now())
	if isCode(err, prikke.ECONFLICT) {
		if cur, gerr := s.store.WorkflowRunGet(ctx, r.ID); gerr == nil && cur.Status.Terminal() {
			return nil, runFinished(cur)
		}
	}
	return got, err
}

func runFinished(r *prikke.WorkflowRun) error {
	return prikke.Errorf(prikke.ECONFLICT, "This run has finished (%s); only a running run can be cancelled.", r.Status)
}

// RunRetry retries a failed or cancelled run from a step ("" = its first
// failed, else cancelled, step): that step and every step downstream of it
// start over; the others keep their outputs. ECONFLICT when the run is
// running or succeeded; EINVALID (field "from") when from is not a step
// of the run's version.
func (s *Service) RunRetry(ctx context.Context, a *Actor, id prikke.ID, from string) (*prikke.WorkflowRun, error) {
	r, err := s.run(ctx, a, id, prikke.PermManageJobs, "retry runs")
	if err != nil {
		return nil, err
	}
	if r.Status == prikke.RunStatusRunning || r.Status == prikke.RunStatusSucceeded {
		return nil, retryRefused(r)
	}
	if from != "" && r.Definition != nil {
		found := false
		keys := make([]string, 0, len(r.Definition.Steps))
		for _, st := range r.Definition.Steps {
			found = found || st.Key == from
			keys = append(keys, st.Key)
		}
		if !found {
			return nil, prikke.InvalidField("from", "%q is not a step of this run's version (%d); its steps are %s", from, r.Version, strings.Join(keys, ", "))
		}
	}
	got, err := s.store.WorkflowRunRetry(ctx, r.ID, from, s.now())
	switch {
	case isCode(err, prikke.ECONFLICT):
		if cur, gerr := s.store.WorkflowRunGet(ctx, r.ID); gerr == nil && (cur.Status == prikke.RunStatusRunning || cur.Status == prikke.RunStatusSucceeded) {
			return nil, retryRefused(cur)
		}
	case isCode(err, prikke.EINVALID) && len(prikke.ErrorFields(err)) == 0:
		return nil, prikke.InvalidField("from", "%s", prikke.ErrorMessage(err))
	}
	return got, err
}

func retryRefused(r *prikke.WorkflowRun) error {
	if r.Status == prikke.RunStatusRunning {
		return prikke.Errorf(prikke.ECONFLICT, "This run is still running; cancel it first, or wait for it to finish.")
	}
	return prikke.Errorf(prikke.ECONFLICT, "This run succeeded; only a failed or cancelled run can be retried. Start a new run instead.")
}
