package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// errSuspended is the refusal of a create in a suspended organization
// (JobCreateWithin, MonitorCreateWithin).
func errSuspended() error {
	return prikke.Errorf(prikke.EFORBIDDEN, "The organization is suspended.")
}

// OrganizationSuspend implements store.Store. It locks as PlanChange
// does (the organization's row, then its scheduled jobs in ID order), so
// a suspension, a plan change and a create within the limit queue behind
// each other, and the scheduler either wrote its occurrences before (and
// they are deleted here) or sees the jobs paused.
func (r *Records) OrganizationSuspend(ctx context.Context, c *store.Suspension) (*store.SuspendResult, error) {
	if utf8.RuneCountInString(c.Reason) > prikke.MaxSuspendReason {
		return nil, prikke.Errorf(prikke.EINVALID, "The reason is longer than %d characters.", prikke.MaxSuspendReason)
	}
	var res *store.SuspendResult
	err := r.inTx(ctx, "suspend organization", func(tx Tx) error {
		res = &store.SuspendResult{Jobs: []*prikke.Job{}, Monitors: []*prikke.Monitor{}}
		org, err := r.lockOrganization(ctx, tx, c.OrganizationID)
		if err != nil {
			return err
		}
		if org.Suspended() {
			_, err := tx.Exec(ctx, "UPDATE organizations SET suspend_reason = $2, updated_at = $3 WHERE id = $1",
				c.OrganizationID, c.Reason, r.d.Time(c.At))
			return err
		}
		if err := r.lockScheduledJobs(ctx, tx, c.OrganizationID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE organizations SET suspended_at = $2, suspend_reason = $3, updated_at = $2 WHERE id = $1",
			c.OrganizationID, r.d.Time(c.At), c.Reason); err != nil {
			return err
		}
		jobs, err := r.planJobs(ctx, tx, c.OrganizationID, "j.enabled")
		if err != nil {
			return err
		}
		if err := r.pauseJobs(ctx, tx, jobs, prikke.PauseForSuspension, c.At); err != nil {
			return err
		}
		res.Jobs = jobs
		monitors, err := r.lockMonitors(ctx, tx, "p.organization_id = $1 AND m.status <> 'paused'", "m.created_at, m.id", false, c.OrganizationID)
		if err != nil {
			return err
		}
		if err := r.stepMonitors(ctx, tx, monitors, c.PauseMonitor, prikke.PauseForSuspension, c.At); err != nil {
			return err
		}
		res.Monitors = monitors
		// Queued messages (POST /queue) have no schedule to pause: what
		// waits to be delivered is dropped. A workflow's steps are left
		// to their run.
		n, err := tx.Exec(ctx, `DELETE FROM executions WHERE organization_id = $1 AND status = 'pending'
			AND job_id IN (SELECT j.id FROM jobs j WHERE j.organization_id = $1 AND j.kind = 'queue' AND j.run_id IS NULL)`,
			c.OrganizationID)
		if err != nil {
			return err
		}
		res.Cancelled = int(n)
		return r.notifyStepped(ctx, tx, len(jobs) > 0 || n > 0, len(monitors) > 0)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// OrganizationUnsuspend implements store.Store.
func (r *Records) OrganizationUnsuspend(ctx context.Context, c *store.Suspension) (*store.SuspendResult, error) {
	var res *store.SuspendResult
	err := r.inTx(ctx, "unsuspend organization", func(tx Tx) error {
		res = &store.SuspendResult{Jobs: []*prikke.Job{}, Monitors: []*prikke.Monitor{}}
		org, err := r.lockOrganization(ctx, tx, c.OrganizationID)
		if err != nil || !org.Suspended() {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE organizations SET suspended_at = NULL, suspend_reason = '', updated_at = $2 WHERE id = $1",
			c.OrganizationID, r.d.Time(c.At)); err != nil {
			return err
		}
		jobs, err := r.planJobs(ctx, tx, c.OrganizationID, "j.pause_reason = $2", prikke.PauseForSuspension)
		if err != nil {
			return err
		}
		if err := r.resumeJobs(ctx, tx, jobs, c.NextRun, c.At); err != nil {
			return err
		}
		res.Jobs = jobs
		monitors, err := r.lockMonitors(ctx, tx, "p.organization_id = $1 AND m.pause_reason = $2", "m.created_at, m.id", false,
			c.OrganizationID, prikke.PauseForSuspension)
		if err != nil {
			return err
		}
		if err := r.stepMonitors(ctx, tx, monitors, c.ResumeMonitor, "", c.At); err != nil {
			return err
		}
		res.Monitors = monitors
		return r.notifyStepped(ctx, tx, len(jobs) > 0, len(monitors) > 0)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// relabelForSuspension gives what a plan paused in a suspended
// organization the reason suspended: an upgrade resumes nothing there,
// and the unsuspend resumes it with the rest.
func (r *Records) relabelForSuspension(ctx context.Context, tx Tx, orgID prikke.ID, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE jobs SET pause_reason = $2, updated_at = $4
		WHERE organization_id = $1 AND kind IN ('cron', 'once') AND run_id IS NULL AND pause_reason = $3`,
		orgID, prikke.PauseForSuspension, prikke.PauseForPlan, r.d.Time(now)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE monitors SET pause_reason = $2, version = version + 1, updated_at = $4
		WHERE pause_reason = $3 AND project_id IN (SELECT p.id FROM projects p WHERE p.organization_id = $1)`,
		orgID, prikke.PauseForSuspension, prikke.PauseForPlan, r.d.Time(now))
	return err
}

// notifyStepped wakes the scheduler and the monitor sweep when a
// suspension moved their jobs or monitors.
func (r *Records) notifyStepped(ctx context.Context, tx Tx, jobs, monitors bool) error {
	if jobs {
		if err := tx.Notify(ctx, store.TopicJobs, ""); err != nil {
			return err
		}
	}
	if monitors {
		return tx.Notify(ctx, store.TopicMonitors, "")
	}
	return nil
}

// OrganizationSummaries implements store.Store: one query, its counts
// subqueries of each organization's row.
func (r *Records) OrganizationSummaries(ctx context.Context, f store.OrganizationSummaryFilter) ([]*store.OrganizationSummary, error) {
	args := []any{f.Month}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := []string{"true"}
	if q := strings.TrimSpace(f.Query); q != "" {
		p := arg("%" + likeEscape(q) + "%")
		match := []string{r.d.Contains("o.name", p), `EXISTS (SELECT 1 FROM memberships mm JOIN users u ON u.id = mm.user_id
			WHERE mm.organization_id = o.id AND mm.role = 'owner' AND ` + r.d.Contains("u.email", p) + ")"}
		if id, err := prikke.ParseID(q); err == nil {
			match = append(match, "o.id = "+arg(id))
		}
		where = append(where, "("+strings.Join(match, " OR ")+")")
	}
	if f.Suspended {
		where = append(where, "o.suspended_at IS NOT NULL")
	}
	if !f.BeforeCreatedAt.IsZero() {
		where = append(where, "(o.created_at, o.id) < ("+arg(r.d.Time(f.BeforeCreatedAt))+", "+arg(f.BeforeID)+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + organizationColumns + `,
		coalesce((SELECT u.email FROM memberships mm JOIN users u ON u.id = mm.user_id
			WHERE mm.organization_id = o.id AND mm.role = 'owner' ORDER BY mm.created_at, u.id LIMIT 1), ''),
		(SELECT count(*) FROM memberships mm WHERE mm.organization_id = o.id),
		(SELECT count(*) FROM projects p WHERE p.organization_id = o.id),
		(SELECT count(*) FROM jobs j WHERE j.organization_id = o.id AND j.kind <> 'queue' AND j.run_id IS NULL),
		(SELECT count(*) FROM monitors m JOIN projects p ON p.id = m.project_id WHERE p.organization_id = o.id),
		coalesce((SELECT us.requests FROM usage us WHERE us.organization_id = o.id AND us.month = $1), 0)
		FROM organizations o WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY o.created_at DESC, o.id DESC LIMIT ` + arg(limit)
	return list(ctx, r, "list organization summaries", func(row Row) (*store.OrganizationSummary, error) {
		var s store.OrganizationSummary
		o := &s.Organization
		if err := row.Scan(append(r.organizationDest(o), &s.OwnerEmail, &s.Members, &s.Projects, &s.Jobs, &s.Monitors, &s.Requests)...); err != nil {
			return nil, err
		}
		o.SuspendedAt = utcp(o.SuspendedAt)
		return &s, nil
	}, q, args...)
}

// AuditListOperator implements store.Store: as AuditList, over the
// operator actions of every organization (or of f.OrganizationID when
// set) and of none.
func (r *Records) AuditListOperator(ctx context.Context, f store.AuditFilter) ([]*prikke.AuditEntry, error) {
	return r.auditList(ctx, "list operator audit entries", f, true)
}
