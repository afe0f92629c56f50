package service

// STUB: signatures are the contract; the API helper implements them (and
// secret.go). Every method checks the actor's permission on the project
// (read to see, write to change or run) as jobs do, and returns ENOTFOUND
// for another tenant's workflow or run, never EPERM that would reveal it.

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/prikke/prikke"
)

var errWorkflowStub = errors.New("workflows: not built yet")

// WorkflowInput is a workflow as the API and the dashboard give it.
type WorkflowInput struct {
	ProjectID  *prikke.ID // for create; API keys bound to a project may omit it
	Name       string
	Definition prikke.WorkflowDefinition
	// Version, on update, is the version the edit was made from: a save
	// over a newer version is ECONFLICT. 0 skips the check.
	Version int
}

// WorkflowFilter selects workflows.
type WorkflowFilter struct {
	ProjectID *prikke.ID
	Limit     int
}

// RunFilter selects runs of one workflow or one project.
type RunFilter struct {
	WorkflowID *prikke.ID
	ProjectID  *prikke.ID
	Status     []prikke.RunStatus
	Before     *prikke.ID // cursor: runs older than this one
	Limit      int
}

// RunInput starts a run.
type RunInput struct {
	Payload        json.RawMessage // JSON, ≤ prikke.MaxRunPayloadBytes; nil means null
	IdempotencyKey string
	Trigger        prikke.RunTrigger // api or dashboard
}

// WorkflowCreate validates (workflow.Validate against the organization's
// tier) and stores a workflow.
func (s *Service) WorkflowCreate(ctx context.Context, a *Actor, in *WorkflowInput) (*prikke.Workflow, error) {
	return nil, errWorkflowStub
}

// Workflow returns one workflow.
func (s *Service) Workflow(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Workflow, error) {
	return nil, errWorkflowStub
}

// Workflows lists workflows.
func (s *Service) Workflows(ctx context.Context, a *Actor, f WorkflowFilter) ([]*prikke.Workflow, error) {
	return nil, errWorkflowStub
}

// WorkflowUpdate saves a new version.
func (s *Service) WorkflowUpdate(ctx context.Context, a *Actor, id prikke.ID, in *WorkflowInput) (*prikke.Workflow, error) {
	return nil, errWorkflowStub
}

// WorkflowDelete deletes a workflow with its runs and the jobs that
// target it.
func (s *Service) WorkflowDelete(ctx context.Context, a *Actor, id prikke.ID) error {
	return errWorkflowStub
}

// WorkflowVersion returns one saved version's definition.
func (s *Service) WorkflowVersion(ctx context.Context, a *Actor, id prikke.ID, version int) (*prikke.WorkflowDefinition, error) {
	return nil, errWorkflowStub
}

// RunStart starts a run; created is false when the idempotency key
// matched an earlier run (which is returned).
func (s *Service) RunStart(ctx context.Context, a *Actor, workflowID prikke.ID, in *RunInput) (run *prikke.WorkflowRun, created bool, err error) {
	return nil, false, errWorkflowStub
}

// Run returns a run with its step rows.
func (s *Service) Run(ctx context.Context, a *Actor, id prikke.ID) (*prikke.WorkflowRun, []*prikke.RunStep, error) {
	return nil, nil, errWorkflowStub
}

// Runs lists runs newest first.
func (s *Service) Runs(ctx context.Context, a *Actor, f RunFilter) ([]*prikke.WorkflowRun, error) {
	return nil, errWorkflowStub
}

// RunCancel cancels a running run.
func (s *Service) RunCancel(ctx context.Context, a *Actor, id prikke.ID) (*prikke.WorkflowRun, error) {
	return nil, errWorkflowStub
}

// RunRetry retries a failed or cancelled run from a step ("" = its first
// failed one), keeping the outputs of the steps before it.
func (s *Service) RunRetry(ctx context.Context, a *Actor, id prikke.ID, from string) (*prikke.WorkflowRun, error) {
	return nil, errWorkflowStub
}

// SecretPut creates or replaces a project secret; the value is never
// returned.
func (s *Service) SecretPut(ctx context.Context, a *Actor, projectID prikke.ID, name, value string) (*prikke.Secret, error) {
	return nil, errWorkflowStub
}

// Secrets lists a project's secrets, names and times only.
func (s *Service) Secrets(ctx context.Context, a *Actor, projectID prikke.ID) ([]*prikke.Secret, error) {
	return nil, errWorkflowStub
}

// SecretDelete deletes a project secret.
func (s *Service) SecretDelete(ctx context.Context, a *Actor, projectID prikke.ID, name string) error {
	return errWorkflowStub
}
