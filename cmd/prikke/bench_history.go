package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
)

// HistoryFigures are what --history adds to the JSON line.
type HistoryFigures struct {
	// History is how many finished executions the store held before the
	// burst; HistorySeedSeconds how long writing them took (0 when an
	// earlier run's kept history was reused), HistoryVacuumSeconds the
	// VACUUM ANALYZE after it (PostgreSQL).
	History              int     `json:"history"`
	HistoryReused        bool    `json:"history_reused"`
	HistorySeedSeconds   float64 `json:"history_seed_s"`
	HistoryVacuumSeconds float64 `json:"history_vacuum_s,omitempty"`
}

// The seeded history belongs to a tenant of its own, found again by
// name when a kept store is reused: an organization on Pro with
// historyJobs jobs holding nine rows in ten, and a second organization
// on Free with historyOtherJobs jobs holding the tenth.
const (
	historyEmail     = "bench-history@prikke.invalid"
	historyOrgPrefix = "bench-history "
	historyJobs      = 1000
	historyOtherJobs = 5
	// The rows finish over the last historySpan, well inside both tiers'
	// retention (Free keeps seven days), so the pruner finds nothing to
	// delete during the run, nor in a run a few days later reusing them.
	historySpan = 3 * 24 * time.Hour
	// Rows per statement: progress, and no single transaction of gigabytes.
	historyChunk = 500_000
)

// historyTenant is the seeded tenant: its user, and per organization its
// project and jobs.
type historyTenant struct {
	user      prikke.ID
	orgs      [2]prikke.ID
	projects  [2]prikke.ID
	jobs      [2][]prikke.ID
	existingN int // an earlier run's seeded history found in the store
}

// seedHistory makes sure the store holds n finished executions of the
// history tenant: written now, or an earlier kept run's, reused.
func seedHistory(ctx context.Context, st store.Store, logger *slog.Logger, n int, fig *HistoryFigures) (*historyTenant, error) {
	fig.History = n
	found, err := findHistory(ctx, st)
	if err != nil {
		return nil, err
	}
	if found != nil {
		if found.existingN != n {
			return nil, fmt.Errorf("bench: the store already holds a kept history of %d executions (user %s); run with --history %d, or use another schema or file", found.existingN, historyEmail, found.existingN)
		}
		fig.HistoryReused = true
		logger.Warn("reusing the history kept by an earlier run", "executions", n)
		return found, nil
	}
	start := time.Now()
	tn, err := historyCreateTenant(ctx, st, n)
	if err != nil {
		return nil, err
	}
	dbNow, err := st.Now(ctx)
	if err != nil {
		return nil, err
	}
	// The oldest row finishes historySpan ago, the newest a minute ago.
	first := dbNow.Add(-historySpan).UTC()
	step := (historySpan - time.Minute) / time.Duration(n)
	switch s := st.(type) {
	case *pgstore.Store:
		err = seedHistoryPG(ctx, s, logger, tn, n, first, step)
	case *sqlitestore.Store:
		err = seedHistorySQLite(ctx, s, logger, tn, n, first, step)
	default:
		err = fmt.Errorf("bench: --history: no seeding for store %s", st.Dialect())
	}
	if err != nil {
		return nil, err
	}
	fig.HistorySeedSeconds = roundSeconds(time.Since(start))
	if s, ok := st.(*pgstore.Store); ok {
		// What autovacuum would have done on a live system by the time it
		// held this history: visibility map and statistics.
		vstart := time.Now()
		if _, err := s.Pool().Exec(ctx, "VACUUM (ANALYZE) executions, jobs, projects, organizations"); err != nil {
			return nil, fmt.Errorf("bench: vacuum analyze: %w", err)
		}
		fig.HistoryVacuumSeconds = roundSeconds(time.Since(vstart))
	}
	// SQLite: no ANALYZE. The store never runs one, so a live database
	// has no sqlite_stat1 and its planner goes by the schema alone.
	logger.Warn("history seeded", "executions", n, "seconds", fig.HistorySeedSeconds, "vacuum_seconds", fig.HistoryVacuumSeconds)
	return tn, nil
}

