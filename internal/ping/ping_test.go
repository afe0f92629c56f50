package ping_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/ping"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// Every path form records the ping it names, with its kind and exit
// status, through the token and through the slug; an exit status over
// 255 is a 400 and records nothing.
func TestPathForms(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{})
		m := s.monitor("backup", nil)
		type want struct {
			kind prikke.PingKind
			exit int // -1: none
		}
		cases := []struct {
			suffix string
			want   want
		}{
			{"", want{prikke.PingSuccess, -1}},
			{"/start", want{prikke.PingStart, -1}},
			{"/log", want{prikke.PingLog, -1}},
			{"/fail", want{prikke.PingFail, -1}},
			{"/0", want{prikke.PingSuccess, 0}},
			{"/1", want{prikke.PingFail, 1}},
			{"/255", want{prikke.PingFail, 255}},
		}
		var wants []want
		for _, base := range []string{"/ping/" + m.PingToken, "/ping/" + strings.ToUpper(m.PingToken), "/ping/" + s.key + "/backup"} {
			for _, method := range []string{"GET", "POST"} {
				for _, tc := range cases {
					s.clock.advance(time.Second)
					a := s.do(method, base+tc.suffix, "")
					s.expect(method+" "+base+tc.suffix, a, 200, "OK")
					if a.body != "OK" {
						t.Errorf("body %q; want exactly OK", a.body)
					}
					if got := a.header.Get("Ping-Body-Limit"); got != "10000" {
						t.Errorf("Ping-Body-Limit %q; want 10000 on Free", got)
					}
					wants = append(wants, tc.want)
				}
			}
			s.expect(base+"/256", s.do("POST", base+"/256", ""), 400, "exit status must be between 0 and 255")
		}
		ps := s.pings(m.ID)
		if len(ps) != len(wants) {
			t.Fatalf("%d pings stored; want %d", len(ps), len(wants))
		}
		for i, p := range ps {
			exit := -1
			if p.ExitStatus != nil {
				exit = *p.ExitStatus
			}
			if (want{p.Kind, exit}) != wants[i] {
				t.Errorf("ping %d: %s exit %d; want %+v", i, p.Kind, exit, wants[i])
			}
			if p.SourceIP != "127.0.0.1" || p.UserAgent != "Go-http-client/1.1" || (p.Method != "GET" && p.Method != "POST") {
				t.Errorf("ping %d: source %q, agent %q, method %q", i, p.SourceIP, p.UserAgent, p.Method)
			}
		}
	})
}

// Unknown tokens, keys and slugs, and paths that name no ping, are 404;
// a rid that is not a UUID is 400; create=1 on the token form creates
// nothing.
func TestNotFoundAndBadRequests(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{})
		m := s.monitor("backup", nil)
		for _, path := range []string{
			"/ping/" + uuid.NewString(),
			"/ping/" + uuid.NewString() + "/start?create=1",
			"/ping/" + s.key + "/nope",
			"/ping/" + s.key + "/nope/fail",
			"/ping/wrongkeywrongkeywrongk/backup",
			"/ping/wrongkeywrongkeywrongk/backup?create=1",
			"/ping/" + m.PingToken + "/stop",
			"/ping/" + m.PingToken + "/start/now",
			"/ping/" + s.key,
			"/ping/",
		} {
			a := s.do("POST", path, "")
			s.expect("POST "+path, a, 404, "not found")
			if a.header.Get("Ping-Body-Limit") != "" {
				t.Errorf("%s: Ping-Body-Limit on a 404", path)
			}
		}
		s.expect("bad rid", s.do("GET", "/ping/"+m.PingToken+"?rid=123", ""), 400, "rid must be a UUID")
		s.expect("PUT", s.do("PUT", "/ping/"+m.PingToken, ""), 405, "GET, HEAD or POST")
		if n := len(s.pings(m.ID)); n != 0 {
			t.Errorf("%d pings stored; want none", n)
		}
	})
}

