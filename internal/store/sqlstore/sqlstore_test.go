package sqlstore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestPagingTies pages through rows that share one created_at: the cursor
// (created_at, id) must hand out every row once, in id order, on both
// stores (SQLite compares IDs as text, PostgreSQL as uuid; the orders
// agree).
func TestPagingTies(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		const n = 7
		var jobIDs, execIDs, auditIDs []prikke.ID
		for range n {
			j := storetest.NewJob(t, s, tn, nil) // every job at T0
			jobIDs = append(jobIDs, j.ID)
			execIDs = append(execIDs, storetest.NewExecution(t, s, j, prikke.TierPro, storetest.T0).ID)
			e := &prikke.AuditEntry{ID: prikke.NewID(), OrganizationID: &tn.Org.ID, Action: "job.create", CreatedAt: storetest.T0}
			if err := s.AuditInsert(ctx, e); err != nil {
				t.Fatal(err)
			}
			auditIDs = append(auditIDs, e.ID)
		}
		byID := func(a, b prikke.ID) int { return strings.Compare(a.String(), b.String()) }
		slices.SortFunc(jobIDs, byID)
		slices.SortFunc(execIDs, byID)
		slices.SortFunc(auditIDs, byID)
		slices.Reverse(execIDs) // newest first: ties by id descending
		slices.Reverse(auditIDs)

		var jobs []prikke.ID
		f := store.JobFilter{ProjectID: &tn.Project.ID, Limit: 2}
		for range n {
			page, err := s.JobList(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, j := range page {
				jobs = append(jobs, j.ID)
			}
			f.AfterCreatedAt, f.AfterID = page[len(page)-1].CreatedAt, page[len(page)-1].ID
		}
		if !slices.Equal(jobs, jobIDs) {
			t.Errorf("JobList pages = %v\nwant %v", jobs, jobIDs)
		}

		var execs []prikke.ID
		ef := store.ExecutionFilter{ProjectID: &tn.Project.ID, Limit: 2}
		for range n {
			page, err := s.ExecutionList(ctx, ef)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				execs = append(execs, e.ID)
			}
			ef.BeforeCreatedAt, ef.BeforeID = page[len(page)-1].CreatedAt, page[len(page)-1].ID
		}
		if !slices.Equal(execs, execIDs) {
			t.Errorf("ExecutionList pages = %v\nwant %v", execs, execIDs)
		}

		var audit []prikke.ID
		af := store.AuditFilter{OrganizationID: tn.Org.ID, Limit: 2}
		for range n {
			page, err := s.AuditList(ctx, af)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				audit = append(audit, e.ID)
			}
			af.BeforeCreatedAt, af.BeforeID = page[len(page)-1].CreatedAt, page[len(page)-1].ID
		}
		if !slices.Equal(audit, auditIDs) {
			t.Errorf("AuditList pages = %v\nwant %v", audit, auditIDs)
		}
	})
}

// TestEmptyLists: a list that finds nothing is an empty slice on both
// stores (PostgreSQL's always was; SQLite's was nil before the records
// were written once), and a filter by an empty list matches nothing.
func TestEmptyLists(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		j := storetest.NewJob(t, s, tn, func(j *prikke.Job) { j.NotifyMode = prikke.NotifyCustom })
		got, err := s.JobGet(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ChannelIDs == nil || len(got.ChannelIDs) != 0 {
			t.Errorf("custom job without channels: ChannelIDs = %#v, want empty, not nil", got.ChannelIDs)
		}
		es, err := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID})
		if err != nil || es == nil || len(es) != 0 {
			t.Errorf("ExecutionList = %#v, %v; want empty, not nil", es, err)
		}
		n, err := s.TokenDeleteByUser(ctx, tn.User.ID, nil, prikke.NilID)
		if err != nil || n != 0 {
			t.Errorf("TokenDeleteByUser(no kinds) = %d, %v; want 0", n, err)
		}
		days, err := s.JobDaysList(ctx, nil, "2026-01-01")
		if err != nil || days == nil || len(days) != 0 {
			t.Errorf("JobDaysList(no jobs) = %#v, %v; want empty, not nil", days, err)
		}
	})
}

// TestTxStepNamed: a write transaction that cannot begin says so in its
// error, which keeps the cause for errors.Is.
func TestTxStepNamed(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	next := storetest.T0.Add(time.Minute)
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: tn.Project.ID, OrganizationID: tn.Org.ID, Kind: prikke.JobKindCron,
		Name: "cancelled", URL: "https://example.com/", Method: "POST", TimeoutMS: 1000, Enabled: true,
		CronExpression: "* * * * *", TimeZone: "UTC", NextRunAt: &next, CreatedAt: storetest.T0, UpdatedAt: storetest.T0}
	err := s.JobCreate(ctx, j)
	if want := "sqlitestore: create job: begin: context canceled"; err == nil || err.Error() != want {
		t.Errorf("JobCreate(cancelled) = %v, want %q", err, want)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v, context.Canceled) = false", err)
	}
}
