package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// HeartbeatList implements store.Store.
func (r *Records) HeartbeatList(ctx context.Context, prefix string) ([]store.Heartbeat, error) {
	return list(ctx, r, "list heartbeats", func(row Row) (store.Heartbeat, error) {
		var h store.Heartbeat
		err := row.Scan(&h.Name, r.d.ScanTime(&h.At), &h.Detail)
		h.At = h.At.UTC()
		return h, err
	}, "SELECT name, beat_at, detail FROM heartbeats WHERE substr(name, 1, length($1)) = $1 ORDER BY name", prefix)
}

// statusSampleAddSQL adds a sample's counters to its component's day.
const statusSampleAddSQL = `INSERT INTO status_samples (day, component, checks, degraded, outage,
		operational_seconds, degraded_seconds, outage_seconds, maintenance_seconds)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
	ON CONFLICT (day, component) DO UPDATE SET checks = status_samples.checks + excluded.checks,
		degraded = status_samples.degraded + excluded.degraded, outage = status_samples.outage + excluded.outage,
		operational_seconds = status_samples.operational_seconds + excluded.operational_seconds,
		degraded_seconds = status_samples.degraded_seconds + excluded.degraded_seconds,
		outage_seconds = status_samples.outage_seconds + excluded.outage_seconds,
		maintenance_seconds = status_samples.maintenance_seconds + excluded.maintenance_seconds`

func statusSampleArgs(d *prikke.StatusSample) []any {
	return []any{d.Day, d.Component, d.Checks, d.Degraded, d.Outage,
		d.OperationalSeconds, d.DegradedSeconds, d.OutageSeconds, d.MaintenanceSeconds}
}

// StatusSampleAdd implements store.Store.
func (r *Records) StatusSampleAdd(ctx context.Context, d *prikke.StatusSample) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s: add status sample: %w", r.d.Name(), err)
	}
	if _, err := r.d.Writer().Exec(ctx, statusSampleAddSQL, statusSampleArgs(d)...); err != nil {
		return r.fail("add status sample", err)
	}
	return nil
}

// StatusSampleCommit implements store.Store. The mark moves first, as a
// compare-and-set on its detail: a concurrent caller waits on the row's
// lock (or for the single writer), then finds the detail changed (or, for
// the first mark, the row there) and writes nothing.
func (r *Records) StatusSampleCommit(ctx context.Context, mark, prev, next string, ds []*prikke.StatusSample) (bool, error) {
	var moved bool
	err := r.inTx(ctx, "commit status samples", func(tx Tx) error {
		var res int64
		var err error
		if prev == "" {
			res, err = tx.Exec(ctx, `INSERT INTO heartbeats (name, beat_at, detail) VALUES ($1, `+r.d.NowSQL()+`, $2)
				ON CONFLICT (name) DO NOTHING`, mark, next)
		} else {
			res, err = tx.Exec(ctx, `UPDATE heartbeats SET beat_at = `+r.d.NowSQL()+`, detail = $2 WHERE name = $1 AND detail = $3`,
				mark, next, prev)
		}
		if err != nil {
			return err
		}
		if res == 0 {
			return nil // another sampler moved the mark first
		}
		// A sample that cannot be added (EINVALID) undoes the mark and
		// the samples before it: the span stays for the next sample.
		for _, d := range ds {
			if err := d.Validate(); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, statusSampleAddSQL, statusSampleArgs(d)...); err != nil {
				return err
			}
		}
		moved = true
		return nil
	})
	return moved && err == nil, err
}

// StatusSampleList implements store.Store.
func (r *Records) StatusSampleList(ctx context.Context, sinceDay string) ([]*prikke.StatusSample, error) {
	return list(ctx, r, "list status samples", func(row Row) (*prikke.StatusSample, error) {
		var x prikke.StatusSample
		err := row.Scan(&x.Day, &x.Component, &x.Checks, &x.Degraded, &x.Outage,
			&x.OperationalSeconds, &x.DegradedSeconds, &x.OutageSeconds, &x.MaintenanceSeconds)
		return &x, err
	}, `SELECT day, component, checks, degraded, outage, operational_seconds, degraded_seconds, outage_seconds, maintenance_seconds
		FROM status_samples WHERE day >= $1 ORDER BY day, component`, sinceDay)
}

const incidentColumns = "id, title, status, components, created_at, updated_at, resolved_at"