// A start and its end with the same rid are paired, so overlapping runs
// each get their own duration.
func TestRIDPairing(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{})
		m := s.monitor("etl", nil)
		a, b := uuid.NewString(), uuid.NewString()
		base := "/ping/" + m.PingToken
		s.expect("start a", s.do("GET", base+"/start?rid="+a, ""), 200, "OK")
		s.clock.advance(10 * time.Second)
		s.expect("start b", s.do("GET", base+"/start?rid="+b, ""), 200, "OK")
		if got := s.get(m.ID); got.Status != prikke.MonitorRunning || len(got.OpenRuns) != 2 {
			t.Fatalf("after two starts: %s with %d open runs", got.Status, len(got.OpenRuns))
		}
		s.clock.advance(20 * time.Second)
		s.expect("end b", s.do("POST", base+"/0?rid="+b, "done"), 200, "OK")
		s.clock.advance(30 * time.Second)
		s.expect("end a", s.do("POST", base+"?rid="+a, ""), 200, "OK")
		ps := s.pings(m.ID)
		if len(ps) != 4 {
			t.Fatalf("%d pings; want 4", len(ps))
		}
		for i, want := range []time.Duration{0, 0, 20 * time.Second, 60 * time.Second} {
			p := ps[i]
			switch {
			case want == 0 && p.Duration != nil:
				t.Errorf("ping %d (%s): duration %v; want none", i, p.Kind, *p.Duration)
			case want != 0 && (p.Duration == nil || *p.Duration != want):
				t.Errorf("ping %d (%s, rid %s): duration %v; want %v", i, p.Kind, p.RID, p.Duration, want)
			}
		}
		if ps[2].RID != b || ps[3].RID != a {
			t.Errorf("rids %q, %q; want %q, %q", ps[2].RID, ps[3].RID, b, a)
		}
		got := s.get(m.ID)
		if got.Status != prikke.MonitorUp || len(got.OpenRuns) != 0 || got.LastDuration == nil || *got.LastDuration != 60*time.Second {
			t.Errorf("monitor after both ends: %s, %d open runs, last duration %v", got.Status, len(got.OpenRuns), got.LastDuration)
		}
	})
}

// create=1 on the slug form creates the monitor (201) with the defaults,
// then pings it (200); the tier's job limit refuses a monitor beyond it
// with 403.
func TestCreate(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{})
		path := "/ping/" + s.key + "/nightly/start?create=1"
		a := s.do("POST", path, "")
		s.expect("create", a, 201, "Created")
		if a.header.Get("Ping-Body-Limit") != "10000" {
			t.Errorf("Ping-Body-Limit %q on 201", a.header.Get("Ping-Body-Limit"))
		}
		s.expect("again", s.do("POST", path, ""), 200, "OK")
		m, err := st.MonitorGetBySlug(context.Background(), s.tn.Project.ID, "nightly")
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "nightly" || m.Period != prikke.DefaultMonitorPeriod || m.Grace != prikke.DefaultMonitorGrace || m.Status != prikke.MonitorRunning {
			t.Errorf("created %q every %v grace %v, %s", m.Name, m.Period, m.Grace, m.Status)
		}
		if ps := s.pings(m.ID); len(ps) != 2 || ps[0].Kind != prikke.PingStart {
			t.Errorf("%d pings after create and ping", len(ps))
		}
		// Free allows 5 jobs and monitors together.
		for i := range 4 {
			s.expect("fill", s.do("GET", fmt.Sprintf("/ping/%s/m%d?create=1", s.key, i), ""), 201, "Created")
		}
		a = s.do("GET", "/ping/"+s.key+"/one-too-many?create=1", "")
		s.expect("over the limit", a, 403, "monitor not created")
		s.expect("bad slug", s.do("GET", "/ping/"+s.key+"/Bad_Slug?create=1", ""), 400, "slug")
		if _, err := st.MonitorGetBySlug(context.Background(), s.tn.Project.ID, "one-too-many"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("the monitor over the limit exists: %v", err)
		}
	})
}

// Free keeps 10 KB of a body and says so in Ping-Body-Limit; the rest is
// cut with the flag and the size received; Pro keeps 100 KB.
func TestBodyLimit(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		for _, tc := range []struct {
			tier  prikke.Tier
			limit int
		}{{prikke.TierFree, 10_000}, {prikke.TierPro, 100_000}} {
			s := newServer(t, st, tc.tier, ping.Config{})
			m := s.monitor("logs", nil)
			full := strings.Repeat("x", tc.limit)
			over := strings.Repeat("y", tc.limit+2345)
			for _, body := range []string{full, over} {
				a := s.do("POST", "/ping/"+m.PingToken+"/fail", body, "Content-Type", "text/plain")
				s.expect("body", a, 200, "OK")
				if got := a.header.Get("Ping-Body-Limit"); got != strconv.Itoa(tc.limit) {
					t.Errorf("%s: Ping-Body-Limit %q; want %d", tc.tier, got, tc.limit)
				}
			}
			ps := s.pings(m.ID)
			if len(ps) != 2 {
				t.Fatalf("%d pings", len(ps))
			}
			for i, want := range []struct {
				body      string
				size      int
				truncated bool
			}{{full, tc.limit, false}, {over[:tc.limit], tc.limit + 2345, true}} {
				p, err := st.PingGet(context.Background(), m.ID, ps[i].ID)
				if err != nil {
					t.Fatal(err)
				}
				if string(p.Body) != want.body || p.BodySize != want.size || p.BodyTruncated != want.truncated {
					t.Errorf("%s ping %d: body %d bytes, size %d, truncated %v; want %d, %d, %v", tc.tier, i,
						len(p.Body), p.BodySize, p.BodyTruncated, len(want.body), want.size, want.truncated)
				}
			}
		}
	})
}

