package api

import (
	"context"

	"github.com/prikke/prikke/internal/service"
)

// Usage is an organization's use this month against its tier.
type Usage struct {
	Month    string `json:"month" example:"2026-11" doc:"The calendar month counted (UTC), as YYYY-MM."`
	Requests int64  `json:"requests" doc:"Outbound delivery attempts this month (UTC), test requests included."`
	Limit    int64  `json:"limit" doc:"Requests the tier allows this month." example:"5000"`
	Jobs     int    `json:"jobs" doc:"Jobs the organization has now." example:"3"`
	Monitors int    `json:"monitors" doc:"Monitors the organization has now; they count against max_jobs with the jobs." example:"1"`
	MaxJobs  *int   `json:"max_jobs" nullable:"true" doc:"The tier's limit on jobs and monitors together (jobs + monitors); null when the tier has no limit (Pro)."`
	Tier     string `json:"tier" doc:"The organization's plan: free or pro." example:"free"`
}

func (a *API) handleUsage(ctx context.Context, in *orgIDInput) (*struct{ Body *Usage }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	u, err := a.svc.Usage(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Usage }{usageOut(u)}, nil
}

func usageOut(u *service.UsageReport) *Usage {
	out := &Usage{Month: u.Month, Requests: u.Requests, Limit: u.Limit, Jobs: u.Jobs, Monitors: u.Monitors, Tier: string(u.Tier)}
	if u.MaxJobs > 0 {
		out.MaxJobs = &u.MaxJobs
	}
	return out
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opUsage = operation{ID: "usage", Tag: "Organizations",
		Summary:     "Requests used this month against the tier's limits",
		Description: "Requests used this calendar month (UTC) against the tier's limit, and the numbers of jobs and monitors, which count together against the tier's job limit."}
)
