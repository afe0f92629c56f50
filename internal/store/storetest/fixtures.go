package storetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// Tenant is a user with a personal organization and a default project,
// as sign-up makes them.
type Tenant struct {
	User    *prikke.User
	Org     *prikke.Organization
	Project *prikke.Project
}

var seq atomic.Int64

// T0 is the fixed instant fixtures are created at.
var T0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// NewTenant signs a user up and sets the organization's tier.
func NewTenant(t testing.TB, s store.Store, tier prikke.Tier) *Tenant {
	t.Helper()
	n := seq.Add(1)
	now := T0
	u := &prikke.User{ID: prikke.NewID(), Email: fmt.Sprintf("user%d@example.com", n), PasswordHash: "$argon2id$test", ConfirmedAt: &now, TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
	o := &prikke.Organization{ID: prikke.NewID(), Name: fmt.Sprintf("org %d", n), Tier: tier, Personal: true, CreatedAt: now, UpdatedAt: now}
	p := &prikke.Project{ID: prikke.NewID(), OrganizationID: o.ID, Name: "Default", SigningSecret: "whsec_" + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "test-secret-%08d-0123456789abcdef", n)), AlertAfter: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.SignupCreate(context.Background(), &store.SignupParams{User: u, Organization: o, Project: p}); err != nil {
		t.Fatalf("signup: %v", err)
	}
	return &Tenant{User: u, Org: o, Project: p}
}

// NewJob creates a job in the tenant's project: a cron job "* * * * *"
// in UTC whose next run is T0+1m, unless edit changes it.
func NewJob(t testing.TB, s store.Store, tn *Tenant, edit func(j *prikke.Job)) *prikke.Job {
	t.Helper()
	next := T0.Add(time.Minute)
	j := &prikke.Job{
		ID: prikke.NewID(), ProjectID: tn.Project.ID, OrganizationID: tn.Org.ID, Kind: prikke.JobKindCron,
		Name: fmt.Sprintf("job %d", seq.Add(1)), URL: "https://example.com/hook", Method: "POST",
		Headers: []prikke.Header{{Name: "X-Test", Value: "1"}}, Body: `{"hello":"world"}`,
		TimeoutMS: 30000, RetryAttempts: 5, Enabled: true, CronExpression: "* * * * *", TimeZone: "UTC",
		CatchUp: prikke.CatchUpLatest, CatchUpWindow: time.Hour, Overlap: prikke.OverlapAllow, IntervalMinutes: 1,
		NotifyMode: prikke.NotifyProject, NextRunAt: &next, Health: prikke.JobHealthy,
		CreatedAt: T0, UpdatedAt: T0,
	}
	if edit != nil {
		edit(j)
	}
	if err := s.JobCreate(context.Background(), j); err != nil {
		t.Fatalf("create job: %v", err)
	}
	return j
}

// Once makes NewJob create a one-time job due at at.
func Once(at time.Time) func(j *prikke.Job) {
	return func(j *prikke.Job) {
		j.Kind = prikke.JobKindOnce
		j.CronExpression = ""
		j.RunAt = &at
		j.NextRunAt = &at
		j.IntervalMinutes = 0
	}
}

// NewExecution inserts a pending first attempt of job's occurrence at
// scheduledFor, due then, with the job's flow key.
func NewExecution(t testing.TB, s store.Store, j *prikke.Job, tier prikke.Tier, scheduledFor time.Time) *prikke.Execution {
	t.Helper()
	e := &prikke.Execution{
		ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: scheduledFor, DueAt: scheduledFor, Attempt: 1, Status: prikke.ExecutionStatusPending,
		Priority: prikke.Priority(tier, j.Kind, j.IntervalMinutes), FlowKey: j.Flow(), CreatedAt: scheduledFor,
	}
	if err := s.ExecutionInsert(context.Background(), e); err != nil {
		t.Fatalf("insert execution: %v", err)
	}
	return e
}

// Errcode fails t unless err carries the domain code want.
func Errcode(t testing.TB, err error, want string) {
	t.Helper()
	if got := prikke.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}