func roundSeconds(d time.Duration) float64 { return math.Round(d.Seconds()*10) / 10 }

// findHistory looks for an earlier kept run's history tenant.
func findHistory(ctx context.Context, st store.Store) (*historyTenant, error) {
	q := `SELECT u.id, o.id, o.name, p.id FROM users u JOIN memberships m ON m.user_id = u.id
		JOIN organizations o ON o.id = m.organization_id JOIN projects p ON p.organization_id = o.id
		WHERE u.email = '` + historyEmail + `' ORDER BY o.name`
	type row struct {
		user, org, project prikke.ID
		name               string
	}
	var rows []row
	scan := func(sc func(...any) error) error {
		var r row
		var u, o, p string
		if err := sc(&u, &o, &r.name, &p); err != nil {
			return err
		}
		var err error
		if r.user, err = prikke.ParseID(u); err != nil {
			return err
		}
		if r.org, err = prikke.ParseID(o); err != nil {
			return err
		}
		if r.project, err = prikke.ParseID(p); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	}
	// The two drivers' rows read alike.
	var rs interface {
		Next() bool
		Scan(...any) error
		Err() error
	}
	switch s := st.(type) {
	case *pgstore.Store:
		pr, err := s.Pool().Query(ctx, strings.Replace(q, "SELECT u.id, o.id, o.name, p.id", "SELECT u.id::text, o.id::text, o.name, p.id::text", 1))
		if err != nil {
			return nil, err
		}
		defer pr.Close()
		rs = pr
	case *sqlitestore.Store:
		sr, err := s.DB().QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer sr.Close()
		rs = sr
	default:
		return nil, fmt.Errorf("bench: no history on a %s store", st.Dialect())
	}
	for rs.Next() {
		if err := scan(rs.Scan); err != nil {
			return nil, err
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	tn := &historyTenant{user: rows[0].user}
	for _, r := range rows {
		rest, ok := strings.CutPrefix(r.name, historyOrgPrefix)
		if !ok {
			continue
		}
		i := 0
		if strings.HasPrefix(rest, "other ") {
			i, rest = 1, strings.TrimPrefix(rest, "other ")
		} else {
			tn.existingN, _ = strconv.Atoi(rest)
		}
		tn.orgs[i], tn.projects[i] = r.org, r.project
	}
	if tn.existingN == 0 {
		return nil, errors.New("bench: the store holds a history tenant whose seeding did not finish; drop the schema or remove the file")
	}
	return tn, nil
}

// historyCreateTenant creates the history tenant and its jobs: cron jobs
// due next on the first of January (none falls due during a run).
func historyCreateTenant(ctx context.Context, st store.Store, n int) (*historyTenant, error) {
	now := time.Now().UTC()
	u := &prikke.User{ID: prikke.NewID(), Email: historyEmail, PasswordHash: "!", ConfirmedAt: &now, CreatedAt: now, UpdatedAt: now}
	tn := &historyTenant{user: u.ID}
	next := time.Date(now.Year()+1, time.January, 1, 0, 0, 0, 0, time.UTC)
	// The name carries n only once every row is written (below, by the
	// caller's success): until then "seeding".
	names := [2]string{historyOrgPrefix + "seeding", historyOrgPrefix + "other seeding"}
	tiers := [2]prikke.Tier{prikke.TierPro, prikke.TierFree}
	counts := [2]int{historyJobs, historyOtherJobs}
	for i := range 2 {
		o := &prikke.Organization{ID: prikke.NewID(), Name: names[i], Tier: tiers[i], Personal: i == 0, CreatedAt: now, UpdatedAt: now}
		p := &prikke.Project{ID: prikke.NewID(), OrganizationID: o.ID, Name: "history", SigningSecret: "history", AlertAfter: 1, CreatedAt: now, UpdatedAt: now}
		var err error
		if i == 0 {
			err = st.SignupCreate(ctx, &store.SignupParams{User: u, Organization: o, Project: p})
		} else {
			if err = st.OrganizationCreate(ctx, o, u.ID); err == nil {
				err = st.ProjectCreate(ctx, p)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("bench: history tenant: %w", err)
		}
		tn.orgs[i], tn.projects[i] = o.ID, p.ID
		ids := &benchTenantIDs{user: u.ID, org: o.ID, project: p.ID}
		js := make([]*prikke.Job, counts[i])
		for k := range js {
			j := benchJob(ids, fmt.Sprintf("https://hooks.example.com/prikke/%d/%d", i, k), now)
			j.Name = fmt.Sprintf("history %d", k)
			j.Kind, j.CronExpression, j.IntervalMinutes, j.NextRunAt = prikke.JobKindCron, "0 0 1 1 *", 0, &next
			js[k] = j
			tn.jobs[i] = append(tn.jobs[i], j.ID)
		}
		if err := createJobs(ctx, st, js); err != nil {
			return nil, fmt.Errorf("bench: history jobs: %w", err)
		}
	}
	return tn, nil
}

// historyNames names the tenant's organizations with n: the seeding
// finished.
func historyNames(n int) [2]string {
	return [2]string{historyOrgPrefix + strconv.Itoa(n), historyOrgPrefix + "other " + strconv.Itoa(n)}
}

// The rows, alike on both stores: row g (0 … n-1) finishes at first +
// g·step; one in ten belongs to the Free organization (row g's job: the
// Pro jobs in turn, by the row's rank among that organization's rows). What an attempt
// recorded comes from one of historyTemplates template rows (g modulo
// that): 94 in 100 succeed, 5 fail with a 500, 1 times out; sizes as a
// real attempt's: three request headers and its body, four response
// headers and a body of a couple of hundred bytes, the trace. Templates
// spare each row the JSON parsing and string building (most of the
// seeding's CPU otherwise).
const historyTemplates = 997

// seedHistoryPG writes the rows with INSERT … SELECT generate_series, in
// statements of historyChunk rows, two at a time. The table's fillfactor
// (15, room for a pending row to grow in place) is set to 100 while it
// is written: a live table's pages hold its rows as they grew there,
// several to a page, not one each.
func seedHistoryPG(ctx context.Context, s *pgstore.Store, logger *slog.Logger, tn *historyTenant, n int, first time.Time, step time.Duration) error {
	pool := s.Pool()
	if _, err := pool.Exec(ctx, "ALTER TABLE executions SET (fillfactor = 100)"); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_history_tpl;
	CREATE UNLOGGED TABLE bench_history_tpl AS SELECT k,
		CASE WHEN r < 94 THEN 'success' WHEN r < 99 THEN 'failed' ELSE 'timeout' END AS status,
		'https://hooks.example.com/prikke/' || k AS url,
		('[{"name":"Content-Type","value":"application/json"},{"name":"User-Agent","value":"Prikke/1.0 (+https://prikke.dev)"},{"name":"Webhook-Id","value":"msg_' || md5(k::text) || '"}]')::jsonb AS req_headers,
		convert_to('{"event":"tick","job":' || k || ',"seq":' || (k * 7919) || '}', 'UTF8') AS req_body,
		CASE WHEN r < 94 THEN 200 WHEN r < 99 THEN 500 ELSE 0 END AS response_status,
		CASE WHEN r < 99 THEN ('[{"name":"Content-Type","value":"application/json; charset=utf-8"},{"name":"Date","value":"Mon, 07 Dec 2026 03:17:' || lpad((k % 60)::text, 2, '0') || ' GMT"},{"name":"Server","value":"nginx/1.25.3"},{"name":"X-Request-Id","value":"' || md5(k::text) || '"}]')::jsonb END AS resp_headers,
		CASE WHEN r < 99 THEN convert_to('{"ok":' || (r < 94) || ',"received":"2026-12-07T03:17:' || lpad((k % 60)::text, 2, '0') || 'Z","id":"' || md5((k + 1)::text) || '","processed":' || (k % 977) || ',"message":"' || CASE WHEN r < 94 THEN 'accepted for processing' ELSE 'internal error: upstream connection refused' END || '"}', 'UTF8') END AS resp_body,
		CASE WHEN r < 99 THEN 40 + (k * 7919) % 400 ELSE 30000 END AS duration_ms,
		CASE WHEN r < 94 THEN '' WHEN r < 99 THEN 'HTTP 500' ELSE 'timeout after 30s' END AS error,
		('{"dns_us":' || ((k * 31) % 900) || ',"connect_us":' || (400 + (k * 17) % 3000) || ',"tls_us":' || (2000 + (k * 13) % 9000) ||
			',"send_us":' || (30 + k % 90) || ',"wait_us":' || (40000 + (k * 7919) % 400000) || ',"body_us":' || (k % 500) ||
			',"remote_addr":"203.0.113.' || (k % 250) || ':443","tls_version":"TLS 1.3"}')::jsonb AS trace
	FROM (SELECT k, (k * 2654435761) % 100 AS r FROM generate_series(0, `+strconv.Itoa(historyTemplates-1)+`) k) s`); err != nil {
		return fmt.Errorf("bench: history templates: %w", err)
	}
	q := `INSERT INTO executions (id, job_id, project_id, organization_id, scheduled_for, due_at, attempt, status,
		claimed_by, claimed_at, started_at, finished_at, request_method, request_url, request_headers, request_body,
		response_status, response_headers, response_body, duration_ms, error, trace, created_at)
	SELECT (lpad(to_hex(ms), 12, '0') || '7' || lpad(to_hex(g % 4096), 3, '0') || '8' || lpad(to_hex(g), 15, '0'))::uuid,
		CASE WHEN o THEN ($4::uuid[])[1 + (g / 10) % cardinality($4::uuid[])] ELSE ($3::uuid[])[1 + (g / 10 * 9 + g % 10) % cardinality($3::uuid[])] END,
		CASE WHEN o THEN $6::uuid ELSE $5::uuid END,
		CASE WHEN o THEN $8::uuid ELSE $7::uuid END,
		t - interval '1 second', t - interval '1 second', 1, x.status,
		'history-node', t - interval '900 ms', t - interval '800 ms', t, 'POST', x.url, x.req_headers, x.req_body,
		x.response_status, x.resp_headers, x.resp_body, x.duration_ms, x.error, x.trace, t - interval '1 second'
	FROM (SELECT g, $1::timestamptz + g * $2::interval AS t, ($11::bigint + g * $12::bigint) / 1000 AS ms, g % 10 = 9 AS o
		FROM generate_series($9::bigint, $10::bigint) g) s
		JOIN bench_history_tpl x ON x.k = s.g % ` + strconv.Itoa(historyTemplates)
	chunks := make(chan int)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for lo := range chunks {
				errs <- func() error {
					hi := min(lo+historyChunk, n) - 1
					// The rows reference jobs written just before, by
					// construction: a session in replica role skips the
					// foreign-key triggers, which would look each row's job up.
					tx, err := pool.Begin(ctx)
					if err != nil {
						return err
					}
					defer tx.Rollback(ctx)
					if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, q, first, step, tn.jobs[0], tn.jobs[1], tn.projects[0], tn.projects[1],
						tn.orgs[0], tn.orgs[1], lo, hi, first.UnixMicro(), step.Microseconds()); err != nil {
						return fmt.Errorf("bench: seed history: %w", err)
					}
					if err := tx.Commit(ctx); err != nil {
						return err
					}
					logger.Info("history rows written", "from", lo, "to", hi)
					return nil
				}()
			}
		}()
	}
	var err error
	go func() {
		defer close(chunks)
		for lo := 0; lo < n; lo += historyChunk {
			select {
			case chunks <- lo:
			case <-ctx.Done():
				return
			}
		}
	}()
	for lo := 0; lo < n; lo += historyChunk {
		select {
		case e := <-errs:
			if e != nil && err == nil {
				err = e
			}
		case <-ctx.Done():
			return ctx.Err() // chunks not sent send no result
		}
	}
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "DROP TABLE bench_history_tpl; ALTER TABLE executions SET (fillfactor = 15)"); err != nil {
		return err
	}
	names := historyNames(n)
	for i := range 2 {
		if _, err := pool.Exec(ctx, "UPDATE organizations SET name = $1 WHERE id = $2", names[i], tn.orgs[i]); err != nil {
			return err
		}
	}
	tn.existingN = n
	return nil
}

// seedHistorySQLite writes the rows with a recursive CTE, historyChunk
// rows per statement (each its own transaction), the job IDs and
// templates from temporary tables (CROSS JOIN: SQLite keeps that order,
// the generated rows outermost, each looking its template and job up).
func seedHistorySQLite(ctx context.Context, s *sqlitestore.Store, logger *slog.Logger, tn *historyTenant, n int, first time.Time, step time.Duration) error {
	// One connection throughout: the temporary tables are the connection's.
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{
		`DROP TABLE IF EXISTS temp.bench_history_jobs`,
		`DROP TABLE IF EXISTS temp.bench_history_tpl`,
		`CREATE TEMP TABLE bench_history_jobs (o INTEGER, k INTEGER, id TEXT, PRIMARY KEY (o, k))`,
		`CREATE TEMP TABLE bench_history_tpl AS
		WITH RECURSIVE c(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM c WHERE k < ` + strconv.Itoa(historyTemplates-1) + `),
		s AS (SELECT k, (k * 2654435761) % 100 AS r, printf('%016x%016x', k * 2654435761, k * 40503) AS h FROM c)
		SELECT k,
			CASE WHEN r < 94 THEN 'success' WHEN r < 99 THEN 'failed' ELSE 'timeout' END AS status,
			'https://hooks.example.com/prikke/' || k AS url,
			'[{"name":"Content-Type","value":"application/json"},{"name":"User-Agent","value":"Prikke/1.0 (+https://prikke.dev)"},{"name":"Webhook-Id","value":"msg_' || h || '"}]' AS req_headers,
			CAST('{"event":"tick","job":' || k || ',"seq":' || (k * 7919) || '}' AS BLOB) AS req_body,
			CASE WHEN r < 94 THEN 200 WHEN r < 99 THEN 500 ELSE 0 END AS response_status,
			CASE WHEN r < 99 THEN '[{"name":"Content-Type","value":"application/json; charset=utf-8"},{"name":"Date","value":"Mon, 07 Dec 2026 03:17:' || printf('%02d', k % 60) || ' GMT"},{"name":"Server","value":"nginx/1.25.3"},{"name":"X-Request-Id","value":"' || h || '"}]' END AS resp_headers,
			CASE WHEN r < 99 THEN CAST('{"ok":' || CASE WHEN r < 94 THEN 'true' ELSE 'false' END || ',"received":"2026-12-07T03:17:' || printf('%02d', k % 60) || 'Z","id":"' || h || '","processed":' || (k % 977) || ',"message":"' || CASE WHEN r < 94 THEN 'accepted for processing' ELSE 'internal error: upstream connection refused' END || '"}' AS BLOB) END AS resp_body,
			CASE WHEN r < 99 THEN 40 + (k * 7919) % 400 ELSE 30000 END AS duration_ms,
			CASE WHEN r < 94 THEN '' WHEN r < 99 THEN 'HTTP 500' ELSE 'timeout after 30s' END AS error,
			'{"dns_us":' || ((k * 31) % 900) || ',"connect_us":' || (400 + (k * 17) % 3000) || ',"tls_us":' || (2000 + (k * 13) % 9000) ||
				',"send_us":' || (30 + k % 90) || ',"wait_us":' || (40000 + (k * 7919) % 400000) || ',"body_us":' || (k % 500) ||
				',"remote_addr":"203.0.113.' || (k % 250) || ':443","tls_version":"TLS 1.3"}' AS trace
		FROM s`,
		`CREATE UNIQUE INDEX temp.bench_history_tpl_k ON bench_history_tpl (k)`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("bench: history templates: %w", err)
		}
	}
	for o := range 2 {
		for k, id := range tn.jobs[o] {
			if _, err := conn.ExecContext(ctx, `INSERT INTO bench_history_jobs (o, k, id) VALUES (?, ?, ?)`, o, k, id.String()); err != nil {
				return err
			}
		}
	}
	// The secondary indexes are built once the rows are in (a sort each),
	// not row by row: the job indexes take each row at one of a thousand
	// places. The primary key and the unique constraint stay.
	var indexes []string
	rs, err := conn.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions' AND sql IS NOT NULL`)
	if err != nil {
		return err
	}
	for rs.Next() {
		var def string
		if err := rs.Scan(&def); err != nil {
			rs.Close()
			return err
		}
		indexes = append(indexes, def)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	for _, def := range indexes {
		name := strings.Fields(strings.TrimPrefix(def, "CREATE INDEX "))[0]
		if _, err := conn.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			return err
		}
	}
	// Times are Unix microseconds; IDs the canonical text of a version 7
	// UUID (the finish time's milliseconds, then g).
	q := `WITH RECURSIVE c(g) AS (SELECT ? UNION ALL SELECT g + 1 FROM c WHERE g < ?),
	s AS (SELECT g, ? + g * ? AS t, g % 10 = 9 AS o FROM c)
	INSERT INTO executions (id, job_id, project_id, organization_id, scheduled_for, due_at, attempt, status,
		claimed_by, claimed_at, started_at, finished_at, request_method, request_url, request_headers, request_body,
		response_status, response_headers, response_body, duration_ms, error, trace, created_at)
	SELECT printf('%08x-%04x-7%03x-%04x-%012x', (t / 1000) >> 16, (t / 1000) & 65535, g & 4095, 32768 | ((g >> 12) & 16383), g),
		j.id,
		CASE WHEN s.o THEN ? ELSE ? END,
		CASE WHEN s.o THEN ? ELSE ? END,
		t - 1000000, t - 1000000, 1, x.status,
		'history-node', t - 900000, t - 800000, t, 'POST', x.url, x.req_headers, x.req_body,
		x.response_status, x.resp_headers, x.resp_body, x.duration_ms, x.error, x.trace, t - 1000000
	FROM s CROSS JOIN bench_history_tpl x ON x.k = s.g % ` + strconv.Itoa(historyTemplates) + `
		CROSS JOIN bench_history_jobs j ON j.o = s.o AND j.k = CASE WHEN s.o THEN (g / 10) % ? ELSE (g / 10 * 9 + g % 10) % ? END`
	firstUS, stepUS := first.UnixMicro(), step.Microseconds()
	for lo := 0; lo < n; lo += historyChunk {
		hi := min(lo+historyChunk, n) - 1
		if _, err := conn.ExecContext(ctx, q, lo, hi, firstUS, stepUS,
			tn.projects[1].String(), tn.projects[0].String(), tn.orgs[1].String(), tn.orgs[0].String(),
			len(tn.jobs[1]), len(tn.jobs[0])); err != nil {
			return fmt.Errorf("bench: seed history: %w", err)
		}
		logger.Info("history rows written", "rows", hi+1)
	}
	for _, def := range indexes {
		if _, err := conn.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("bench: rebuild index: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, `DROP TABLE temp.bench_history_jobs; DROP TABLE temp.bench_history_tpl`); err != nil {
		return err
	}
	names := historyNames(n)
	for i := range 2 {
		if _, err := conn.ExecContext(ctx, "UPDATE organizations SET name = ? WHERE id = ?", names[i], tn.orgs[i].String()); err != nil {
			return err
		}
	}
	tn.existingN = n
	return nil
}

// historyCount counts the history tenant's executions (tests).
func historyCount(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM executions e JOIN organizations o ON o.id = e.organization_id
		WHERE o.name LIKE '`+historyOrgPrefix+`%'`).Scan(&n)
	return n, err
}
