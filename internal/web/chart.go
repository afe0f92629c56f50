package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// The dashboard's charts are inline SVG built here: no script, no style
// attribute (the CSP forbids both), colours from Tailwind fill classes
// that Tailwind finds in this file.

// statusFill is the fill class of an execution status in charts.
var statusFill = map[prikke.ExecutionStatus]string{
	prikke.ExecutionStatusPending:       "fill-slate-300",
	prikke.ExecutionStatusRunning:       "fill-sky-500",
	prikke.ExecutionStatusSuccess:       "fill-emerald-500",
	prikke.ExecutionStatusFailed:        "fill-red-500",
	prikke.ExecutionStatusTimeout:       "fill-orange-500",
	prikke.ExecutionStatusMissed:        "fill-amber-400",
	prikke.ExecutionStatusSkipped:       "fill-slate-400",
	prikke.ExecutionStatusQuotaExceeded: "fill-violet-500",
}

func fillOf(s prikke.ExecutionStatus) string {
	if c, ok := statusFill[s]; ok {
		return c
	}
	return "fill-slate-300"
}

// sparkline is a strip of a job's recent outcomes, oldest first.
type sparkline struct {
	Bars  []page.Bar
	Width float64
	Label string // "Last 20 runs: 18 succeeded, 2 failed"
	Empty bool
}

// sparklineSlots is how many outcomes a sparkline shows.
const sparklineSlots = 20

// newSparkline draws executions (newest first, as the store lists them),
// their times in loc;
// occurrences not yet run (pending) are left out.
func newSparkline(es []*prikke.Execution, loc *time.Location) sparkline {
	var done []*prikke.Execution
	for _, e := range es {
		if e.Status != prikke.ExecutionStatusPending {
			done = append(done, e)
		}
	}
	if len(done) > sparklineSlots {
		done = done[:sparklineSlots]
	}
	s := sparkline{Width: sparklineSlots * 6, Empty: len(done) == 0}
	counts := map[prikke.ExecutionStatus]int{}
	for i := range done {
		e := done[len(done)-1-i] // oldest first
		counts[e.Status]++
		s.Bars = append(s.Bars, page.Bar{X: float64(i * 6), Y: 0, W: 4, H: 16, Class: fillOf(e.Status),
			Title: statusBadge(e.Status).Label + ", " + e.ScheduledFor.In(loc).Format(page.LayoutFull)})
	}
	if s.Empty {
		s.Label = "No runs yet"
		return s
	}
	var parts []string
	for _, st := range prikke.ExecutionStatuses {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(statusBadge(st).Label)))
		}
	}
	s.Label = fmt.Sprintf("Last %d runs: %s", len(done), strings.Join(parts, ", "))
	return s
}

// durationChart is a bar per execution, its height the duration and its
// colour the outcome, oldest on the left.
type durationChart struct {
	Bars     []page.Bar
	Width    float64
	Height   float64
	Max      string // the duration of the tallest bar, for the axis label
	From, To string // the first and last executions' times
	Label    string
	Legend   []page.Badge
}

const (
	chartWidth  = 600
	chartHeight = 120
)

// newDurationChart draws executions given newest first, their times in
// loc. Runs that never
// went out (missed, skipped, over quota, pending) get a short stub in
// their colour, so the timeline shows them too.
func newDurationChart(es []*prikke.Execution, loc *time.Location) durationChart {
	c := durationChart{Width: chartWidth, Height: chartHeight}
	if len(es) == 0 {
		return c
	}
	maxMS := 1
	for _, e := range es {
		maxMS = max(maxMS, e.DurationMS)
	}
	n := len(es)
	slot := float64(chartWidth) / float64(max(n, 20))
	seen := map[prikke.ExecutionStatus]bool{}
	for i := range es {
		e := es[n-1-i]
		h := float64(e.DurationMS) / float64(maxMS) * (chartHeight - 4)
		if !e.Status.Delivered() || h < 3 {
			h = 3
		}
		c.Bars = append(c.Bars, page.Bar{X: float64(i)*slot + slot*0.15, Y: chartHeight - h, W: slot * 0.7, H: h,
			Class: fillOf(e.Status),
			Title: fmt.Sprintf("%s · %s · %s", e.ScheduledFor.In(loc).Format(page.LayoutFull), statusBadge(e.Status).Label, page.Duration(e.DurationMS))})
		seen[e.Status] = true
	}
	for _, st := range prikke.ExecutionStatuses {
		if seen[st] {
			c.Legend = append(c.Legend, statusBadge(st))
		}
	}
	c.Max = page.Duration(maxMS)
	c.From = es[n-1].ScheduledFor.In(loc).Format(page.LayoutFull)
	c.To = es[0].ScheduledFor.In(loc).Format(page.LayoutFull)
	c.Label = fmt.Sprintf("Duration and outcome of the last %d executions, oldest first; the longest took %s", n, c.Max)
	return c
}
