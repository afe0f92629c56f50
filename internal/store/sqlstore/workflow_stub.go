package sqlstore

// STUB: the store helper replaces this file with workflow.go (records and
// the run transitions, shared by both stores through Tx) and secret.go.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

var errStub = errors.New("workflows: not built yet")

func (r *Records) WorkflowCreate(ctx context.Context, w *prikke.Workflow) error { return errStub }
func (r *Records) WorkflowGet(ctx context.Context, id prikke.ID) (*prikke.Workflow, error) {
	return nil, errStub
}
func (r *Records) WorkflowList(ctx context.Context, f store.WorkflowFilter) ([]*prikke.Workflow, error) {
	return nil, errStub
}
func (r *Records) WorkflowUpdate(ctx context.Context, w *prikke.Workflow, now time.Time) error {
	return errStub
}
func (r *Records) WorkflowDelete(ctx context.Context, id prikke.ID) error { return errStub }
func (r *Records) WorkflowVersionGet(ctx context.Context, id prikke.ID, version int) (*prikke.WorkflowDefinition, error) {
	return nil, errStub
}
func (r *Records) WorkflowCount(ctx context.Context, projectID prikke.ID) (int, error) {
	return 0, errStub
}
func (r *Records) WorkflowRunStart(ctx context.Context, p *store.RunStart) (*prikke.WorkflowRun, bool, error) {
	return nil, false, errStub
}
func (r *Records) WorkflowRunGet(ctx context.Context, id prikke.ID) (*prikke.WorkflowRun, error) {
	return nil, errStub
}
func (r *Records) WorkflowRunList(ctx context.Context, f store.RunFilter) ([]*prikke.WorkflowRun, error) {
	return nil, errStub
}
func (r *Records) WorkflowRunSteps(ctx context.Context, runID prikke.ID) ([]*prikke.RunStep, error) {
	return nil, errStub
}
func (r *Records) WorkflowRunCancel(ctx context.Context, id prikke.ID, now time.Time) (*prikke.WorkflowRun, error) {
	return nil, errStub
}
func (r *Records) WorkflowRunRetry(ctx context.Context, id prikke.ID, from string, now time.Time) (*prikke.WorkflowRun, error) {
	return nil, errStub
}
func (r *Records) WorkflowRunsRepair(ctx context.Context, now time.Time, limit int) (int, error) {
	return 0, errStub
}
func (r *Records) WorkflowRunPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	return 0, errStub
}
func (r *Records) WorkflowFlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.WorkflowFlip, error) {
	return nil, errStub
}
func (r *Records) SecretPut(ctx context.Context, s *prikke.Secret) error { return errStub }
func (r *Records) SecretList(ctx context.Context, projectID prikke.ID) ([]*prikke.Secret, error) {
	return nil, errStub
}
func (r *Records) SecretDelete(ctx context.Context, projectID prikke.ID, name string) error {
	return errStub
}
func (r *Records) SecretValues(ctx context.Context, projectID prikke.ID) (map[string]string, error) {
	return nil, errStub
}
