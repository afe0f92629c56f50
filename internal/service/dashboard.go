package service

import (
	"context"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// This file holds read models the dashboard's pages need beyond the
// one-action methods the API shares: they authorize once and then read in
// bulk, so a page of jobs with their recent outcomes is not hundreds of
// authorization round trips.

// maxProjectJobs bounds AllJobs: a project page never loads more jobs than
// this at once.
const maxProjectJobs = 5000

// AllJobs lists every job of a project (cron and one-time, not queued
// requests), oldest first, up to maxProjectJobs.
func (s *Service) AllJobs(ctx context.Context, a *Actor, projectID prikke.ID) ([]*prikke.Job, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermRead, "see jobs")
	if err != nil {
		return nil, err
	}
	var out []*prikke.Job
	f := store.JobFilter{ProjectID: &p.ID, Limit: 500}
	for len(out) < maxProjectJobs {
		js, err := s.store.JobList(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, js...)
		if len(js) < f.Limit {
			break
		}
		last := js[len(js)-1]
		f.AfterCreatedAt, f.AfterID = last.CreatedAt, last.ID
	}
	return out, nil
}

// RecentExecutions returns, for each of jobIDs that belongs to the
// project, its newest n executions (newest first), for sparklines. Ids of
// other projects' jobs get nothing.
func (s *Service) RecentExecutions(ctx context.Context, a *Actor, projectID prikke.ID, jobIDs []prikke.ID, n int) (map[prikke.ID][]*prikke.Execution, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermRead, "see executions")
	if err != nil {
		return nil, err
	}
	n = min(max(n, 1), 100)
	out := make(map[prikke.ID][]*prikke.Execution, len(jobIDs))
	for _, id := range jobIDs {
		es, err := s.store.ExecutionList(ctx, store.ExecutionFilter{ProjectID: &p.ID, JobID: &id, Limit: n})
		if err != nil {
			return nil, err
		}
		out[id] = es
	}
	return out, nil
}

// InvitationDetails is an invitation as its link's page shows it.
type InvitationDetails struct {
	*prikke.Invitation
	InviterEmail string // "" when the inviter's account is gone
}

// InvitationByLink returns the pending invitation a link points to, with
// who sent it. It needs no actor: the token is the credential.
func (s *Service) InvitationByLink(ctx context.Context, token string) (*InvitationDetails, error) {
	inv, err := s.InvitationByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	d := &InvitationDetails{Invitation: inv}
	if u, err := s.store.UserGet(ctx, inv.InvitedBy); err == nil {
		d.InviterEmail = u.Email
	}
	return d, nil
}

// announceExecutions publishes executions on store.TopicExecutions in the
// store's payload format ("<job_id> <execution_id>" lines), so open pages
// show a new pending execution at once (the store announces executions
// when they settle, not when they are inserted). It is a hint: a failure
// is not an error.
func announceExecutions(ctx context.Context, st store.Store, es ...*prikke.Execution) {
	if len(es) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, p := range store.ExecutionEvents(es) {
		_ = st.Publish(ctx, store.TopicExecutions, p)
	}
}