func (r *Records) scanIncident(row Row) (*prikke.Incident, error) {
	var inc prikke.Incident
	var components string
	if err := row.Scan(&inc.ID, &inc.Title, &inc.Status, &components, r.d.ScanTime(&inc.CreatedAt), r.d.ScanTime(&inc.UpdatedAt),
		r.d.ScanTimePtr(&inc.ResolvedAt)); err != nil {
		return nil, err
	}
	inc.ResolvedAt = utcp(inc.ResolvedAt)
	if components != "" {
		inc.Components = strings.Split(components, ",")
	}
	return &inc, nil
}

const incidentUpdateColumns = "id, incident_id, status, message, created_at"

func (r *Records) scanIncidentUpdate(row Row) (prikke.IncidentUpdate, error) {
	var u prikke.IncidentUpdate
	err := row.Scan(&u.ID, &u.IncidentID, &u.Status, &u.Message, r.d.ScanTime(&u.CreatedAt))
	return u, err
}

func (r *Records) insertIncidentUpdate(ctx context.Context, tx Tx, incidentID prikke.ID, u *prikke.IncidentUpdate) error {
	_, err := tx.Exec(ctx, `INSERT INTO incident_updates (`+incidentUpdateColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		u.ID, incidentID, u.Status, u.Message, r.d.Time(u.CreatedAt))
	return err
}

// IncidentCreate implements store.Store.
func (r *Records) IncidentCreate(ctx context.Context, inc *prikke.Incident, first *prikke.IncidentUpdate) error {
	return r.inTx(ctx, "create incident", func(tx Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO incidents (`+incidentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			inc.ID, inc.Title, inc.Status, strings.Join(inc.Components, ","), r.d.Time(inc.CreatedAt), r.d.Time(inc.UpdatedAt),
			r.d.TimePtr(inc.ResolvedAt)); err != nil {
			return err
		}
		if first == nil {
			return nil
		}
		return r.insertIncidentUpdate(ctx, tx, inc.ID, first)
	})
}

// IncidentUpdate implements store.Store. Resolving sets resolved_at to
// the update's time; any other status (a reopened incident) clears it.
func (r *Records) IncidentUpdate(ctx context.Context, u *prikke.IncidentUpdate) error {
	return r.inTx(ctx, "update incident", func(tx Tx) error {
		res, err := tx.Exec(ctx, `UPDATE incidents SET status = $2, updated_at = $3,
			resolved_at = CASE WHEN $2 = 'resolved' THEN `+r.d.TimeParam("$3")+` END WHERE id = $1`, u.IncidentID, u.Status, r.d.Time(u.CreatedAt))
		if err != nil {
			return err
		}
		if res == 0 {
			return notFound()
		}
		return r.insertIncidentUpdate(ctx, tx, u.IncidentID, u)
	})
}

// IncidentGet implements store.Store.
func (r *Records) IncidentGet(ctx context.Context, id prikke.ID) (*prikke.Incident, error) {
	inc, err := r.scanIncident(r.d.Reader().QueryRow(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1", id))
	if err != nil {
		return nil, r.fail("get incident", err)
	}
	if inc.Updates, err = list(ctx, r, "get incident", r.scanIncidentUpdate, "SELECT "+incidentUpdateColumns+
		" FROM incident_updates WHERE incident_id = $1 ORDER BY created_at DESC, id DESC", id); err != nil {
		return nil, err
	}
	return inc, nil
}

// IncidentList implements store.Store.
func (r *Records) IncidentList(ctx context.Context, since time.Time) ([]*prikke.Incident, error) {
	incs, err := list(ctx, r, "list incidents", r.scanIncident, "SELECT "+incidentColumns+` FROM incidents
		WHERE status <> 'resolved' OR resolved_at >= $1 ORDER BY created_at DESC, id DESC`, r.d.Time(since))
	if err != nil {
		return nil, err
	}
	updates, err := list(ctx, r, "list incidents", r.scanIncidentUpdate, "SELECT "+prefixColumns("u", incidentUpdateColumns)+`
		FROM incident_updates u JOIN incidents i ON i.id = u.incident_id
		WHERE i.status <> 'resolved' OR i.resolved_at >= $1 ORDER BY u.created_at DESC, u.id DESC`, r.d.Time(since))
	if err != nil {
		return nil, err
	}
	byID := make(map[prikke.ID]*prikke.Incident, len(incs))
	for _, inc := range incs {
		byID[inc.ID] = inc
	}
	for _, u := range updates {
		// An incident created between the two reads has no entry; skip it.
		if inc := byID[u.IncidentID]; inc != nil {
			inc.Updates = append(inc.Updates, u)
		}
	}
	return incs, nil
}

const statusPageColumns = "id, project_id, slug, title, published, created_at, updated_at"

func (r *Records) scanStatusPage(row Row) (*prikke.StatusPage, error) {
	var p prikke.StatusPage
	if err := row.Scan(&p.ID, &p.ProjectID, &p.Slug, &p.Title, &p.Published, r.d.ScanTime(&p.CreatedAt), r.d.ScanTime(&p.UpdatedAt)); err != nil {
		return nil, err
	}
	return &p, nil
}

// insertStatusPageJobs writes a page's job list. A job of another project
// is refused as not found: a page shows only its own project's jobs.
func insertStatusPageJobs(ctx context.Context, tx Tx, pageID, projectID prikke.ID, jobs []prikke.StatusPageJob) error {
	for _, j := range jobs {
		res, err := tx.Exec(ctx, `INSERT INTO status_page_jobs (status_page_id, job_id, display_name, position)
			SELECT $1, id, $3, $4 FROM jobs WHERE id = $2 AND project_id = $5`, pageID, j.JobID, j.DisplayName, j.Position, projectID)
		if err != nil {
			return err
		}
		if res == 0 {
			return notFound()
		}
	}
	return nil
}

// insertStatusPageMonitors writes a page's monitor list, in order. A
// monitor of another project is refused as not found.
func insertStatusPageMonitors(ctx context.Context, tx Tx, pageID, projectID prikke.ID, monitors []prikke.StatusPageMonitor) error {
	for i, m := range monitors {
		res, err := tx.Exec(ctx, `INSERT INTO status_page_monitors (status_page_id, monitor_id, display_name, position)
			SELECT $1, id, $3, $4 FROM monitors WHERE id = $2 AND project_id = $5`, pageID, m.MonitorID, m.DisplayName, i, projectID)
		if err != nil {
			return err
		}
		if res == 0 {
			return notFound()
		}
	}
	return nil
}

// StatusPageCreate implements store.Store.
func (r *Records) StatusPageCreate(ctx context.Context, p *prikke.StatusPage) error {
	return r.inTx(ctx, "create status page", func(tx Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO status_pages (`+statusPageColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			p.ID, p.ProjectID, p.Slug, p.Title, p.Published, r.d.Time(p.CreatedAt), r.d.Time(p.UpdatedAt)); err != nil {
			return err
		}
		if err := insertStatusPageJobs(ctx, tx, p.ID, p.ProjectID, p.Jobs); err != nil {
			return err
		}
		return insertStatusPageMonitors(ctx, tx, p.ID, p.ProjectID, p.Monitors)
	})
}

