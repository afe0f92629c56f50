package api

import (
	"context"
	"time"

	"github.com/prikke/prikke"
)

type previewInput struct {
	CronExpression string `query:"cron_expression" doc:"The expression to explain." example:"0 9 * * 1-5"`
	Timezone       string `query:"timezone" doc:"IANA zone (default UTC)." example:"Europe/Oslo"`
	Count          int    `query:"count" minimum:"1" maximum:"100" doc:"How many fire times (default 10)."`
}

// Preview explains a schedule.
type Preview struct {
	Description        string     `json:"description" example:"At 09:00, Monday through Friday" doc:"The expression in plain English."`
	Next               []FireTime `json:"next" doc:"The next fire times, earliest first."`
	MinIntervalMinutes int        `json:"min_interval_minutes" doc:"Shortest gap between fire times: the free tier needs at least 60."`
}

// FireTime is one upcoming run.
type FireTime struct {
	At          time.Time `json:"at" doc:"The instant, in UTC."`
	Local       string    `json:"local" doc:"The instant in the schedule's zone."`
	DSTShifted  bool      `json:"dst_shifted,omitempty" doc:"Moved to the end of a spring-forward gap."`
	DSTRepeated bool      `json:"dst_repeated,omitempty" doc:"The second of a repeated local time (fall back)."`
}

func (a *API) handleSchedulePreview(ctx context.Context, in *previewInput) (*struct{ Body *Preview }, error) {
	n := in.Count
	if n == 0 {
		n = 10
	}
	var v prikke.Validation
	if in.CronExpression == "" {
		v.Add("query.cron_expression", "is required")
		return nil, v.Err()
	}
	p, err := a.svc.SchedulePreview(in.CronExpression, in.Timezone, n)
	if err != nil {
		for _, f := range prikke.ErrorFields(err) {
			v.Add("query."+f.Field, "%s", f.Message)
		}
		return nil, v.Err()
	}
	out := &Preview{Description: p.Description, MinIntervalMinutes: int(p.MinInterval / time.Minute), Next: []FireTime{}}
	for _, f := range p.Fires {
		out.Next = append(out.Next, FireTime{At: f.Time.UTC(), Local: f.Time.In(p.Location).Format("2006-01-02 15:04 MST"),
			DSTShifted: f.DSTShifted, DSTRepeated: f.DSTRepeated})
	}
	return &struct{ Body *Preview }{out}, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opSchedulePreview = operation{ID: "schedule-preview", Tag: "Schedules", Public: true,
		Summary:     "Explain a cron expression",
		Description: "The expression in plain English and its next fire times in the zone, daylight-saving changes flagged."}
)
