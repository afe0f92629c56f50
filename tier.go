package prikke

import (
	"strconv"
	"time"
)

// Tier is an organization's plan.
type Tier string

// Tiers.
const (
	TierFree Tier = "free"
	TierPro  Tier = "pro"
)

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool { return t == TierFree || t == TierPro }

// Limits are the limits a tier enforces.
type Limits struct {
	MaxJobs         int           // 0 means unlimited
	MonthlyRequests int64         // outbound delivery attempts per calendar month (UTC)
	MinInterval     time.Duration // shortest gap between two fire times of a cron job
	History         time.Duration // how long finished executions are kept
	// WorkflowSteps is the most steps a workflow may have; ForEachItems
	// the most items a for_each step may run (0: for_each is not allowed).
	WorkflowSteps int
	ForEachItems  int
}

// Limits returns the limits of tier t; unknown tiers get Free's.
func (t Tier) Limits() Limits {
	if t == TierPro {
		return Limits{MaxJobs: 0, MonthlyRequests: 250_000, MinInterval: time.Minute, History: 30 * 24 * time.Hour,
			WorkflowSteps: 50, ForEachItems: 100}
	}
	return Limits{MaxJobs: 5, MonthlyRequests: 5_000, MinInterval: time.Hour, History: 7 * 24 * time.Hour,
		WorkflowSteps: 3, ForEachItems: 0}
}

// Usage is an organization's metered use in one month.
type Usage struct {
	OrganizationID ID
	Month          string // "2026-11"
	Requests       int64
	Limit          int64
}

// Fraction returns Requests/Limit (0 when there is no limit).
func (u Usage) Fraction() float64 {
	if u.Limit <= 0 {
		return 0
	}
	return float64(u.Requests) / float64(u.Limit)
}

// FormatCount writes n with thousands separators (250000 is "250,000"), as
// the dashboard and the mails show request counts and limits.
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return sign + string(b)
}
