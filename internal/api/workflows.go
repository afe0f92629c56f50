package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// WorkflowRequest is a workflow as clients send it: on create and on
// update (PUT) alike, the whole workflow.
type WorkflowRequest struct {
	ProjectID  *string             `json:"project_id,omitempty" doc:"Project to create the workflow in (default: the key's project, or the organization's first). On update, absent or the workflow's own."`
	Name       string              `json:"name" minLength:"1" maxLength:"200" doc:"A name for people, not blank; the same rules as a job's name." example:"sync new customers"`
	Definition *WorkflowDefinition `json:"definition" doc:"The steps, checked against the organization's tier (Free: 3 steps, no for_each; Pro: 50 steps)."`
	Version    int                 `json:"version,omitempty" minimum:"0" doc:"On update: the version your edit was made from. If someone saved a newer version since, the save is refused (409) instead of overwriting it. Absent or 0: no check." example:"3"`
}

// WorkflowDefinition is a workflow's steps.
type WorkflowDefinition struct {
	Steps []*WorkflowStep `json:"steps" doc:"The steps, in order: without needs, a step runs after the one before it."`
}

// WorkflowStep is one step: an HTTP request (once, or once per item with
// for_each) or a delay. URL, header values, body and delay.until may
// hold templates.
type WorkflowStep struct {
	Key            string            `json:"key" maxLength:"64" doc:"Unique name: a-z, 0-9, _ and -. Others refer to it as steps.<key>." example:"login"`
	Method         string            `json:"method,omitempty" enum:"GET,POST,PUT,PATCH,DELETE,HEAD," doc:"HTTP method (default GET)." example:"POST"`
	URL            string            `json:"url,omitempty" doc:"http(s) URL to call (not for a delay); may hold templates." example:"https://api.example.com/login"`
	Headers        map[string]string `json:"headers,omitempty" doc:"Request headers; values may hold templates." example:"{\"Authorization\":\"Bearer {{ steps.login.json.token }}\"}"`
	Body           string            `json:"body,omitempty" doc:"Request body (max 256 KiB); may hold templates ({{ x | json }} writes a value as JSON)." example:"{\"user\":\"{{ secrets.API_USER }}\"}"`
	TimeoutMS      int               `json:"timeout_ms,omitempty" minimum:"0" maximum:"30000" doc:"Deadline of one attempt in ms, 1000 to 30000 (default 30000)." example:"10000"`
	FlowKey        string            `json:"flow_key,omitempty" maxLength:"200" doc:"The flow key the step's requests obey (default: the URL's host:port)." example:"billing-api"`
	Needs          *[]string         `json:"needs,omitempty" doc:"Steps that must finish first. Absent: the step before; []: none." example:"[\"login\"]"`
	When           string            `json:"when,omitempty" maxLength:"1024" doc:"A condition on earlier steps (== != < <= > >= && || !); false skips the step." example:"steps.check.json.active == true"`
	Retry          *StepRetry        `json:"retry,omitempty" doc:"The step's retry policy; absent: no retries."`
	Expect         *StepExpect       `json:"expect,omitempty" doc:"What counts as success beyond a 2xx; absent: any 2xx."`
	OnFailure      string            `json:"on_failure,omitempty" enum:"stop,continue," doc:"After a failure: stop (default) fails the run; continue lets its dependents run." example:"stop"`
	Delay          *StepDelay        `json:"delay,omitempty" doc:"Makes the step a wait: duration or until."`
	ForEach        string            `json:"for_each,omitempty" doc:"One request per element of an earlier step's JSON array (templates see item and index). Pro only." example:"steps.list.json.items"`
	MaxConcurrency int               `json:"max_concurrency,omitempty" minimum:"0" maximum:"100" doc:"With for_each: items in flight at once (default 10)." example:"5"`
}

// StepRetry is a step's retry policy.
type StepRetry struct {
	Attempts int      `json:"attempts" minimum:"0" maximum:"10" doc:"Retries after the first attempt, 0 to 10." example:"3"`
	Backoff  string   `json:"backoff,omitempty" enum:"exponential,fixed," doc:"exponential (default) doubles delay each retry; fixed keeps it." example:"exponential"`
	Delay    string   `json:"delay,omitempty" doc:"The first wait, a Go-style duration (default 10s)." example:"10s"`
	On       []string `json:"on,omitempty" doc:"What is retried: codes, 4xx, 5xx, timeout, network (default: every failure)." example:"[\"5xx\",\"timeout\"]"`
}

// StepExpect is what counts as a step's success beyond a 2xx.
type StepExpect struct {
	Status   []string        `json:"status,omitempty" doc:"Statuses that count as success instead of 2xx (codes or classes)." example:"[\"200\",\"404\"]"`
	JSONPath string          `json:"json_path,omitempty" doc:"A path in the JSON response that must equal equals." example:"data.state"`
	Equals   json.RawMessage `json:"equals,omitempty" doc:"The JSON value json_path must have." example:"\"done\""`
}