// statusPageJobs fills the job and monitor lists of pages, ordered by
// position.
func (r *Records) statusPageJobs(ctx context.Context, op string, pages []*prikke.StatusPage) error {
	if len(pages) == 0 {
		return nil
	}
	byID := make(map[prikke.ID]*prikke.StatusPage, len(pages))
	ids := make([]prikke.ID, len(pages))
	for i, p := range pages {
		byID[p.ID] = p
		ids[i] = p.ID
	}
	type row struct {
		pageID prikke.ID
		job    prikke.StatusPageJob
	}
	rows, err := list(ctx, r, op, func(rw Row) (row, error) {
		var x row
		err := rw.Scan(&x.pageID, &x.job.JobID, &x.job.DisplayName, &x.job.Position)
		return x, err
	}, `SELECT status_page_id, job_id, display_name, position FROM status_page_jobs
		WHERE `+r.d.AnyOf("status_page_id", "$1")+` ORDER BY position, job_id`, r.d.List(ids))
	if err != nil {
		return err
	}
	for _, x := range rows {
		p := byID[x.pageID]
		p.Jobs = append(p.Jobs, x.job)
	}
	type mrow struct {
		pageID  prikke.ID
		monitor prikke.StatusPageMonitor
	}
	mrows, err := list(ctx, r, op, func(rw Row) (mrow, error) {
		var x mrow
		err := rw.Scan(&x.pageID, &x.monitor.MonitorID, &x.monitor.DisplayName)
		return x, err
	}, `SELECT status_page_id, monitor_id, display_name FROM status_page_monitors
		WHERE `+r.d.AnyOf("status_page_id", "$1")+` ORDER BY position, monitor_id`, r.d.List(ids))
	if err != nil {
		return err
	}
	for _, x := range mrows {
		p := byID[x.pageID]
		p.Monitors = append(p.Monitors, x.monitor)
	}
	return nil
}

