package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/web/page"
)

// zoneOf is the zone of the request's signed-in user (UTC without one).
func zoneOf(r *http.Request) *time.Location {
	if a := actorOf(r); a != nil {
		return page.UserLocation(a.User)
	}
	return time.UTC
}

// scheduleWords says when a job runs: "At 09:30, Monday through Friday
// (Europe/Oslo)", "Every hour", "Once at Thu 24 Dec, 18:00 CET".
func scheduleWords(j *prikke.Job) string {
	switch j.Kind {
	case prikke.JobKindOnce, prikke.JobKindQueue:
		if j.RunAt == nil {
			return "Once"
		}
		return "Once at " + page.InZone(*j.RunAt, j.TimeZone)
	}
	var words string
	switch j.Interval {
	case prikke.IntervalHourly:
		words = "Every hour, on the hour"
	case prikke.IntervalDaily:
		words = "Every day at 00:00"
	case prikke.IntervalWeekly:
		words = "Every Monday at 00:00"
	default:
		s, err := cron.Parse(j.CronExpression)
		if err != nil {
			return j.CronExpression
		}
		words = s.Describe()
	}
	if j.TimeZone != "" && j.TimeZone != "UTC" {
		return words + " (" + j.TimeZone + ")"
	}
	return words + " (UTC)"
}

// bodyView is a stored body as a page shows it: text when it is UTF-8,
// else its size.
type bodyView struct {
	Text      string
	Binary    bool
	Size      int
	Truncated bool
}

func viewBody(b []byte, truncated bool) bodyView {
	v := bodyView{Size: len(b), Truncated: truncated}
	if utf8.Valid(b) {
		v.Text = string(b)
	} else {
		v.Binary = true
	}
	return v
}

// jobName is a job's name, or its method and host when it has none.
func jobName(j *prikke.Job) string {
	if strings.TrimSpace(j.Name) != "" {
		return j.Name
	}
	if u, err := url.Parse(j.URL); err == nil && u.Host != "" {
		return j.Method + " " + u.Host
	}
	return j.Method + " " + j.URL
}
