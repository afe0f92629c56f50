package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// poolFor returns the pool for heartbeat name: worker heartbeats
// (store.WorkerBeat + node) use their own small pool, so that a busy main
// pool cannot keep a live node from beating (and its peers from then
// judging it dead).
func (s *Store) poolFor(name string) *pgxpool.Pool {
	if strings.HasPrefix(name, store.WorkerBeat) {
		return s.beatPool
	}
	return s.pool
}

// HeartbeatPut implements store.Store. Worker heartbeats go through their
// own pool (see poolFor).
func (s *Store) HeartbeatPut(ctx context.Context, name, detail string) error {
	if _, err := s.poolFor(name).Exec(ctx, `INSERT INTO heartbeats (name, beat_at, detail) VALUES ($1, now(), $2)
		ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at, detail = excluded.detail`, name, detail); err != nil {
		return fmt.Errorf("pgstore: put heartbeat: %w", mapErr(err))
	}
	return nil
}

// HeartbeatGet implements store.Store. A node reads its own worker
// heartbeat before it beats (claimNodeID), so worker heartbeats are read
// through their own pool too (see poolFor).
func (s *Store) HeartbeatGet(ctx context.Context, name string) (time.Time, string, error) {
	var at time.Time
	var detail string
	if err := s.poolFor(name).QueryRow(ctx, "SELECT beat_at, detail FROM heartbeats WHERE name = $1", name).Scan(&at, &detail); err != nil {
		return time.Time{}, "", fmt.Errorf("pgstore: get heartbeat: %w", mapErr(err))
	}
	return at.UTC(), detail, nil
}

