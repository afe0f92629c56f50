package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestIntervals: every interval the API names creates a job with its cron
// expression and the next fire time it promises; the old hourly, daily and
// weekly still work; Free refuses what fires more often than hourly and
// says what Pro allows; every N minutes keeps its gap across a
// daylight-saving change, every N hours keeps to the zone's wall clock.
func TestIntervals(t *testing.T) {
	dialects(t, func(t *testing.T, s *server) {
		pro, free := s.newTenant(prikke.TierPro), s.newTenant(prikke.TierFree)
		now := time.Date(2026, 6, 10, 10, 7, 30, 0, time.UTC)
		s.clock.set(now)
		defer s.clock.reset()
		type job struct {
			ID             string     `json:"id"`
			ScheduleKind   string     `json:"schedule_kind"`
			Interval       string     `json:"interval"`
			CronExpression string     `json:"cron_expression"`
			NextRunAt      *time.Time `json:"next_run_at"`
		}
		for _, tc := range []struct {
			interval, cron string
			next           time.Time
			freeOK         bool
		}{
			{"every_minute", "* * * * *", time.Date(2026, 6, 10, 10, 8, 0, 0, time.UTC), false},
			{"every_2_minutes", "*/2 * * * *", time.Date(2026, 6, 10, 10, 8, 0, 0, time.UTC), false},
			{"every_5_minutes", "*/5 * * * *", time.Date(2026, 6, 10, 10, 10, 0, 0, time.UTC), false},
			{"every_10_minutes", "*/10 * * * *", time.Date(2026, 6, 10, 10, 10, 0, 0, time.UTC), false},
			{"every_15_minutes", "*/15 * * * *", time.Date(2026, 6, 10, 10, 15, 0, 0, time.UTC), false},
			{"every_30_minutes", "*/30 * * * *", time.Date(2026, 6, 10, 10, 30, 0, 0, time.UTC), false},
			{"hourly", "0 * * * *", time.Date(2026, 6, 10, 11, 0, 0, 0, time.UTC), true},
			{"every_2_hours", "0 */2 * * *", time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC), true},
			{"every_3_hours", "0 */3 * * *", time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC), true},
			{"every_4_hours", "0 */4 * * *", time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC), true},
			{"every_6_hours", "0 */6 * * *", time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC), true},
			{"every_8_hours", "0 */8 * * *", time.Date(2026, 6, 10, 16, 0, 0, 0, time.UTC), true},
			{"every_12_hours", "0 */12 * * *", time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC), true},
			{"daily", "0 0 * * *", time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC), true},
			{"weekly", "0 0 * * 1", time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), true},
		} {
			body := map[string]any{"name": tc.interval, "url": "https://example.com/hook", "interval": tc.interval}
			r := s.withKey(pro.key).do("POST", "/api/v1/jobs", body)
			var j job
			r.json(t, &j)
			if r.Status != 201 || j.ScheduleKind != "interval" || j.Interval != tc.interval || j.CronExpression != tc.cron ||
				j.NextRunAt == nil || !j.NextRunAt.Equal(tc.next) {
				t.Errorf("pro %s = %d %s; want %q next %v", tc.interval, r.Status, r.Body, tc.cron, tc.next)
			}
			// The gap, a priority input: minute intervals run before hourly ones.
			if id, err := prikke.ParseID(j.ID); err == nil {
				stored, err := s.store.JobGet(context.Background(), id)
				want := map[string]int{"every_minute": 1, "every_2_minutes": 2, "every_5_minutes": 5, "every_10_minutes": 10,
					"every_15_minutes": 15, "every_30_minutes": 30, "hourly": 60, "every_2_hours": 120, "every_3_hours": 180,
					"every_4_hours": 240, "every_6_hours": 360, "every_8_hours": 480, "every_12_hours": 720, "daily": 1440, "weekly": 10080}[tc.interval]
				if err != nil {
					t.Fatal(err)
				}
				if stored.IntervalMinutes != want {
					t.Errorf("%s: interval_minutes = %d, want %d", tc.interval, stored.IntervalMinutes, want)
				}
			}
			r = s.withKey(free.key).do("POST", "/api/v1/jobs", body)
			if tc.freeOK {
				if r.Status != 201 {
					t.Errorf("free %s = %d %s", tc.interval, r.Status, r.Body)
				}
				r.json(t, &j)
				s.withKey(free.key).do("DELETE", "/api/v1/jobs/"+j.ID, nil) // Free has room for 5
				continue
			}
			checkProblem(t, r, "body.interval", "the free tier's shortest interval is 1 hour")
			if p := r.problem(t); r.Status != 422 || !strings.Contains(p.Errors[0].Message, "upgrade to Pro, which runs jobs as often as every minute") {
				t.Errorf("free %s = %d %s; want the refusal to say what Pro allows", tc.interval, r.Status, r.Body)
			}
		}
		r := s.withKey(pro.key).do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "interval": "every_7_minutes"})
		checkProblem(t, r, "body.interval", "must be one of every_minute, every_2_minutes, every_5_minutes")

		// Across Europe/Oslo's spring-forward change (02:00 CET becomes
		// 03:00 CEST, 01:00 UTC on 2026-03-29).
		next := func(interval, zone string, at time.Time) time.Time {
			t.Helper()
			s.clock.set(at)
			r := s.withKey(pro.key).do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "interval": interval, "timezone": zone})
			var j job
			r.json(t, &j)
			if r.Status != 201 || j.NextRunAt == nil {
				t.Fatalf("%s in %s = %d %s", interval, zone, r.Status, r.Body)
			}
			return j.NextRunAt.UTC()
		}
		for _, tc := range []struct {
			interval, zone string
			at, want       time.Time
		}{
			// Every 5 minutes stays every 5 minutes: 00:55, 01:00 UTC.
			{"every_5_minutes", "Europe/Oslo", time.Date(2026, 3, 29, 0, 55, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
			// Every 2 hours: 00:00 CET (23:00 UTC), then the skipped 02:00
			// at the change (03:00 CEST, 01:00 UTC), then 04:00 CEST
			// (02:00 UTC): one gap is an hour short.
			{"every_2_hours", "Europe/Oslo", time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
			{"every_2_hours", "Europe/Oslo", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC)},
			// In UTC every gap is 2 hours.
			{"every_2_hours", "UTC", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC)},
			{"every_2_hours", "UTC", time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 4, 0, 0, 0, time.UTC)},
			// Autumn (03:00 CEST becomes 02:00 CET, 01:00 UTC on
			// 2026-10-25): 02:00 CEST (00:00 UTC) fires once, then 04:00
			// CET (03:00 UTC): one gap is an hour long.
			{"every_2_hours", "Europe/Oslo", time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC)},
		} {
			if got := next(tc.interval, tc.zone, tc.at); !got.Equal(tc.want) {
				t.Errorf("%s in %s after %v: next %v, want %v", tc.interval, tc.zone, tc.at, got, tc.want)
			}
		}
	})
}