// A browser may ping from any page: the preflight is answered, and a
// cross-site POST passes (the dashboard's cross-origin check does not
// apply under /ping/). HEAD pings like GET, without a body.
func TestCORSAndHEAD(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{})
		m := s.monitor("web", nil)
		path := "/ping/" + m.PingToken
		a := s.do("OPTIONS", path, "", "Origin", "https://example.com", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "content-type")
		if a.status != http.StatusNoContent || a.header.Get("Access-Control-Allow-Origin") != "*" ||
			a.header.Get("Access-Control-Allow-Methods") != "GET, HEAD, POST" || a.header.Get("Access-Control-Allow-Headers") != "Content-Type" {
			t.Errorf("preflight: %d %v", a.status, a.header)
		}
		a = s.do("POST", path, "from a browser", "Origin", "https://example.com", "Sec-Fetch-Site", "cross-site", "Content-Type", "text/plain")
		s.expect("cross-site POST", a, 200, "OK")
		a = s.do("HEAD", path+"/start", "")
		if a.status != 200 || a.body != "" || a.header.Get("Access-Control-Allow-Origin") != "*" || a.header.Get("Ping-Body-Limit") != "10000" {
			t.Errorf("HEAD: %d %q %v", a.status, a.body, a.header)
		}
		ps := s.pings(m.ID)
		if len(ps) != 2 || ps[0].Method != "POST" || ps[1].Method != "HEAD" || ps[1].Kind != prikke.PingStart {
			t.Fatalf("pings: %+v", ps)
		}
	})
}

// A flood of pings to one monitor is cut with 429 and Retry-After, while
// another monitor's pings go through.
func TestFloodIsolation(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{Burst: 5, Rate: 0.01})
		flooded, other := s.monitor("flooded", nil), s.monitor("other", nil)
		for i := range 5 {
			s.expect(fmt.Sprintf("ping %d", i+1), s.do("GET", "/ping/"+flooded.PingToken, ""), 200, "OK")
		}
		a := s.do("GET", "/ping/"+flooded.PingToken, "")
		s.expect("flood", a, 429, "too many pings")
		if ra, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
		}
		s.expect("slug form of the flooded monitor", s.do("GET", "/ping/"+s.key+"/flooded", ""), 429, "too many pings")
		for i := range 5 {
			s.expect(fmt.Sprintf("other %d", i+1), s.do("GET", "/ping/"+other.PingToken, ""), 200, "OK")
		}
		if n := len(s.pings(flooded.ID)); n != 5 {
			t.Errorf("flooded monitor holds %d pings; want 5", n)
		}
	})
}

// Many concurrent pings are all stored, none twice, each in its
// monitor's order; the monitor's state counted every one.
func TestConcurrentPings(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierPro, ping.Config{Burst: 10_000})
		const goroutines, each, monitors = 50, 20, 10
		ms := make([]*prikke.Monitor, monitors)
		for i := range ms {
			ms[i] = s.monitor(fmt.Sprintf("m%d", i), nil)
		}
		var wg sync.WaitGroup
		errs := make(chan string, goroutines*each)
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					a := s.do("POST", "/ping/"+ms[(g+i)%monitors].PingToken+"/1", fmt.Sprintf("g%d i%d", g, i))
					if a.status != 200 {
						errs <- fmt.Sprintf("%d %s", a.status, a.body)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		total := 0
		seen := map[string]bool{}
		for _, m := range ms {
			ps := s.pings(m.ID)
			total += len(ps)
			for _, p := range ps {
				full, err := st.PingGet(context.Background(), m.ID, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if seen[string(full.Body)] {
					t.Errorf("ping %q stored twice", full.Body)
				}
				seen[string(full.Body)] = true
			}
			if got := s.get(m.ID); got.ConsecutiveFailures != len(ps) {
				t.Errorf("monitor %s counted %d failures for %d pings", m.Slug, got.ConsecutiveFailures, len(ps))
			}
		}
		if total != goroutines*each || len(seen) != goroutines*each {
			t.Errorf("%d pings stored (%d distinct); want %d", total, len(seen), goroutines*each)
		}
	})
}

// A monitor deleted while its lookup is cached: its pings are dropped
// and answered 404. After Stop the recorder takes no pings: 503.
func TestDeletedAndStopped(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		s := newServer(t, st, prikke.TierFree, ping.Config{})
		m := s.monitor("gone", nil)
		s.expect("before", s.do("GET", "/ping/"+m.PingToken, ""), 200, "OK")
		if err := st.MonitorDelete(context.Background(), m.ID); err != nil {
			t.Fatal(err)
		}
		s.expect("deleted", s.do("GET", "/ping/"+m.PingToken, ""), 404, "not found")
		s.expect("deleted again", s.do("GET", "/ping/"+m.PingToken, ""), 404, "not found")

		other := s.monitor("other", nil)
		s.rec.Stop()
		a := s.do("GET", "/ping/"+other.PingToken, "")
		s.expect("stopped", a, 503, "retry")
		if a.header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		if n := len(s.pings(other.ID)); n != 0 {
			t.Errorf("%d pings stored after Stop", n)
		}
	})
}