// HeartbeatList implements store.Store.
func (s *Store) HeartbeatList(ctx context.Context, prefix string) ([]store.Heartbeat, error) {
	return list(ctx, s, "list heartbeats", func(row pgx.Row) (store.Heartbeat, error) {
		var h store.Heartbeat
		err := row.Scan(&h.Name, &h.At, &h.Detail)
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
func (s *Store) StatusSampleAdd(ctx context.Context, d *prikke.StatusSample) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("pgstore: add status sample: %w", err)
	}
	if _, err := s.pool.Exec(ctx, statusSampleAddSQL, statusSampleArgs(d)...); err != nil {
		return fmt.Errorf("pgstore: add status sample: %w", mapErr(err))
	}
	return nil
}

// StatusSampleCommit implements store.Store. The mark moves first, as a
// compare-and-set on its detail: a concurrent caller waits on the row's
// lock, then finds the detail changed (or, for the first mark, the row
// there) and writes nothing.
func (s *Store) StatusSampleCommit(ctx context.Context, mark, prev, next string, ds []*prikke.StatusSample) (bool, error) {
	var moved bool
	err := s.inTx(ctx, "commit status samples", func(tx pgx.Tx) error {
		var tag pgconn.CommandTag
		var err error
		if prev == "" {
			tag, err = tx.Exec(ctx, `INSERT INTO heartbeats (name, beat_at, detail) VALUES ($1, now(), $2)
				ON CONFLICT (name) DO NOTHING`, mark, next)
		} else {
			tag, err = tx.Exec(ctx, `UPDATE heartbeats SET beat_at = now(), detail = $2 WHERE name = $1 AND detail = $3`,
				mark, next, prev)
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
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
func (s *Store) StatusSampleList(ctx context.Context, sinceDay string) ([]*prikke.StatusSample, error) {
	return list(ctx, s, "list status samples", func(row pgx.Row) (*prikke.StatusSample, error) {
		var x prikke.StatusSample
		err := row.Scan(&x.Day, &x.Component, &x.Checks, &x.Degraded, &x.Outage,
			&x.OperationalSeconds, &x.DegradedSeconds, &x.OutageSeconds, &x.MaintenanceSeconds)
		return &x, err
	}, `SELECT day, component, checks, degraded, outage, operational_seconds, degraded_seconds, outage_seconds, maintenance_seconds
		FROM status_samples WHERE day >= $1 ORDER BY day, component`, sinceDay)
}

const incidentColumns = "id, title, status, components, created_at, updated_at, resolved_at"

func scanIncident(row pgx.Row) (*prikke.Incident, error) {
	var inc prikke.Incident
	var components string
	if err := row.Scan(&inc.ID, &inc.Title, &inc.Status, &components, &inc.CreatedAt, &inc.UpdatedAt, &inc.ResolvedAt); err != nil {
		return nil, err
	}
	if components != "" {
		inc.Components = strings.Split(components, ",")
	}
	inc.ResolvedAt = utcp(inc.ResolvedAt)
	return &inc, nil
}

func scanIncidentUpdate(row pgx.Row) (prikke.IncidentUpdate, error) {
	var u prikke.IncidentUpdate
	err := row.Scan(&u.ID, &u.IncidentID, &u.Status, &u.Message, &u.CreatedAt)
	return u, err
}

const incidentUpdateColumns = "id, incident_id, status, message, created_at"

func insertIncidentUpdate(ctx context.Context, tx pgx.Tx, incidentID prikke.ID, u *prikke.IncidentUpdate) error {
	_, err := tx.Exec(ctx, `INSERT INTO incident_updates (`+incidentUpdateColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		u.ID, incidentID, u.Status, u.Message, u.CreatedAt)
	return err
}

// IncidentCreate implements store.Store.
func (s *Store) IncidentCreate(ctx context.Context, inc *prikke.Incident, first *prikke.IncidentUpdate) error {
	return s.inTx(ctx, "create incident", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO incidents (`+incidentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			inc.ID, inc.Title, inc.Status, strings.Join(inc.Components, ","), inc.CreatedAt, inc.UpdatedAt, inc.ResolvedAt); err != nil {
			return err
		}
		if first == nil {
			return nil
		}
		return insertIncidentUpdate(ctx, tx, inc.ID, first)
	})
}

// IncidentUpdate implements store.Store. Resolving sets resolved_at to
// the update's time; any other status (a reopened incident) clears it.
func (s *Store) IncidentUpdate(ctx context.Context, u *prikke.IncidentUpdate) error {
	return s.inTx(ctx, "update incident", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE incidents SET status = $2, updated_at = $3,
			resolved_at = CASE WHEN $2 = 'resolved' THEN $3::timestamptz END WHERE id = $1`, u.IncidentID, u.Status, u.CreatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound()
		}
		return insertIncidentUpdate(ctx, tx, u.IncidentID, u)
	})
}

// IncidentGet implements store.Store.
func (s *Store) IncidentGet(ctx context.Context, id prikke.ID) (*prikke.Incident, error) {
	inc, err := scanIncident(s.pool.QueryRow(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("pgstore: get incident: %w", mapErr(err))
	}
	if inc.Updates, err = list(ctx, s, "get incident", scanIncidentUpdate, "SELECT "+incidentUpdateColumns+
		" FROM incident_updates WHERE incident_id = $1 ORDER BY created_at DESC, id DESC", id); err != nil {
		return nil, err
	}
	return inc, nil
}

// IncidentList implements store.Store.
func (s *Store) IncidentList(ctx context.Context, since time.Time) ([]*prikke.Incident, error) {
	incs, err := list(ctx, s, "list incidents", scanIncident, "SELECT "+incidentColumns+` FROM incidents
		WHERE status <> 'resolved' OR resolved_at >= $1 ORDER BY created_at DESC, id DESC`, since)
	if err != nil {
		return nil, err
	}
	updates, err := list(ctx, s, "list incidents", scanIncidentUpdate, "SELECT "+prefixColumns("u", incidentUpdateColumns)+`
		FROM incident_updates u JOIN incidents i ON i.id = u.incident_id
		WHERE i.status <> 'resolved' OR i.resolved_at >= $1 ORDER BY u.created_at DESC, u.id DESC`, since)
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

func scanStatusPage(row pgx.Row) (*prikke.StatusPage, error) {
	var p prikke.StatusPage
	if err := row.Scan(&p.ID, &p.ProjectID, &p.Slug, &p.Title, &p.Published, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	return &p, nil
}

// insertStatusPageJobs writes a page's job list. A job of another project
// is refused as not found: a page shows only its own project's jobs.
func insertStatusPageJobs(ctx context.Context, tx pgx.Tx, pageID, projectID prikke.ID, jobs []prikke.StatusPageJob) error {
	for _, j := range jobs {
		tag, err := tx.Exec(ctx, `INSERT INTO status_page_jobs (status_page_id, job_id, display_name, position)
			SELECT $1, id, $3, $4 FROM jobs WHERE id = $2 AND project_id = $5`, pageID, j.JobID, j.DisplayName, j.Position, projectID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound()
		}
	}
	return nil
}

// StatusPageCreate implements store.Store.
func (s *Store) StatusPageCreate(ctx context.Context, p *prikke.StatusPage) error {
	return s.inTx(ctx, "create status page", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO status_pages (`+statusPageColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			p.ID, p.ProjectID, p.Slug, p.Title, p.Published, p.CreatedAt, p.UpdatedAt); err != nil {
			return err
		}
		return insertStatusPageJobs(ctx, tx, p.ID, p.ProjectID, p.Jobs)
	})
}

// statusPageJobs fills the job lists of pages, ordered by position.
func (s *Store) statusPageJobs(ctx context.Context, op string, pages []*prikke.StatusPage) error {
	if len(pages) == 0 {
		return nil
	}
	ids := make([]prikke.ID, len(pages))
	byID := make(map[prikke.ID]*prikke.StatusPage, len(pages))
	for i, p := range pages {
		ids[i] = p.ID
		byID[p.ID] = p
	}
	type row struct {
		pageID prikke.ID
		job    prikke.StatusPageJob
	}
	rows, err := list(ctx, s, op, func(r pgx.Row) (row, error) {
		var x row
		err := r.Scan(&x.pageID, &x.job.JobID, &x.job.DisplayName, &x.job.Position)
		return x, err
	}, `SELECT status_page_id, job_id, display_name, position FROM status_page_jobs
		WHERE status_page_id = ANY($1) ORDER BY position, job_id`, ids)
	if err != nil {
		return err
	}
	for _, r := range rows {
		p := byID[r.pageID]
		p.Jobs = append(p.Jobs, r.job)
	}
	return nil
}

func (s *Store) statusPageGet(ctx context.Context, op, where string, arg any) (*prikke.StatusPage, error) {
	p, err := scanStatusPage(s.pool.QueryRow(ctx, "SELECT "+statusPageColumns+" FROM status_pages WHERE "+where, arg))
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", op, mapErr(err))
	}
	if err := s.statusPageJobs(ctx, op, []*prikke.StatusPage{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// StatusPageGet implements store.Store.
func (s *Store) StatusPageGet(ctx context.Context, id prikke.ID) (*prikke.StatusPage, error) {
	return s.statusPageGet(ctx, "get status page", "id = $1", id)
}

// StatusPageGetBySlug implements store.Store.
func (s *Store) StatusPageGetBySlug(ctx context.Context, slug string) (*prikke.StatusPage, error) {
	return s.statusPageGet(ctx, "get status page by slug", "slug = $1", slug)
}

// StatusPageListByProject implements store.Store. Pages come with their
// job lists.
func (s *Store) StatusPageListByProject(ctx context.Context, projectID prikke.ID) ([]*prikke.StatusPage, error) {
	pages, err := list(ctx, s, "list status pages", scanStatusPage,
		"SELECT "+statusPageColumns+" FROM status_pages WHERE project_id = $1 ORDER BY created_at, id", projectID)
	if err != nil {
		return nil, err
	}
	if err := s.statusPageJobs(ctx, "list status pages", pages); err != nil {
		return nil, err
	}
	return pages, nil
}

// StatusPageUpdate implements store.Store.
func (s *Store) StatusPageUpdate(ctx context.Context, p *prikke.StatusPage) error {
	return s.inTx(ctx, "update status page", func(tx pgx.Tx) error {
		// The page's project comes from the row, not the caller.
		var projectID prikke.ID
		err := tx.QueryRow(ctx, `UPDATE status_pages SET slug = $2, title = $3, published = $4, updated_at = $5
			WHERE id = $1 RETURNING project_id`, p.ID, p.Slug, p.Title, p.Published, p.UpdatedAt).Scan(&projectID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM status_page_jobs WHERE status_page_id = $1", p.ID); err != nil {
			return err
		}
		return insertStatusPageJobs(ctx, tx, p.ID, projectID, p.Jobs)
	})
}

// StatusPageDelete implements store.Store.
func (s *Store) StatusPageDelete(ctx context.Context, id prikke.ID) error {
	return s.execOne(ctx, "delete status page", "DELETE FROM status_pages WHERE id = $1", id)
}

// startOfDay returns the start of t's UTC day.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// JobDaysRollup implements store.Store. It recounts whole UTC days, from
// the start of since's day, so running it again gives the same numbers.
func (s *Store) JobDaysRollup(ctx context.Context, since time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO job_days (job_id, day, success, failed)
		SELECT job_id, to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
			count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status IN ('failed', 'timeout'))
		FROM executions
		WHERE job_id IN (SELECT job_id FROM status_page_jobs) AND finished_at >= $1
			AND status IN ('success', 'failed', 'timeout')
		GROUP BY 1, 2
		ON CONFLICT (job_id, day) DO UPDATE SET success = excluded.success, failed = excluded.failed`,
		startOfDay(since)); err != nil {
		return fmt.Errorf("pgstore: roll up job days: %w", mapErr(err))
	}
	return nil
}

// JobDaysList implements store.Store.
func (s *Store) JobDaysList(ctx context.Context, jobIDs []prikke.ID, sinceDay string) ([]*prikke.JobDay, error) {
	if len(jobIDs) == 0 {
		return []*prikke.JobDay{}, nil
	}
	return list(ctx, s, "list job days", func(row pgx.Row) (*prikke.JobDay, error) {
		var d prikke.JobDay
		err := row.Scan(&d.JobID, &d.Day, &d.Success, &d.Failed)
		return &d, err
	}, "SELECT job_id, day, success, failed FROM job_days WHERE job_id = ANY($1) AND day >= $2 ORDER BY job_id, day", jobIDs, sinceDay)
}

// JobDaysPrune implements store.Store.
func (s *Store) JobDaysPrune(ctx context.Context, beforeDay string) (int, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM job_days WHERE day < $1", beforeDay)
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune job days: %w", mapErr(err))
	}
	return int(tag.RowsAffected()), nil
}