// StepDelay is a wait: give duration or until.
type StepDelay struct {
	Duration string `json:"duration,omitempty" doc:"How long to wait, 1s to 8784h." example:"24h"`
	Until    string `json:"until,omitempty" doc:"Wait until this RFC 3339 instant; may be a template." example:"2026-12-24T08:00:00Z"`
}

// Workflow is a workflow as the API returns it.
type Workflow struct {
	ID                  string              `json:"id" doc:"The workflow's id."`
	ProjectID           string              `json:"project_id" doc:"The project it belongs to."`
	Name                string              `json:"name" doc:"A name for people." example:"sync new customers"`
	Version             int                 `json:"version" doc:"The current version: 1 when created, one more at each save. Runs keep the version they started with." example:"3"`
	Definition          *WorkflowDefinition `json:"definition" doc:"The current version's steps."`
	Health              string              `json:"health" enum:"healthy,failing" doc:"failing after a failed run (its project's channels are alerted once), healthy again after a succeeded run." example:"healthy"`
	ConsecutiveFailures int                 `json:"consecutive_failures" doc:"Failed runs in a row." example:"0"`
	LastRunAt           *time.Time          `json:"last_run_at,omitempty" doc:"When the last run finished; absent before the first." example:"2026-11-24T08:00:03.120Z"`
	LastRunStatus       string              `json:"last_run_status,omitempty" enum:"succeeded,failed,cancelled," doc:"How the last run ended; absent before the first." example:"succeeded"`
	CreatedAt           time.Time           `json:"created_at" doc:"When the workflow was created."`
	UpdatedAt           time.Time           `json:"updated_at" doc:"When it was last saved."`
}

// WorkflowSummary is a workflow in a list: without its definition.
type WorkflowSummary struct {
	ID                  string     `json:"id" doc:"The workflow's id; GET /workflows/{workflow_id} has its definition."`
	ProjectID           string     `json:"project_id" doc:"The project it belongs to."`
	Name                string     `json:"name" doc:"A name for people." example:"sync new customers"`
	Version             int        `json:"version" doc:"The current version." example:"3"`
	Steps               int        `json:"steps" doc:"How many steps the current version has." example:"2"`
	Health              string     `json:"health" enum:"healthy,failing" doc:"failing after a failed run, healthy again after a succeeded run." example:"healthy"`
	ConsecutiveFailures int        `json:"consecutive_failures" doc:"Failed runs in a row." example:"0"`
	LastRunAt           *time.Time `json:"last_run_at,omitempty" doc:"When the last run finished; absent before the first." example:"2026-11-24T08:00:03.120Z"`
	LastRunStatus       string     `json:"last_run_status,omitempty" enum:"succeeded,failed,cancelled," doc:"How the last run ended; absent before the first." example:"succeeded"`
	CreatedAt           time.Time  `json:"created_at" doc:"When the workflow was created."`
	UpdatedAt           time.Time  `json:"updated_at" doc:"When it was last saved."`
}

// WorkflowList is a project's workflows.
type WorkflowList struct {
	Workflows []*WorkflowSummary `json:"workflows" doc:"The workflows, oldest first (at most 100), without their definitions."`
}

// Run is a workflow run as the API returns it.
type Run struct {
	ID             string          `json:"id" doc:"The run's id."`
	WorkflowID     string          `json:"workflow_id" doc:"The workflow it is a run of."`
	WorkflowName   string          `json:"workflow_name,omitempty" doc:"The workflow's name." example:"sync new customers"`
	ProjectID      string          `json:"project_id" doc:"The workflow's project."`
	Version        int             `json:"version" doc:"The version of the workflow the run follows." example:"3"`
	Status         string          `json:"status" enum:"running,succeeded,failed,cancelled" doc:"running until every step finished; then succeeded, failed or cancelled." example:"running"`
	Trigger        string          `json:"trigger" enum:"api,job,dashboard" doc:"What started it: the API, a job, or the dashboard." example:"api"`
	JobID          string          `json:"job_id,omitempty" doc:"The job that started it, for trigger job."`
	Payload        json.RawMessage `json:"payload" doc:"The trigger payload, which templates see as payload (null when none)." example:"{\"user_id\":42}"`
	IdempotencyKey string          `json:"idempotency_key,omitempty" doc:"The Idempotency-Key it was started with." example:"signup-42"`
	ScheduledFor   time.Time       `json:"scheduled_for" doc:"When the run was due (run.scheduled_for in templates)."`
	Error          string          `json:"error,omitempty" doc:"Why it failed: the step and its reason." example:"step \"charge\" failed: 502 Bad Gateway after 4 attempts"`
	CreatedAt      time.Time       `json:"created_at" doc:"When it started."`
	FinishedAt     *time.Time      `json:"finished_at,omitempty" doc:"When it finished; absent while running."`
	UpdatedAt      time.Time       `json:"updated_at" doc:"When its state last changed."`
}

