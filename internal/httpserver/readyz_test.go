package httpserver_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/migration"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/storetest"
)

// versioned is what both stores offer for /readyz's migration check.
type versioned interface {
	store.Store
	MigrationVersions(ctx context.Context) (applied, needed int64, err error)
}

// readyServer serves /readyz over s with no verdict cached between
// requests, so each request sees the database as it is now.
func readyServer(t *testing.T, s versioned) (*httptest.Server, *httpserver.Readiness) {
	rd := &httpserver.Readiness{Store: s, Migrations: s.MigrationVersions, CacheFor: time.Nanosecond}
	srv := httptest.NewServer(httpserver.New(httpserver.Deps{Store: s, Logger: slog.New(slog.DiscardHandler), Ready: rd}))
	t.Cleanup(srv.Close)
	return srv, rd
}

// getReadyz returns /readyz's status and, for a 503, the problem's detail.
func getReadyz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if string(body) != "{\"status\":\"ready\"}\n" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("ready answer %q %s", body, resp.Header.Get("Content-Type"))
		}
		return resp.StatusCode, ""
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if resp.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil || p.Status != resp.StatusCode {
		t.Errorf("not-ready answer is not problem+json: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return resp.StatusCode, p.Detail
}

// rollBack migrates db down one version, as a database an older binary
// migrated looks to this one.
func rollBack(t *testing.T, db *sql.DB, d goose.Dialect, md migration.Dialect) {
	t.Helper()
	fsys, err := migration.FS(md)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(d, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Down(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// checkReadyThenBehind checks /readyz on a migrated store, rolls its
// database back one migration and checks that /readyz names it.
func checkReadyThenBehind(t *testing.T, s versioned, roll func()) {
	srv, rd := readyServer(t, s)
	if code, detail := getReadyz(t, srv.URL); code != 200 {
		t.Fatalf("migrated store: /readyz = %d %q, want 200", code, detail)
	}
	applied, known, err := s.MigrationVersions(context.Background())
	if err != nil || applied != known {
		t.Fatalf("MigrationVersions = %d, %d, %v", applied, known, err)
	}
	roll()
	applied, _, err = s.MigrationVersions(context.Background())
	if err != nil || applied >= known {
		t.Fatalf("after roll-back: applied %d of %d, %v", applied, known, err)
	}
	want := fmt.Sprintf("migrations are behind: %d applied, %d needed; run prikke migrate", applied, known)
	if code, detail := getReadyz(t, srv.URL); code != 503 || detail != want {
		t.Errorf("schema behind: /readyz = %d %q, want 503 %q", code, detail, want)
	}
	rd.Drain()
	if code, detail := getReadyz(t, srv.URL); code != 503 || detail != "draining: this node is shutting down" {
		t.Errorf("draining: /readyz = %d %q", code, detail)
	}
	// /healthz is liveness: it still answers while draining.
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz while draining: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestReadyzSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "prikke.db")
	s := storetest.OpenSQLiteAt(t, path)
	checkReadyThenBehind(t, s, func() {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rollBack(t, db, goose.DialectSQLite3, migration.SQLite)
	})

	// A closed database does not answer.
	s2 := storetest.OpenSQLite(t).(versioned)
	srv, _ := readyServer(t, s2)
	s2.Close()
	if code, detail := getReadyz(t, srv.URL); code != 503 || detail != "the database does not answer" {
		t.Errorf("closed database: /readyz = %d %q", code, detail)
	}
}

func TestReadyzPostgres(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t).(*pgstore.Store)
	checkReadyThenBehind(t, s, func() {
		db := stdlib.OpenDBFromPool(s.Pool())
		defer db.Close()
		rollBack(t, db, goose.DialectPostgres, migration.Postgres)
	})

	// A server nobody listens on does not answer.
	ctx := context.Background()
	gone, err := pgstore.Open(ctx, "postgres://prikke@127.0.0.1:1/prikke?connect_timeout=2", store.Options{Sealer: storetest.Sealer(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gone.Close() })
	srv, _ := readyServer(t, gone)
	if code, detail := getReadyz(t, srv.URL); code != 503 || detail != "the database does not answer" {
		t.Errorf("unreachable database: /readyz = %d %q", code, detail)
	}
}

// hangingStore's Ping answers only when its context ends.
type hangingStore struct{ store.Store }

func (hangingStore) Ping(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

// A database that hangs makes /readyz answer 503 within its timeout,
// not hang with it.
func TestReadyzDoesNotHang(t *testing.T) {
	t.Parallel()
	rd := &httpserver.Readiness{Store: hangingStore{}, Timeout: 50 * time.Millisecond}
	srv := httptest.NewServer(httpserver.New(httpserver.Deps{Store: hangingStore{}, Logger: slog.New(slog.DiscardHandler), Ready: rd}))
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: 30 * time.Second} // a generous cap: the check's own timeout is what answers
	resp, err := client.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "the database does not answer") {
		t.Errorf("hanging database: /readyz = %d %s", resp.StatusCode, body)
	}
}

// TestReadyzContractPending: a node does not need its release's contract
// steps (they wait for the older nodes to go), so it is ready without
// them, and not without an expand migration. Not parallel: the
// migrations it adds are seen by every store opened meanwhile.
func TestReadyzContractPending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prikke.db")
	s := storetest.OpenSQLiteAt(t, path) // migrated to the shipped migrations
	migration.AddForTest(t, "00090_expand.sql", "-- +goose Up\nCREATE TABLE t90 (id {{.Int}});\n-- +goose Down\nDROP TABLE t90;\n")
	migration.AddForTest(t, "00091_contract.sql", migration.ContractMarker+"\n-- +goose Up\nDROP TABLE t90;\n-- +goose Down\nCREATE TABLE t90 (id {{.Int}});\n")
	srv, _ := readyServer(t, s)
	if code, detail := getReadyz(t, srv.URL); code != 503 || !strings.Contains(detail, "90 needed") {
		t.Errorf("an expand migration pending: /readyz = %d %q, want 503", code, detail)
	}
	if err := s.MigrateTo(context.Background(), 90); err != nil {
		t.Fatal(err)
	}
	if code, detail := getReadyz(t, srv.URL); code != 200 {
		t.Errorf("only a contract step pending: /readyz = %d %q, want 200", code, detail)
	}
}
