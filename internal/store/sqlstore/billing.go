package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// subscriptionColumns lists a subscription's columns, in
// subscriptionArgs' and scanSubscription's order.
const subscriptionColumns = `id, organization_id, store_id, customer_id, order_id, product_id, variant_id, status, pause_mode,
	customer_email, customer_name, card_brand, card_last_four, renews_at, ends_at, trial_ends_at, test_mode,
	created_at, updated_at, synced_at`

func (r *Records) subscriptionArgs(s *prikke.Subscription) []any {
	return []any{s.ID, r.d.IDPtr(s.OrganizationID), s.StoreID, s.CustomerID, s.OrderID, s.ProductID, s.VariantID, s.Status, s.PauseMode,
		s.CustomerEmail, s.CustomerName, s.CardBrand, s.CardLastFour, r.d.TimePtr(s.RenewsAt), r.d.TimePtr(s.EndsAt), r.d.TimePtr(s.TrialEndsAt), s.TestMode,
		r.d.Time(s.CreatedAt), r.d.Time(s.UpdatedAt), r.d.Time(s.SyncedAt)}
}

func (r *Records) scanSubscription(row Row) (*prikke.Subscription, error) {
	var s prikke.Subscription
	if err := row.Scan(&s.ID, r.d.ScanIDPtr(&s.OrganizationID), &s.StoreID, &s.CustomerID, &s.OrderID, &s.ProductID, &s.VariantID, &s.Status, &s.PauseMode,
		&s.CustomerEmail, &s.CustomerName, &s.CardBrand, &s.CardLastFour, r.d.ScanTimePtr(&s.RenewsAt), r.d.ScanTimePtr(&s.EndsAt), r.d.ScanTimePtr(&s.TrialEndsAt), &s.TestMode,
		r.d.ScanTime(&s.CreatedAt), r.d.ScanTime(&s.UpdatedAt), r.d.ScanTime(&s.SyncedAt)); err != nil {
		return nil, err
	}
	s.RenewsAt, s.EndsAt, s.TrialEndsAt = utcp(s.RenewsAt), utcp(s.EndsAt), utcp(s.TrialEndsAt)
	return &s, nil
}

// upsertSubscriptionSQL writes a subscription unless the stored copy is
// as new or newer (updated_at), in one statement, so two deliveries of
// one subscription racing each other cannot both win. An organization
// that does not exist is stored as none (unclaimed), and a stored claim
// is kept when the incoming copy names no organization. It returns the
// organization the row ends with, and no row when it wrote nothing.
var upsertSubscriptionSQL = func() string {
	cols := columnList(subscriptionColumns)
	sets := make([]string, 0, len(cols))
	for _, c := range cols[2:] {
		sets = append(sets, c+" = excluded."+c)
	}
	values := strings.Split(placeholders(1, len(cols)), ", ")
	values[1] = "(SELECT o.id FROM organizations o WHERE o.id = $2)"
	return `INSERT INTO subscriptions (` + subscriptionColumns + `) VALUES (` + strings.Join(values, ", ") + `)
		ON CONFLICT (id) DO UPDATE SET organization_id = coalesce(excluded.organization_id, subscriptions.organization_id), ` +
		strings.Join(sets, ", ") + `
		WHERE subscriptions.updated_at < excluded.updated_at
		RETURNING organization_id`
}()