// RunDetail is a run with its steps.
type RunDetail struct {
	Run
	Steps []*RunStep `json:"steps" doc:"Every step's state, in definition order, each for_each item after its step."`
}

// RunStep is the state of one step, or one item of a for_each step, in a
// run.
type RunStep struct {
	Key               string            `json:"key" doc:"The step's key." example:"login"`
	Item              *int              `json:"item,omitempty" doc:"For an item of a for_each step: its index (from 0). Absent on the step's own row." example:"0"`
	ItemValue         json.RawMessage   `json:"item_value,omitempty" doc:"For an item: the array element, which templates see as item." example:"{\"id\":7}"`
	Items             *int              `json:"items,omitempty" doc:"For a for_each step's own row: how many items its array has; absent until it is known." example:"12"`
	Status            string            `json:"status" enum:"waiting,scheduled,succeeded,failed,skipped,cancelled" doc:"waiting for its needs; scheduled (an attempt due or in flight); then succeeded, failed, skipped (when was false) or cancelled." example:"succeeded"`
	Attempts          int               `json:"attempts" doc:"Attempts made so far." example:"1"`
	JobID             string            `json:"job_id,omitempty" doc:"The job whose executions are the step's attempts (GET /jobs/{job_id}/executions); absent without a request."`
	IdempotencyKey    string            `json:"idempotency_key" doc:"The Idempotency-Key every attempt carries: <run>.<step>[.<item>]." example:"0193b0a5-1d2e-7f3a-8b4c-5d6e7f8a9b0c.login"`
	DueAt             *time.Time        `json:"due_at,omitempty" doc:"When it became (or becomes) due; a delay's end."`
	WaitingUntil      *time.Time        `json:"waiting_until,omitempty" doc:"For a delay still running: when it ends. Absent otherwise."`
	StartedAt         *time.Time        `json:"started_at,omitempty" doc:"When its first attempt started (a delay: when it began)."`
	FinishedAt        *time.Time        `json:"finished_at,omitempty" doc:"When it finished (a delay: its end)."`
	DurationMS        int               `json:"duration_ms" doc:"How long its last attempt took, in milliseconds." example:"184"`
	Reason            string            `json:"reason,omitempty" doc:"Why it was skipped, failed or cancelled." example:"when steps.check.status == 200 is false"`
	ResponseStatus    int               `json:"response_status,omitempty" doc:"The last response's HTTP status; absent without one." example:"200"`
	ResponseHeaders   map[string]string `json:"response_headers,omitempty" doc:"The last response's headers." example:"{\"Content-Type\":\"application/json\"}"`
	ResponseBody      *string           `json:"response_body,omitempty" doc:"The kept response body (later steps' steps.<key>.json and .body) when it is UTF-8 text of at most 8 KiB; else absent: see the attempt's execution." example:"{\"token\":\"…\"}"`
	ResponseBodyBytes int               `json:"response_body_bytes" doc:"The length of the kept response body (the first 64 KiB of the response)." example:"27"`
	ResponseTruncated bool              `json:"response_truncated" doc:"The response was longer than the 64 KiB kept."`
}

// RunSummary is a run in a list.
type RunSummary struct {
	ID             string     `json:"id" doc:"The run's id; GET /runs/{run_id} has its payload and steps."`
	Version        int        `json:"version" doc:"The workflow version it follows." example:"3"`
	Status         string     `json:"status" enum:"running,succeeded,failed,cancelled" doc:"running, succeeded, failed or cancelled." example:"succeeded"`
	Trigger        string     `json:"trigger" enum:"api,job,dashboard" doc:"What started it." example:"api"`
	IdempotencyKey string     `json:"idempotency_key,omitempty" doc:"The Idempotency-Key it was started with." example:"signup-42"`
	Error          string     `json:"error,omitempty" doc:"Why it failed." example:"step charge: 502 Bad Gateway"`
	CreatedAt      time.Time  `json:"created_at" doc:"When it started."`
	FinishedAt     *time.Time `json:"finished_at,omitempty" doc:"When it finished; absent while running."`
}