func (r *Records) statusPageGet(ctx context.Context, op, where string, arg any) (*prikke.StatusPage, error) {
	p, err := r.scanStatusPage(r.d.Reader().QueryRow(ctx, "SELECT "+statusPageColumns+" FROM status_pages WHERE "+where, arg))
	if err != nil {
		return nil, r.fail(op, err)
	}
	if err := r.statusPageJobs(ctx, op, []*prikke.StatusPage{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// StatusPageGet implements store.Store.
func (r *Records) StatusPageGet(ctx context.Context, id prikke.ID) (*prikke.StatusPage, error) {
	return r.statusPageGet(ctx, "get status page", "id = $1", id)
}

// StatusPageGetBySlug implements store.Store.
func (r *Records) StatusPageGetBySlug(ctx context.Context, slug string) (*prikke.StatusPage, error) {
	return r.statusPageGet(ctx, "get status page by slug", "slug = $1", slug)
}

// StatusPageListByProject implements store.Store. Pages come with their
// job lists.
func (r *Records) StatusPageListByProject(ctx context.Context, projectID prikke.ID) ([]*prikke.StatusPage, error) {
	pages, err := list(ctx, r, "list status pages", r.scanStatusPage,
		"SELECT "+statusPageColumns+" FROM status_pages WHERE project_id = $1 ORDER BY created_at, id", projectID)
	if err != nil {
		return nil, err
	}
	if err := r.statusPageJobs(ctx, "list status pages", pages); err != nil {
		return nil, err
	}
	return pages, nil
}

// StatusPageUpdate implements store.Store.
func (r *Records) StatusPageUpdate(ctx context.Context, p *prikke.StatusPage) error {
	return r.inTx(ctx, "update status page", func(tx Tx) error {
		// The page's project comes from the row, not the caller.
		var projectID prikke.ID
		err := tx.QueryRow(ctx, `UPDATE status_pages SET slug = $2, title = $3, published = $4, updated_at = $5
			WHERE id = $1 RETURNING project_id`, p.ID, p.Slug, p.Title, p.Published, r.d.Time(p.UpdatedAt)).Scan(&projectID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM status_page_jobs WHERE status_page_id = $1", p.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM status_page_monitors WHERE status_page_id = $1", p.ID); err != nil {
			return err
		}
		if err := insertStatusPageJobs(ctx, tx, p.ID, projectID, p.Jobs); err != nil {
			return err
		}
		return insertStatusPageMonitors(ctx, tx, p.ID, projectID, p.Monitors)
	})
}

// StatusPageDelete implements store.Store.
func (r *Records) StatusPageDelete(ctx context.Context, id prikke.ID) error {
	return r.execOne(ctx, "delete status page", "DELETE FROM status_pages WHERE id = $1", id)
}

// StartOfDay returns the start of t's UTC day.
func StartOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// JobDaysList implements store.Store.
func (r *Records) JobDaysList(ctx context.Context, jobIDs []prikke.ID, sinceDay string) ([]*prikke.JobDay, error) {
	if len(jobIDs) == 0 {
		return []*prikke.JobDay{}, nil
	}
	return list(ctx, r, "list job days", func(row Row) (*prikke.JobDay, error) {
		var d prikke.JobDay
		err := row.Scan(&d.JobID, &d.Day, &d.Success, &d.Failed)
		return &d, err
	}, `SELECT job_id, day, success, failed FROM job_days WHERE `+r.d.AnyOf("job_id", "$1")+` AND day >= $2
		ORDER BY job_id, day`, r.d.List(jobIDs), sinceDay)
}

// JobDaysPrune implements store.Store.
func (r *Records) JobDaysPrune(ctx context.Context, beforeDay string) (int, error) {
	res, err := r.d.Writer().Exec(ctx, "DELETE FROM job_days WHERE day < $1", beforeDay)
	if err != nil {
		return 0, r.fail("prune job days", err)
	}
	return int(res), nil
}