// upsertSubscription writes sub on the newer-only rule and returns the
// outcome: applied, unclaimed (written, with no organization) or stale.
func (r *Records) upsertSubscription(ctx context.Context, tx Tx, sub *prikke.Subscription) (string, error) {
	rows, err := tx.Query(ctx, upsertSubscriptionSQL, r.subscriptionArgs(sub)...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	if !rows.Next() {
		return prikke.BillingStale, rows.Err()
	}
	var org *prikke.ID
	if err := rows.Scan(r.d.ScanIDPtr(&org)); err != nil {
		return "", err
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if org == nil {
		return prikke.BillingUnclaimed, nil
	}
	return prikke.BillingApplied, nil
}

// errDuplicate ends BillingRecord's transaction when the delivery was
// recorded before.
var errDuplicate = errors.New("duplicate delivery")

// BillingRecord implements store.Store. The delivery is inserted first
// (its hash is the key): a replay stops there, before anything else is
// written. Its outcome is filled in once the subscription is written, and
// its organization is the one it names if that exists, else the one its
// subscription ends with.
func (r *Records) BillingRecord(ctx context.Context, ev *prikke.BillingEvent, sub *prikke.Subscription) (string, error) {
	if ev == nil && sub == nil {
		return "", fmt.Errorf("%s: record billing event: no event and no subscription", r.d.Name())
	}
	var outcome string
	err := r.inTx(ctx, "record billing event", func(tx Tx) error {
		if ev != nil {
			n, err := tx.Exec(ctx, `INSERT INTO billing_events (hash, name, subscription_id, organization_id, invoice_status,
					invoice_total, test_mode, outcome, received_at)
				VALUES ($1, $2, $3, (SELECT o.id FROM organizations o WHERE o.id = $4), $5, $6, $7, '', $8)
				ON CONFLICT (hash) DO NOTHING`,
				ev.Hash, ev.Name, ev.SubscriptionID, r.d.IDPtr(ev.OrganizationID), ev.InvoiceStatus,
				ev.InvoiceTotal, ev.TestMode, r.d.Time(ev.ReceivedAt))
			if err != nil {
				return err
			}
			if n == 0 {
				return errDuplicate
			}
		}
		if sub != nil {
			var err error
			if outcome, err = r.upsertSubscription(ctx, tx, sub); err != nil {
				return err
			}
		} else {
			// An invoice event (the caller set BillingPayment) or one
			// Prikke does not act on: the subscription is left alone.
			outcome = ev.Outcome
			if outcome == "" {
				outcome = prikke.BillingIgnored
			}
		}
		if ev == nil {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE billing_events SET outcome = $2,
			organization_id = coalesce(organization_id, (SELECT s.organization_id FROM subscriptions s WHERE s.id = $3))
			WHERE hash = $1`, ev.Hash, outcome, ev.SubscriptionID)
		return err
	})
	if errors.Is(err, errDuplicate) {
		return store.BillingDuplicate, nil
	}
	if err != nil {
		return "", err
	}
	if ev != nil {
		ev.Outcome = outcome
	}
	return outcome, nil
}

// SubscriptionGet implements store.Store.
func (r *Records) SubscriptionGet(ctx context.Context, id string) (*prikke.Subscription, error) {
	return one(ctx, r, "get subscription", r.scanSubscription, "SELECT "+subscriptionColumns+" FROM subscriptions WHERE id = $1", id)
}

// SubscriptionList implements store.Store.
func (r *Records) SubscriptionList(ctx context.Context, f store.SubscriptionFilter) ([]*prikke.Subscription, error) {
	where := []string{"true"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.OrganizationID != nil {
		where = append(where, "organization_id = "+arg(*f.OrganizationID))
	}
	if f.Unclaimed {
		where = append(where, "organization_id IS NULL")
	}
	if f.Email != "" {
		where = append(where, "lower(customer_email) = lower("+arg(f.Email)+")")
	}
	return list(ctx, r, "list subscriptions", r.scanSubscription, "SELECT "+subscriptionColumns+" FROM subscriptions WHERE "+
		strings.Join(where, " AND ")+" ORDER BY updated_at DESC, id", args...)
}

// SubscriptionClaim implements store.Store. A missing organization is
// ENOTFOUND (the foreign key).
func (r *Records) SubscriptionClaim(ctx context.Context, id string, orgID prikke.ID) error {
	return r.inTx(ctx, "claim subscription", func(tx Tx) error {
		n, err := tx.Exec(ctx, "UPDATE subscriptions SET organization_id = $2 WHERE id = $1 AND organization_id IS NULL", id, orgID)
		if err != nil || n > 0 {
			return err
		}
		var exists int
		if err := tx.QueryRow(ctx, "SELECT 1 FROM subscriptions WHERE id = $1", id).Scan(&exists); err != nil {
			return err
		}
		return prikke.Errorf(prikke.ECONFLICT, "The subscription belongs to an organization already.")
	})
}

// BillingEventList implements store.Store.
func (r *Records) BillingEventList(ctx context.Context, orgID prikke.ID, limit int) ([]*prikke.BillingEvent, error) {
	if limit <= 0 {
		limit = 100
	}
	return list(ctx, r, "list billing events", func(row Row) (*prikke.BillingEvent, error) {
		var e prikke.BillingEvent
		err := row.Scan(&e.Hash, &e.Name, &e.SubscriptionID, r.d.ScanIDPtr(&e.OrganizationID), &e.InvoiceStatus, &e.InvoiceTotal,
			&e.TestMode, &e.Outcome, r.d.ScanTime(&e.ReceivedAt))
		return &e, err
	}, `SELECT hash, name, subscription_id, organization_id, invoice_status, invoice_total, test_mode, outcome, received_at
		FROM billing_events WHERE organization_id = $1 ORDER BY received_at DESC, hash DESC LIMIT $2`, orgID, limit)
}

// OrganizationSetBaseTier implements store.Store.
func (r *Records) OrganizationSetBaseTier(ctx context.Context, id prikke.ID, tier prikke.Tier, now time.Time) error {
	return r.execOne(ctx, "set base tier", "UPDATE organizations SET base_tier = $2, updated_at = $3 WHERE id = $1", id, tier, r.d.Time(now))
}

// lockOrganization reads an organization, holding its row for the rest
// of tx (PostgreSQL; SQLite's single writer holds everything): creates
// within its limit, plan changes and suspensions queue behind each other.
// The lock lets the engine go on writing the organization's executions
// and usage (their foreign keys' checks do not wait for it), so a plan
// change and a scheduler that holds a job it is about to pause cannot
// deadlock.
func (r *Records) lockOrganization(ctx context.Context, tx Tx, id prikke.ID) (*prikke.Organization, error) {
	return r.scanOrganization(tx.QueryRow(ctx, "SELECT "+organizationColumns+" FROM organizations o WHERE o.id = $1 "+r.d.ForNoKeyUpdate(), id))
}

// downgrade reports whether moving from one tier to another lowers the
// limits: fewer jobs and monitors, or a longer shortest interval.
func downgrade(from, to prikke.Tier) bool {
	f, t := from.Limits(), to.Limits()
	fewer := t.MaxJobs > 0 && (f.MaxJobs == 0 || t.MaxJobs < f.MaxJobs)
	return fewer || t.MinInterval > f.MinInterval
}

// QueuePrioritizer is implemented by a dialect whose engine claims from a
// copy of the executions' priorities (PostgreSQL's execution_queue).
type QueuePrioritizer interface {
	// CopyQueuePriorities sets the priority of the organization's pending
	// queue rows to their executions'.
	CopyQueuePriorities(ctx context.Context, tx Tx, orgID prikke.ID) error
}

// PlanChange implements store.Store.
func (r *Records) PlanChange(ctx context.Context, c *store.PlanChange) (*store.PlanResult, error) {
	var res *store.PlanResult
	err := r.inTx(ctx, "change plan", func(tx Tx) error {
		res = nil
		org, err := r.lockOrganization(ctx, tx, c.OrganizationID)
		if err != nil {
			return err
		}
		from := org.Tier
		if from == c.To {
			if !c.Enforce {
				return nil
			}
			out := &store.PlanResult{From: from, To: c.To, Jobs: []*prikke.Job{}, Monitors: []*prikke.Monitor{}}
			if err := r.pauseForPlan(ctx, tx, c, out); err != nil || len(out.Jobs)+len(out.Monitors) == 0 {
				return err
			}
			if err := tx.Notify(ctx, store.TopicJobs, ""); err != nil {
				return err
			}
			if len(out.Monitors) > 0 {
				if err := tx.Notify(ctx, store.TopicMonitors, ""); err != nil {
					return err
				}
			}
			res = out
			return nil
		}
		if err := r.lockScheduledJobs(ctx, tx, c.OrganizationID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE organizations SET tier = $2, updated_at = $3 WHERE id = $1",
			c.OrganizationID, c.To, r.d.Time(c.At)); err != nil {
			return err
		}
		out := &store.PlanResult{From: from, To: c.To, Jobs: []*prikke.Job{}, Monitors: []*prikke.Monitor{}}
		switch {
		case downgrade(from, c.To):
			err = r.pauseForPlan(ctx, tx, c, out)
		case org.Suspended():
			// Nothing runs while an operator has the organization
			// suspended: what the plan paused waits for the unsuspend
			// instead, which resumes it (and then enforces the tier).
			err = r.relabelForSuspension(ctx, tx, c.OrganizationID, c.At)
		default:
			err = r.resumeForPlan(ctx, tx, c, out)
		}
		if err != nil {
			return err
		}
		if err := r.reprioritize(ctx, tx, c.OrganizationID, c.To); err != nil {
			return err
		}
		// The scheduler plans with the organization's tier: wake it
		// whatever moved.
		if err := tx.Notify(ctx, store.TopicJobs, ""); err != nil {
			return err
		}
		if len(out.Monitors) > 0 {
			if err := tx.Notify(ctx, store.TopicMonitors, ""); err != nil {
				return err
			}
		}
		res = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// lockScheduledJobs holds the organization's enabled cron and one-time
// jobs, in ID order as the scheduler's OccurrencesWrite locks them: a
// write that read the old tier either commits before (and reprioritize
// sees its executions) or waits for the change and reads the new tier.
func (r *Records) lockScheduledJobs(ctx context.Context, tx Tx, orgID prikke.ID) error {
	lock := r.d.ForNoKeyUpdate()
	if lock == "" {
		return nil // SQLite: one writer at a time
	}
	rows, err := tx.Query(ctx, `SELECT id FROM jobs WHERE organization_id = $1 AND kind IN ('cron', 'once') AND enabled
		ORDER BY id `+lock, orgID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() { // each row is locked as it is read
	}
	return rows.Err()
}

// planJobs reads the organization's user jobs (cron and one-time, not a
// workflow step's) where cond holds ($1 is the organization, args follow),
// oldest first, locked.
func (r *Records) planJobs(ctx context.Context, tx Tx, orgID prikke.ID, cond string, args ...any) ([]*prikke.Job, error) {
	return queryAll(ctx, tx, r.scanJob, "SELECT "+JobColumns+` FROM jobs j
		WHERE j.organization_id = $1 AND j.kind IN ('cron', 'once') AND j.run_id IS NULL AND `+cond+`
		ORDER BY j.created_at, j.id `+r.d.ForUpdateOf("j", false), append([]any{orgID}, args...)...)
}

// pauseJobs pauses jobs (locked) with reason, as a pause does: enabled
// false, no next run, their pending executions deleted.
func (r *Records) pauseJobs(ctx context.Context, tx Tx, jobs []*prikke.Job, reason string, now time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	ids := make([]prikke.ID, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	if _, err := tx.Exec(ctx, `UPDATE jobs SET enabled = false, next_run_at = NULL, pause_reason = $2, updated_at = $3
		WHERE `+r.d.AnyOf("id", "$1"), r.d.List(ids), reason, r.d.Time(now)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM executions WHERE status = 'pending' AND "+r.d.AnyOf("job_id", "$1"), r.d.List(ids)); err != nil {
		return err
	}
	for _, j := range jobs {
		j.Enabled, j.NextRunAt, j.PauseReason, j.UpdatedAt = false, nil, reason, now
	}
	return nil
}

// resumeJobs resumes jobs (locked) a plan or a suspension paused:
// enabled, reason cleared, NextRunAt from nextRun.
func (r *Records) resumeJobs(ctx context.Context, tx Tx, jobs []*prikke.Job, nextRun func(*prikke.Job, time.Time) *time.Time, now time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	if nextRun == nil {
		return errors.New("resuming jobs needs NextRun")
	}
	args := make([][]any, len(jobs))
	for i, j := range jobs {
		j.Enabled, j.PauseReason, j.UpdatedAt = true, "", now
		j.NextRunAt = nextRun(j, now)
		args[i] = []any{j.ID, r.d.TimePtr(j.NextRunAt), r.d.Time(now)}
	}
	return tx.ExecBatch(ctx, `UPDATE jobs SET enabled = true, next_run_at = $2, pause_reason = '', disabled_reason = '', updated_at = $3
		WHERE id = $1`, args)
}

// pauseForPlan pauses what prikke.PlanPauses picks of the organization's
// active jobs and monitors, with the reason plan.
func (r *Records) pauseForPlan(ctx context.Context, tx Tx, c *store.PlanChange, out *store.PlanResult) error {
	jobs, err := r.planJobs(ctx, tx, c.OrganizationID, "j.enabled")
	if err != nil {
		return err
	}
	monitors, err := r.lockMonitors(ctx, tx, "p.organization_id = $1 AND m.status <> 'paused'", "m.created_at, m.id", false, c.OrganizationID)
	if err != nil {
		return err
	}
	pj, pm := prikke.PlanPauses(c.To.Limits(), jobs, monitors)
	if err := r.pauseJobs(ctx, tx, pj, prikke.PauseForPlan, c.At); err != nil {
		return err
	}
	out.Jobs = append(out.Jobs, pj...)
	if err := r.stepMonitors(ctx, tx, pm, c.PauseMonitor, prikke.PauseForPlan, c.At); err != nil {
		return err
	}
	out.Monitors = append(out.Monitors, pm...)
	return nil
}

// resumeForPlan resumes every job and monitor of the organization a
// downgrade paused (reason plan), and nothing a user paused.
func (r *Records) resumeForPlan(ctx context.Context, tx Tx, c *store.PlanChange, out *store.PlanResult) error {
	jobs, err := r.planJobs(ctx, tx, c.OrganizationID, "j.pause_reason = $2", prikke.PauseForPlan)
	if err != nil {
		return err
	}
	if err := r.resumeJobs(ctx, tx, jobs, c.NextRun, c.At); err != nil {
		return err
	}
	out.Jobs = append(out.Jobs, jobs...)
	monitors, err := r.lockMonitors(ctx, tx, "p.organization_id = $1 AND m.pause_reason = $2", "m.created_at, m.id", false, c.OrganizationID, prikke.PauseForPlan)
	if err != nil {
		return err
	}
	if err := r.stepMonitors(ctx, tx, monitors, c.ResumeMonitor, "", c.At); err != nil {
		return err
	}
	out.Monitors = append(out.Monitors, monitors...)
	return nil
}

// stepMonitors steps monitors (locked) with step, gives them the pause
// reason, and stores their state and flips as MonitorModify does.
func (r *Records) stepMonitors(ctx context.Context, tx Tx, ms []*prikke.Monitor, step func(*prikke.Monitor, time.Time) []*prikke.MonitorFlip, reason string, now time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	if step == nil {
		return errors.New("pausing or resuming monitors needs their step")
	}
	flips := make([][]*prikke.MonitorFlip, len(ms))
	states := make([][]any, len(ms))
	for i, m := range ms {
		flips[i] = step(m, now)
		m.PauseReason = reason
		m.Version++
		m.UpdatedAt = now
		states[i] = append([]any{m.ID}, monitorStateArgs(r.d, m)...)
	}
	if err := tx.UpdateRows(ctx, "monitors", monitorStateUpdate, monitorStateTypes, states); err != nil {
		return err
	}
	return r.insertMonitorFlips(ctx, tx, ms, flips)
}

// reprioritize gives the organization's pending executions the priority
// of tier, so that claims order them as new ones of the tier.
func (r *Records) reprioritize(ctx context.Context, tx Tx, orgID prikke.ID, tier prikke.Tier) error {
	type class struct {
		kind     prikke.JobKind
		interval int
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT j.kind, j.interval_minutes FROM executions e JOIN jobs j ON j.id = e.job_id
		WHERE e.organization_id = $1 AND e.status = 'pending'`, orgID)
	if err != nil {
		return err
	}
	var classes []class
	for rows.Next() {
		var c class
		if err := rows.Scan(&c.kind, &c.interval); err != nil {
			rows.Close()
			return err
		}
		classes = append(classes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range classes {
		if _, err := tx.Exec(ctx, `UPDATE executions SET priority = $4
			WHERE organization_id = $1 AND status = 'pending' AND priority <> $4
				AND job_id IN (SELECT j.id FROM jobs j WHERE j.organization_id = $1 AND j.kind = $2 AND j.interval_minutes = $3)`,
			orgID, c.kind, c.interval, prikke.Priority(tier, c.kind, c.interval)); err != nil {
			return err
		}
	}
	if q, ok := r.d.(QueuePrioritizer); ok {
		return q.CopyQueuePriorities(ctx, tx, orgID)
	}
	return nil
}

// errLimit carries JobCreateWithin's refusal out of its transaction.
type errLimit struct{ err *store.LimitError }

func (e *errLimit) Error() string { return e.err.Error() }

// createWithin runs insert in a transaction holding the organization's
// row, after counting its jobs and monitors (as JobCountByOrganization
// and MonitorCountByOrganization count them) inside it.
func (r *Records) createWithin(ctx context.Context, op string, orgID prikke.ID, max int, insert func(tx Tx) error) error {
	err := r.inTx(ctx, op, func(tx Tx) error {
		org, err := r.lockOrganization(ctx, tx, orgID)
		if err != nil {
			return err
		}
		// A suspension that committed after the caller checked: nothing
		// new may run in a suspended organization.
		if org.Suspended() {
			return errSuspended()
		}
		tier := org.Tier
		// The tier the row holds now wins when it is stricter: a
		// downgrade that committed after the caller read the tier.
		if own := tier.Limits().MaxJobs; own > 0 && (max == 0 || own < max) {
			max = own
		}
		if max > 0 {
			var jobs, monitors int
			if err := tx.QueryRow(ctx, `SELECT
					(SELECT count(*) FROM jobs WHERE organization_id = $1 AND kind <> 'queue' AND run_id IS NULL),
					(SELECT count(*) FROM monitors m JOIN projects p ON p.id = m.project_id WHERE p.organization_id = $1)`,
				orgID).Scan(&jobs, &monitors); err != nil {
				return err
			}
			if jobs+monitors >= max {
				return &errLimit{&store.LimitError{Jobs: jobs, Monitors: monitors, Max: max}}
			}
		}
		return insert(tx)
	})
	if le, ok := errors.AsType[*errLimit](err); ok {
		return le.err
	}
	return err
}

// JobCreateWithin implements store.Store.
func (r *Records) JobCreateWithin(ctx context.Context, j *prikke.Job, max int) error {
	return r.createWithin(ctx, "create job", j.OrganizationID, max, func(tx Tx) error {
		if err := InsertJob(ctx, r.d, tx, j); err != nil {
			return err
		}
		return tx.Notify(ctx, store.TopicJobs, j.ID.String())
	})
}

// MonitorCreateWithin implements store.Store. The monitor's organization
// is its project's.
func (r *Records) MonitorCreateWithin(ctx context.Context, m *prikke.Monitor, max int) error {
	var orgID prikke.ID
	if err := r.d.Reader().QueryRow(ctx, "SELECT organization_id FROM projects WHERE id = $1", m.ProjectID).Scan(&orgID); err != nil {
		return r.fail("create monitor", err)
	}
	return r.createWithin(ctx, "create monitor", orgID, max, func(tx Tx) error {
		return r.insertMonitor(ctx, tx, m)
	})
}