// RunList is one page of runs.
type RunList struct {
	Runs       []*RunSummary `json:"runs" doc:"The runs, newest first."`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

// RunRetryRequest says where a retry starts.
type RunRetryRequest struct {
	From string `json:"from,omitempty" doc:"The step to start again from: it and every step downstream of it run again; the others keep their outputs. Absent: the first failed step (else the first cancelled one)." example:"charge"`
}

// maxInlineBody is the largest step output body GET /runs/{run_id} shows
// inline: a run page with many items stays small.
const maxInlineBody = 8 << 10

// definitionIn converts a request's definition into the domain's; a nil
// definition has no steps (Validate names that). It names duplicate
// header names by their field.
func definitionIn(v *prikke.Validation, d *WorkflowDefinition) prikke.WorkflowDefinition {
	var def prikke.WorkflowDefinition
	if d == nil {
		return def
	}
	def.Steps = make([]prikke.Step, len(d.Steps))
	for i, s := range d.Steps {
		if s == nil {
			v.Add(fmt.Sprintf("definition.steps[%d]", i), "must be a step object, not null")
			continue
		}
		st := prikke.Step{Key: s.Key, Method: s.Method, URL: s.URL, Body: s.Body, TimeoutMS: s.TimeoutMS, FlowKey: s.FlowKey,
			When: s.When, OnFailure: prikke.OnFailure(s.OnFailure), ForEach: s.ForEach, MaxConcurrency: s.MaxConcurrency}
		if s.Headers != nil {
			var hv prikke.Validation
			st.Headers = headersIn(&hv, s.Headers)
			for _, f := range prikke.ErrorFields(hv.Err()) {
				v.Add(fmt.Sprintf("definition.steps[%d].%s", i, f.Field), "step %q: %s", s.Key, f.Message)
			}
		}
		if s.Needs != nil {
			st.Needs = append([]string{}, *s.Needs...)
		}
		if r := s.Retry; r != nil {
			st.Retry = &prikke.StepRetry{Attempts: r.Attempts, Backoff: r.Backoff, Delay: r.Delay, On: r.On}
		}
		if e := s.Expect; e != nil {
			st.Expect = &prikke.Expect{Status: e.Status, JSONPath: e.JSONPath, Equals: e.Equals}
		}
		if dl := s.Delay; dl != nil {
			st.Delay = &prikke.StepDelay{Duration: dl.Duration, Until: dl.Until}
		}
		def.Steps[i] = st
	}
	return def
}

// definitionOut is a definition as the API shows it.
func definitionOut(def *prikke.WorkflowDefinition) *WorkflowDefinition {
	out := &WorkflowDefinition{Steps: make([]*WorkflowStep, 0, len(def.Steps))}
	for _, st := range def.Steps {
		s := &WorkflowStep{Key: st.Key, Method: st.Method, URL: st.URL, Body: st.Body, TimeoutMS: st.TimeoutMS, FlowKey: st.FlowKey,
			When: st.When, OnFailure: string(st.OnFailure), ForEach: st.ForEach, MaxConcurrency: st.MaxConcurrency}
		if len(st.Headers) > 0 {
			s.Headers = headersOut(st.Headers)
		}
		if st.Needs != nil {
			needs := append([]string{}, st.Needs...)
			s.Needs = &needs
		}
		if r := st.Retry; r != nil {
			s.Retry = &StepRetry{Attempts: r.Attempts, Backoff: r.Backoff, Delay: r.Delay, On: r.On}
		}
		if e := st.Expect; e != nil {
			s.Expect = &StepExpect{Status: e.Status, JSONPath: e.JSONPath, Equals: e.Equals}
		}
		if d := st.Delay; d != nil {
			s.Delay = &StepDelay{Duration: d.Duration, Until: d.Until}
		}
		out.Steps = append(out.Steps, s)
	}
	return out
}

func workflowOut(w *prikke.Workflow) *Workflow {
	return &Workflow{ID: w.ID.String(), ProjectID: w.ProjectID.String(), Name: w.Name, Version: w.Version,
		Definition: definitionOut(&w.Definition), Health: string(w.Health), ConsecutiveFailures: w.ConsecutiveFailures,
		LastRunAt: w.LastRunAt, LastRunStatus: string(w.LastRunStatus), CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func runOut(r *prikke.WorkflowRun) *Run {
	out := &Run{ID: r.ID.String(), WorkflowID: r.WorkflowID.String(), WorkflowName: r.WorkflowName, ProjectID: r.ProjectID.String(),
		Version: r.Version, Status: string(r.Status), Trigger: string(r.Trigger), Payload: r.Payload, IdempotencyKey: r.IdempotencyKey,
		ScheduledFor: r.ScheduledFor, Error: r.Error, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt, UpdatedAt: r.UpdatedAt}
	if r.JobID != nil {
		out.JobID = r.JobID.String()
	}
	if len(out.Payload) == 0 {
		out.Payload = json.RawMessage("null")
	}
	return out
}

func runStepOut(s *prikke.RunStep, now time.Time) *RunStep {
	out := &RunStep{Key: s.Key, Status: string(s.Status), Attempts: s.Attempts, IdempotencyKey: s.IdempotencyKey(),
		DueAt: s.DueAt, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, DurationMS: s.DurationMS, Reason: s.Reason,
		ResponseStatus: s.ResponseStatus, ResponseBodyBytes: len(s.ResponseBody), ResponseTruncated: s.ResponseTruncated}
	if s.Item != prikke.NoItem {
		item := s.Item
		out.Item, out.ItemValue = &item, s.ItemValue
	} else if s.Items >= 0 {
		n := s.Items
		out.Items = &n
	}
	if s.JobID != nil {
		out.JobID = s.JobID.String()
	}
	if s.JobID == nil && s.Status == prikke.StepStatusSucceeded && s.FinishedAt != nil && s.FinishedAt.After(now) {
		out.WaitingUntil = s.FinishedAt
	}
	if len(s.ResponseHeaders) > 0 {
		out.ResponseHeaders = headersOut(s.ResponseHeaders)
	}
	if len(s.ResponseBody) <= maxInlineBody && textBody(s.ResponseBody) {
		body := string(s.ResponseBody)
		if len(s.ResponseBody) > 0 || s.ResponseStatus != 0 {
			out.ResponseBody = &body
		}
	}
	return out
}

// textBody reports whether b is UTF-8 text without NUL.
func textBody(b []byte) bool { return utf8.Valid(b) && !bytes.Contains(b, []byte{0}) }

// stepHeaderField matches a definition error about a step's header by
// position: definition.steps[1].headers[0].value.
var stepHeaderField = regexp.MustCompile(`^definition\.steps\[(\d+)\]\.headers\[(\d+)\](.*)$`)

// definitionFields renames the errors about step headers, which count list
// positions, after the header they are about
// (definition.steps[1].headers.Authorization), as headerFields does for
// jobs: clients send headers as an object.
func definitionFields(err error, def *prikke.WorkflowDefinition) error {
	var pe *prikke.Error
	if !errors.As(err, &pe) || pe.Code != prikke.EINVALID {
		return err
	}
	var v prikke.Validation
	for _, f := range pe.Fields {
		if m := stepHeaderField.FindStringSubmatch(f.Field); m != nil {
			si, _ := strconv.Atoi(m[1])
			hi, _ := strconv.Atoi(m[2])
			if si < len(def.Steps) && hi < len(def.Steps[si].Headers) {
				f.Field = "definition.steps[" + m[1] + "].headers." + def.Steps[si].Headers[hi].Name
			}
		}
		v.Add(f.Field, "%s", f.Message)
	}
	return v.Err()
}

// input converts a request into the service's input.
func (r *WorkflowRequest) input() (*service.WorkflowInput, error) {
	var v prikke.Validation
	in := &service.WorkflowInput{Name: r.Name, Version: r.Version}
	if r.ProjectID != nil {
		id, err := prikke.ParseID(*r.ProjectID)
		if err != nil {
			v.Add("project_id", "is not a valid id")
		}
		in.ProjectID = &id
	}
	in.Definition = definitionIn(&v, r.Definition)
	return in, v.Err()
}

type workflowBody struct{ Body *Workflow }

type workflowIDInput struct {
	WorkflowID string `path:"workflow_id" doc:"The workflow's id."`
}

type workflowUpdateInput struct {
	WorkflowID string `path:"workflow_id" doc:"The workflow's id."`
	bodyInput
}

type workflowListInput struct {
	ProjectID string `query:"project_id" doc:"The project whose workflows to list (default: the key's project, or the organization's first)."`
}

type workflowVersionInput struct {
	WorkflowID string `path:"workflow_id" doc:"The workflow's id."`
	Version    string `path:"version" doc:"The version, from 1 to the workflow's current version." example:"2"`
}

func (a *API) handleWorkflowCreate(ctx context.Context, in *bodyOnly) (*workflowBody, error) {
	var req WorkflowRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	w, err := a.svc.WorkflowCreate(ctx, actorOf(ctx), si)
	if err != nil {
		return nil, definitionFields(err, &si.Definition)
	}
	return &workflowBody{workflowOut(w)}, nil
}

func (a *API) handleWorkflowList(ctx context.Context, in *workflowListInput) (*struct{ Body *WorkflowList }, error) {
	pid, err := optID("query.project_id", in.ProjectID)
	if err != nil {
		return nil, err
	}
	ws, err := a.svc.Workflows(ctx, actorOf(ctx), service.WorkflowFilter{ProjectID: pid})
	if err != nil {
		return nil, err
	}
	out := &WorkflowList{Workflows: make([]*WorkflowSummary, 0, len(ws))}
	for _, w := range ws {
		out.Workflows = append(out.Workflows, &WorkflowSummary{ID: w.ID.String(), ProjectID: w.ProjectID.String(), Name: w.Name,
			Version: w.Version, Steps: len(w.Definition.Steps), Health: string(w.Health), ConsecutiveFailures: w.ConsecutiveFailures,
			LastRunAt: w.LastRunAt, LastRunStatus: string(w.LastRunStatus), CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt})
	}
	return &struct{ Body *WorkflowList }{out}, nil
}

func (a *API) handleWorkflowGet(ctx context.Context, in *workflowIDInput) (*workflowBody, error) {
	id, err := parseID(in.WorkflowID)
	if err != nil {
		return nil, err
	}
	w, err := a.svc.Workflow(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &workflowBody{workflowOut(w)}, nil
}

func (a *API) handleWorkflowUpdate(ctx context.Context, in *workflowUpdateInput) (*workflowBody, error) {
	id, err := parseID(in.WorkflowID)
	if err != nil {
		return nil, err
	}
	var req WorkflowRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	w, err := a.svc.WorkflowUpdate(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, definitionFields(err, &si.Definition)
	}
	return &workflowBody{workflowOut(w)}, nil
}

func (a *API) handleWorkflowDelete(ctx context.Context, in *workflowIDInput) (*struct{}, error) {
	id, err := parseID(in.WorkflowID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.WorkflowDelete(ctx, actorOf(ctx), id)
}

func (a *API) handleWorkflowVersion(ctx context.Context, in *workflowVersionInput) (*workflowBody, error) {
	id, err := parseID(in.WorkflowID)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(in.Version)
	if err != nil || n < 1 {
		return nil, huma.Error404NotFound("Not found: a version is a whole number from 1.")
	}
	w, err := a.svc.Workflow(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	def, err := a.svc.WorkflowVersion(ctx, actorOf(ctx), id, n)
	if err != nil {
		return nil, err
	}
	out := workflowOut(w)
	out.Version, out.Definition = n, definitionOut(def)
	return &workflowBody{out}, nil
}

type runStartInput struct {
	WorkflowID     string `path:"workflow_id" doc:"The workflow's id."`
	IdempotencyKey string `header:"Idempotency-Key" doc:"Makes a retried start safe: a second start of the workflow with the same key starts nothing and answers 200 with the first run (at most 200 printable characters)." example:"signup-42"`
	bodyInput
}

type runOutput struct {
	Status int
	Body   *RunDetail
}

func (a *API) handleRunStart(ctx context.Context, in *runStartInput) (*runOutput, error) {
	id, err := parseID(in.WorkflowID)
	if err != nil {
		return nil, err
	}
	var payload json.RawMessage
	if len(in.RawBody) > 0 {
		if err := checkSyntax(in.RawBody); err != nil {
			return nil, err
		}
		payload = json.RawMessage(in.RawBody)
	}
	r, created, err := a.svc.RunStart(ctx, actorOf(ctx), id, &service.RunInput{Payload: payload, IdempotencyKey: in.IdempotencyKey})
	if err != nil {
		return nil, a.payloadProblem(ctx, err)
	}
	out, err := a.runDetail(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return &runOutput{Status: status, Body: out.Body}, nil
}

// payloadProblem answers an error about the run's payload, which is the
// whole request body, at location "body".
func (a *API) payloadProblem(ctx context.Context, err error) error {
	out := a.problem(ctx, err)
	var em *huma.ErrorModel
	if errors.As(out, &em) {
		for _, d := range em.Errors {
			if d.Location == "body.payload" {
				d.Location = "body"
			}
		}
	}
	return out
}

type runListInput struct {
	WorkflowID string `path:"workflow_id" doc:"The workflow's id."`
	Status     string `query:"status" enum:"running,succeeded,failed,cancelled," doc:"Only runs with this status."`
	Limit      int    `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50; larger values are clamped to 100)."`
	Cursor     string `query:"cursor" doc:"next_cursor from the previous page."`
}

func (a *API) handleRunList(ctx context.Context, in *runListInput) (*struct{ Body *RunList }, error) {
	id, err := parseID(in.WorkflowID)
	if err != nil {
		return nil, err
	}
	c, err := parseCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	n := limit(in.Limit)
	f := service.RunFilter{WorkflowID: &id, Limit: n + 1}
	if in.Status != "" {
		f.Status = []prikke.RunStatus{prikke.RunStatus(in.Status)}
	}
	if in.Cursor != "" {
		f.Before, f.BeforeCreatedAt = &c.ID, c.At
	}
	rs, err := a.svc.Runs(ctx, actorOf(ctx), f)
	if err != nil {
		return nil, renameFields(err, "query.", "status")
	}
	page := &RunList{Runs: []*RunSummary{}}
	for i, r := range rs {
		if i == n {
			page.NextCursor = cursor{At: rs[i-1].CreatedAt, ID: rs[i-1].ID}.String()
			break
		}
		page.Runs = append(page.Runs, &RunSummary{ID: r.ID.String(), Version: r.Version, Status: string(r.Status), Trigger: string(r.Trigger),
			IdempotencyKey: r.IdempotencyKey, Error: r.Error, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt})
	}
	return &struct{ Body *RunList }{page}, nil
}

type runIDInput struct {
	RunID string `path:"run_id" doc:"The run's id."`
}

type runRetryInput struct {
	RunID string `path:"run_id" doc:"The run's id."`
	bodyInput
}

type runDetailBody struct{ Body *RunDetail }

func (a *API) handleRunGet(ctx context.Context, in *runIDInput) (*runDetailBody, error) {
	id, err := parseID(in.RunID)
	if err != nil {
		return nil, err
	}
	return a.runDetail(ctx, id)
}

// runDetail answers with the run and its steps as they are now.
func (a *API) runDetail(ctx context.Context, id prikke.ID) (*runDetailBody, error) {
	r, steps, err := a.svc.Run(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	out := &RunDetail{Run: *runOut(r), Steps: make([]*RunStep, 0, len(steps))}
	now := a.svc.NowFunc()
	for _, s := range steps {
		out.Steps = append(out.Steps, runStepOut(s, now))
	}
	return &runDetailBody{out}, nil
}

func (a *API) handleRunCancel(ctx context.Context, in *runIDInput) (*runDetailBody, error) {
	id, err := parseID(in.RunID)
	if err != nil {
		return nil, err
	}
	if _, err := a.svc.RunCancel(ctx, actorOf(ctx), id); err != nil {
		return nil, err
	}
	return a.runDetail(ctx, id)
}

func (a *API) handleRunRetry(ctx context.Context, in *runRetryInput) (*runDetailBody, error) {
	id, err := parseID(in.RunID)
	if err != nil {
		return nil, err
	}
	var req RunRetryRequest
	if len(in.RawBody) > 0 {
		if err := decode(&in.bodyInput, &req); err != nil {
			return nil, err
		}
	}
	if _, err := a.svc.RunRetry(ctx, actorOf(ctx), id, req.From); err != nil {
		return nil, err
	}
	return a.runDetail(ctx, id)
}

// The reference's examples: a login, then a call with its token.
var (
	exampleID         = "01936b2e-8f3a-7c4d-9e5f-0a1b2c3d4e5f"
	exampleDefinition = map[string]any{"steps": []any{
		map[string]any{"key": "login", "method": "POST", "url": "https://api.example.com/login",
			"headers": map[string]string{"Content-Type": "application/json"},
			"body":    `{"user":"{{ payload.user }}","password":"{{ secrets.API_PASSWORD }}"}`,
			"retry":   map[string]any{"attempts": 3, "on": []string{"5xx", "timeout"}}},
		map[string]any{"key": "profile", "url": "https://api.example.com/users/{{ payload.user | url }}",
			"headers": map[string]string{"Authorization": "Bearer {{ steps.login.json.token }}"},
			"expect":  map[string]any{"json_path": "active", "equals": true}},
	}}
	exampleWorkflowRequest = map[string]any{"name": "login then call", "definition": exampleDefinition}
	exampleWorkflow        = map[string]any{"id": exampleID, "project_id": exampleID, "name": "login then call", "version": 1,
		"definition": exampleDefinition, "health": "healthy", "consecutive_failures": 0,
		"created_at": "2026-12-24T18:00:00Z", "updated_at": "2026-12-24T18:00:00Z"}
	exampleRun = map[string]any{"id": "01936b2f-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "workflow_id": exampleID, "workflow_name": "login then call",
		"project_id": exampleID, "version": 1, "status": "running", "trigger": "api", "payload": map[string]any{"user": "ada"},
		"idempotency_key": "signup-42", "scheduled_for": "2026-12-24T18:00:00Z", "created_at": "2026-12-24T18:00:00Z", "updated_at": "2026-12-24T18:00:00.412Z",
		"steps": []any{
			map[string]any{"key": "login", "status": "succeeded", "attempts": 1, "job_id": "01936b2f-1a2b-7c3d-8e4f-000000000001",
				"idempotency_key": "01936b2f-1a2b-7c3d-8e4f-5a6b7c8d9e0f.login", "due_at": "2026-12-24T18:00:00Z",
				"started_at": "2026-12-24T18:00:00.003Z", "finished_at": "2026-12-24T18:00:00.401Z", "duration_ms": 398,
				"response_status": 200, "response_headers": map[string]string{"Content-Type": "application/json"},
				"response_body": `{"token":"eyJhbGciOi…"}`, "response_body_bytes": 27, "response_truncated": false},
			map[string]any{"key": "profile", "status": "scheduled", "attempts": 0, "job_id": "01936b2f-1a2b-7c3d-8e4f-000000000002",
				"idempotency_key": "01936b2f-1a2b-7c3d-8e4f-5a6b7c8d9e0f.profile", "due_at": "2026-12-24T18:00:00.401Z",
				"duration_ms": 0, "response_body_bytes": 0, "response_truncated": false},
		}}
)

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opWorkflows = operation{ID: "workflows", Tag: "Workflows",
		Summary:     "List workflows",
		Description: "A project's workflows with their current definitions, oldest first."}

	opWorkflowCreate = operation{ID: "workflow-create", Tag: "Workflows", Status: http.StatusCreated, Body: WorkflowRequest{},
		Example: exampleWorkflowRequest, ResponseExample: exampleWorkflow,
		Summary: "Create a workflow",
		Description: "Saves version 1 of a workflow: steps that run after the steps they need and use their responses through templates " +
			"({{ payload.x }}, {{ steps.<key>.json.<path> }}, {{ secrets.NAME }} …; see /docs/workflows). Cycles, unknown needs, references to steps not upstream, " +
			"bad templates, unknown secrets and the tier's limits (Free: 3 steps, no for_each; Pro: 50 steps, 100 items) are 422, each error's location " +
			"naming the step and field (body.definition.steps[1].url) and its message the step's key."}

	opWorkflow = operation{ID: "workflow", Tag: "Workflows", ResponseExample: exampleWorkflow,
		Summary:     "Get a workflow",
		Description: "The workflow with its current version's definition, its health and its last run."}

	opWorkflowUpdate = operation{ID: "workflow-update", Tag: "Workflows", Body: WorkflowRequest{},
		Example: map[string]any{"name": "login then call", "definition": exampleDefinition, "version": 1}, ResponseExample: exampleWorkflow,
		Summary: "Save a new version of a workflow",
		Description: "Replaces the name and definition as a new version (checked as on create). Runs already started keep the version they started with. " +
			"Send the version your edit was made from to refuse (409) a save over someone else's newer version."}

	opWorkflowDelete = operation{ID: "workflow-delete", Tag: "Workflows", Status: http.StatusNoContent,
		Summary: "Delete a workflow",
		Description: "Deletes the workflow with all its versions and runs (their history included), and every job that targets it (workflow_id): " +
			"those jobs stop and are gone. This cannot be undone."}

	opWorkflowVersion = operation{ID: "workflow-version", Tag: "Workflows", ResponseExample: exampleWorkflow,
		Summary:     "Get a saved version of a workflow",
		Description: "The workflow with one saved version's definition, as it was saved: what the runs of that version follow. version is that version; the other fields are the workflow's now."}

	opRunStart = operation{ID: "run-start", Tag: "Workflows", Status: http.StatusCreated, Body: json.RawMessage{}, OptionalBody: true,
		Example: map[string]any{"user": "ada"}, ResponseExample: exampleRun,
		Summary: "Start a run",
		Description: "Starts a run of the workflow's current version. The request body, any JSON value of at most 64 KiB (an object, usually), is the run's payload, " +
			"which templates see as payload; no body means null. Send an Idempotency-Key header to make retries safe: the same key for the same workflow starts one run.",
		Responses: func(a *API) map[string]*huma.Response {
			return map[string]*huma.Response{
				"201": {Description: "The run started: the run with its steps (the first ones scheduled)."},
				"200": {Description: "The Idempotency-Key matched an earlier run of the workflow: nothing new was started; the body is that run with its steps, as it is now.",
					Content: map[string]*huma.MediaType{"application/json": {Schema: a.schema(RunDetail{})}}},
			}
		}}

	opRuns = operation{ID: "runs", Tag: "Workflows",
		Summary:     "List a workflow's runs",
		Description: "Newest first, paged with next_cursor; GET /runs/{run_id} has a run's payload and steps."}

	opRun = operation{ID: "run", Tag: "Workflows", ResponseExample: exampleRun,
		Summary: "Get a run with its steps",
		Description: "The run and every step's state: status, attempts, when it was due, started and finished, its duration, why it was skipped, failed or cancelled, " +
			"and the last response's status and headers. A step's response body is shown when it is UTF-8 text of at most 8 KiB (the size is always given); " +
			"every attempt's full request and response are its executions (GET /jobs/{job_id}/executions with the step's job_id)."}

	opRunCancel = operation{ID: "run-cancel", Tag: "Workflows",
		Summary: "Cancel a run",
		Description: "Cancels a running run: the steps not finished are cancelled and their waiting attempts dropped; a request already in flight finishes and is recorded, " +
			"but starts nothing. Answers the run with its steps. 409 when the run has finished."}

	opRunRetry = operation{ID: "run-retry", Tag: "Workflows", Body: RunRetryRequest{}, OptionalBody: true,
		Example: map[string]any{"from": "profile"},
		Summary: "Retry a run from a step",
		Description: "Runs a failed or cancelled run again from a step (from; default its first failed step): that step and every step downstream of it start over, " +
			"the others keep their outputs, which the retried steps' templates see. Answers the run with its steps. 409 when the run is running or succeeded; 422 when from is not a step of the run's version."}
)
