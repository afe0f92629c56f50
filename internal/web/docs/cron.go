package docs

import (
	"net/http"
	"time"

	"github.com/prikke/prikke/internal/cron"
)

// DSTExample is one worked daylight-saving example of the cron docs. Its
// fire times come from the cron package itself, so the page shows what the
// scheduler does rather than what someone remembered it does.
type DSTExample struct {
	Title string
	Expr  string
	Zone  string
	Note  string
	Fires []FireView
}

// dstCases are the worked examples: Europe/Oslo springs forward on
// 2026-03-29 (02:00 CET → 03:00 CEST) and falls back on 2026-10-25
// (03:00 CEST → 02:00 CET).
var dstCases = []struct {
	title, expr, after string
	n                  int
	note               string
}{
	{"Daily at 02:30, spring forward", "30 2 * * *", "2026-03-28T12:00:00Z", 3,
		"On 29 March the clock jumps from 02:00 straight to 03:00, so 02:30 never happens. A daily job still runs that day: once, at the moment of the change, 03:00 CEST (01:00 UTC)."},
	{"Daily at 02:30, fall back", "30 2 * * *", "2026-10-24T12:00:00Z", 3,
		"On 25 October the clock goes back from 03:00 to 02:00, so 02:30 happens twice. A daily job runs once: at the first 02:30, which is CEST (00:30 UTC)."},
	{"Hourly at :30, spring forward", "30 * * * *", "2026-03-28T23:00:00Z", 3,
		"The hour field selects all 24 hours, so the job runs on real time: 02:30 does not exist, and the run after 01:30 CET is 03:30 CEST, one hour later."},
	{"Hourly at :30, fall back", "30 * * * *", "2026-10-24T23:00:00Z", 4,
		"02:30 happens twice and the job runs at both, an hour apart, so every-hour stays every hour."},
}

// cronDocsView is the data of /docs/cron.
type cronDocsView struct {
	Tester   CronTester
	Examples []DSTExample
}

func (h *Docs) ShowCron(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_cron", cronDocsView{
		Tester:   h.Tester(r, "/docs/cron#tester", "0 9 * * 1-5", cron.Zones()),
		Examples: dstExamples(),
	})
}

// dstExamples computes the worked examples' fire times.
func dstExamples() []DSTExample {
	const zone = "Europe/Oslo"
	loc, err := cron.LoadLocation(zone)
	if err != nil {
		panic(err) // the zone is bundled with Go (time/tzdata); this cannot fail
	}
	out := make([]DSTExample, 0, len(dstCases))
	for _, c := range dstCases {
		s, err := cron.Parse(c.expr)
		if err != nil {
			panic(err)
		}
		after, _ := time.Parse(time.RFC3339, c.after)
		ex := DSTExample{Title: c.title, Expr: c.expr, Zone: zone, Note: c.note}
		for _, f := range s.NextN(after, loc, c.n) {
			ex.Fires = append(ex.Fires, FireView{UTC: f.Time.UTC(), Local: f.Time.In(loc),
				DSTShifted: f.DSTShifted, DSTRepeated: f.DSTRepeated})
		}
		out = append(out, ex)
	}
	return out
}
