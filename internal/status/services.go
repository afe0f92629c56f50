package status

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
)

// Reporter writes this node's "node:<id>" heartbeat (store.NodeBeat): its
// delivery statistics, gathered every ReportEvery, and, when Info is set,
// the node's own report (prikke.NodeInfo: version, schema, load, leader)
// for the operator console and `prikke migrate`, written every BeatEvery
// with the latest statistics. One writer, so neither overwrites the other.
type Reporter struct {
	store  store.Store
	node   string
	stats  func() NodeReport
	logger *slog.Logger
	loop   startstop.Loop

	// Info, when set before Start, is the rest of the heartbeat.
	Info func() prikke.NodeInfo
	// BeatEvery is how often the heartbeat is written (0, or more than
	// ReportEvery: ReportEvery). The statistics are still gathered every
	// ReportEvery, so their windows do not change with it.
	BeatEvery time.Duration
}

// NewReporter returns a stopped reporter; stats takes the statistics
// gathered since its previous call.
func NewReporter(s store.Store, node string, stats func() NodeReport, logger *slog.Logger) *Reporter {
	return &Reporter{store: s, node: node, stats: stats, logger: logger.With("service", "status")}
}

// nodeBeat is a node heartbeat's detail: the node's report and its
// delivery statistics (in_flight is the node's, in both).
type nodeBeat struct {
	prikke.NodeInfo
	Attempts      int     `json:"attempts"`
	NoReply       int     `json:"no_reply"`
	LatenessP99MS float64 `json:"lateness_p99_ms"`
}

// Start begins reporting.
func (r *Reporter) Start(ctx context.Context) {
	if err := MarkStarted(ctx, r.store, time.Time{}); err != nil && ctx.Err() == nil {
		r.logger.Warn("status start mark failed", "error", err)
	}
	every := r.BeatEvery
	if every <= 0 || every > ReportEvery {
		every = ReportEvery
	}
	gatherEvery := max(1, int(ReportEvery/every)) // beats per statistics window
	var last NodeReport
	beats := 0
	r.loop.Start(ctx, startstop.Every(every, func(ctx context.Context) {
		if beats%gatherEvery == 0 {
			last = r.stats()
		}
		beats++
		var detail any = last
		if r.Info != nil {
			info := r.Info()
			detail = nodeBeat{NodeInfo: info, Attempts: last.Attempts, NoReply: last.NoReply, LatenessP99MS: last.LatenessP99MS}
		}
		b, _ := json.Marshal(detail)
		if err := r.store.HeartbeatPut(ctx, store.NodeBeat+r.node, string(b)); err != nil && ctx.Err() == nil {
			r.logger.Warn("status report failed", "error", err)
		}
	}))
}

// Stop stops reporting.
func (r *Reporter) Stop() { r.loop.Stop() }

// Sampler records, every SampleEvery while this node leads the scheduler,
// how long each component spent in each state since the previous sample,
// for the uptime bars. Uptime comes from what happened: the time between
// two samples is credited to the state the second one finds; a gap with
// no sample is down time, unless the node that took the sample before it
// had marked a planned stop (MarkStopping) at its start: then it is a
// restart, not counted when back within PlannedRestart, and maintenance
// (left out of the uptime, shown on the bar) when longer. Another node's
// planned stop excuses nothing: the sampling node stopped without one, so
// the gap is an outage (while other nodes run, one of them takes over
// within the leader TTL, which is no gap).
//
// A sample's counters and the "status:sampled" mark are written together
// (Store.StatusSampleCommit), and only if the mark still reads what the
// sample read: two nodes that both think they lead at a handover credit a
// stretch once, and a failed write leaves it for the next sample.
type Sampler struct {
	checker *Checker
	store   store.Store
	node    string
	leading func() bool
	logger  *slog.Logger
	loop    startstop.Loop
}

// Sampling and the rules for gaps.
const (
	SampleEvery = 15 * time.Second
	// GapAfter: a stretch this long without a sample is a gap (a leader
	// change takes up to the leader TTL, 15 s by default, plus a tick).
	GapAfter = 45 * time.Second
	// PlannedRestart: a planned stop with the service back within this is
	// a restart, not counted as down time.
	PlannedRestart = time.Minute
)

// Heartbeat names of the marks; the instant is in the detail, so the
// sampler reads its own clock's time back. The sampled mark's detail is
// "<instant> <node>", the node that took the sample; each node's planned
// stop has a mark of its own, markStopping+":"+node (a bare markStopping
// is from a version that did not name nodes).
const (
	markSampled  = "status:sampled"
	markStarted  = "status:started"
	markStopping = "status:stopping"
)

// NewSampler returns a stopped sampler for the node named node.
func NewSampler(s store.Store, node string, leading func() bool, logger *slog.Logger) *Sampler {
	return &Sampler{checker: NewChecker(s), store: s, node: node, leading: leading, logger: logger.With("service", "status")}
}

// Start begins sampling.
func (s *Sampler) Start(ctx context.Context) {
	s.loop.Start(ctx, startstop.Every(SampleEvery, func(ctx context.Context) {
		if s.leading() {
			s.Sample(ctx, time.Time{})
		}
	}))
}

// Stop stops sampling.
func (s *Sampler) Stop() { s.loop.Stop() }

// MarkStarted records that a node started at now (database clock when
// zero): the end of a gap in the samples.
func MarkStarted(ctx context.Context, st store.Store, now time.Time) error {
	return mark(ctx, st, markStarted, now)
}

// MarkStopping records that node is stopping on purpose at now (database
// clock when zero), before it stops serving: a gap in the samples that
// starts then, after a sample node took, is a planned stop.
func MarkStopping(ctx context.Context, st store.Store, node string, now time.Time) error {
	return mark(ctx, st, stoppingMark(node), now)
}

// stoppingMark names node's planned-stop mark.
func stoppingMark(node string) string {
	if node == "" {
		return markStopping
	}
	return markStopping + ":" + node
}

func mark(ctx context.Context, st store.Store, name string, now time.Time) error {
	if now.IsZero() {
		var err error
		if now, err = st.Now(ctx); err != nil {
			return err
		}
	}
	return st.HeartbeatPut(ctx, name, now.UTC().Format(time.RFC3339Nano))
}

// readMark returns a mark's instant, or false when there is none.
func readMark(ctx context.Context, st store.Store, name string) (time.Time, bool) {
	_, detail, err := st.HeartbeatGet(ctx, name)
	if err != nil {
		return time.Time{}, false
	}
	t, _, ok := parseSampled(detail)
	return t, ok
}

// sampledDetail is the sampled mark's detail: the instant and the node.
func sampledDetail(at time.Time, node string) string {
	return at.UTC().Format(time.RFC3339Nano) + " " + node
}

// parseSampled reads a mark's detail: an instant, then for the sampled
// mark the node that took the sample (none in marks of older versions).
func parseSampled(detail string) (time.Time, string, bool) {
	at, node, _ := strings.Cut(detail, " ")
	t, err := time.Parse(time.RFC3339Nano, at)
	return t, node, err == nil
}

// span is a stretch of time and what it counts as: the live states
// (live), up, down or maintenance.
type span struct {
	from, to time.Time
	kind     spanKind
}

type spanKind int

const (
	spanLive spanKind = iota
	spanUp
	spanDown
	spanMaintenance
)

// spans splits the time since the last sample, which lastNode took, by
// what happened.
func (s *Sampler) spans(ctx context.Context, last time.Time, lastNode string, now time.Time) []span {
	if now.Sub(last) <= GapAfter {
		return []span{{last, now, spanLive}}
	}
	// A gap. It began at the planned stop of the node that took the last
	// sample, if that node marked one since (or just before it: sampling
	// goes on while HTTP drains); else at the last sample, the last sign
	// of life. It ended when a node started.
	from, planned := last, false
	if stop, ok := readMark(ctx, s.store, stoppingMark(lastNode)); ok && !stop.Before(last.Add(-GapAfter)) && stop.Before(now) {
		from, planned = maxTime(stop, last), true
	}
	to := now
	if start, ok := readMark(ctx, s.store, markStarted); ok && start.After(from) && start.Before(now) {
		to = start
	}
	kind := spanDown
	switch {
	case planned && to.Sub(from) <= PlannedRestart:
		kind = spanUp
	case planned:
		kind = spanMaintenance
	}
	return []span{{last, from, spanLive}, {from, to, kind}, {to, now, spanLive}}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Sample records one check of every component at now (database clock
// when zero) and the seconds since the previous sample. The leader
// records them; when another node recorded a sample since this one read
// the mark, this one records nothing, so each stretch is counted once.
func (s *Sampler) Sample(ctx context.Context, now time.Time) {
	comps := s.checker.Live(ctx, now)
	if now.IsZero() {
		now = time.Now()
		if db, err := s.store.Now(ctx); err == nil {
			now = db
		}
	}
	now = now.UTC()
	// prev is the mark as read: the sample is written only if it still
	// reads so.
	var spans []span
	_, prev, err := s.store.HeartbeatGet(ctx, markSampled)
	switch {
	case err == nil:
		if last, lastNode, ok := parseSampled(prev); ok {
			if !now.After(last) {
				// Another node sampled between this one reading the
				// clock and the mark: the mark must not move back (the
				// next sample would count [now, last] again).
				return
			}
			spans = s.spans(ctx, last, lastNode, now)
		}
	case prikke.ErrorCode(err) != prikke.ENOTFOUND:
		if ctx.Err() == nil {
			s.logger.Warn("status sample failed", "error", err)
		}
		return
	}
	adds := map[[2]string]*prikke.StatusSample{}
	get := func(day, comp string) *prikke.StatusSample {
		k := [2]string{day, comp}
		if adds[k] == nil {
			adds[k] = &prikke.StatusSample{Day: day, Component: comp}
		}
		return adds[k]
	}
	for _, c := range comps {
		d := get(now.Format("2006-01-02"), c.Name)
		d.Checks = 1
		switch c.Status {
		case prikke.StatusDegraded:
			d.Degraded = 1
		case prikke.StatusOutage:
			d.Outage = 1
		}
		for _, sp := range spans {
			for day, secs := range splitDays(sp.from, sp.to) {
				d := get(day, c.Name)
				switch {
				case sp.kind == spanDown, sp.kind == spanLive && c.Status == prikke.StatusOutage:
					d.OutageSeconds += secs
				case sp.kind == spanMaintenance:
					d.MaintenanceSeconds += secs
				case sp.kind == spanLive && c.Status == prikke.StatusDegraded:
					d.DegradedSeconds += secs
				default:
					d.OperationalSeconds += secs
				}
			}
		}
	}
	keys := make([][2]string, 0, len(adds))
	for k := range adds {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
	ds := make([]*prikke.StatusSample, len(keys))
	for i, k := range keys {
		ds[i] = adds[k]
	}
	ok, err := s.store.StatusSampleCommit(ctx, markSampled, prev, sampledDetail(now, s.node), ds)
	switch {
	case err != nil && ctx.Err() == nil:
		s.logger.Warn("status sample failed", "error", err)
	case err == nil && !ok:
		s.logger.Debug("status sample skipped: another node sampled since this one read the mark")
	}
}

// splitDays returns the whole seconds of [from, to) on each UTC day.
// Seconds are counted between whole-second instants, so consecutive
// stretches add up exactly.
func splitDays(from, to time.Time) map[string]int {
	out := map[string]int{}
	a, b := from.UTC().Unix(), to.UTC().Unix()
	for a < b {
		next := time.Unix(a, 0).UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).Unix()
		end := min(next, b)
		out[time.Unix(a, 0).UTC().Format("2006-01-02")] += int(end - a)
		a = end
	}
	return out
}

// Page is a customer status page as the public sees it: display names,
// states and bars; never URLs, headers, bodies or errors.
type Page struct {
	Title      string
	Status     prikke.ComponentStatus
	Components []Component
	UpdatedAt  time.Time
}

// CustomerPage computes a published status page from its jobs' health and
// daily outcomes.
func CustomerPage(ctx context.Context, s store.Store, p *prikke.StatusPage, now time.Time) (*Page, error) {
	out := &Page{Title: p.Title, UpdatedAt: now.UTC()}
	ids := make([]prikke.ID, len(p.Jobs))
	for i, j := range p.Jobs {
		ids[i] = j.JobID
	}
	days, err := s.JobDaysList(ctx, ids, now.UTC().AddDate(0, 0, -(Days-1)).Format("2006-01-02"))
	if err != nil {
		return nil, err
	}
	byJob := map[prikke.ID]map[string]*prikke.JobDay{}
	for _, d := range days {
		if byJob[d.JobID] == nil {
			byJob[d.JobID] = map[string]*prikke.JobDay{}
		}
		byJob[d.JobID][d.Day] = d
	}
	for _, pj := range p.Jobs {
		j, err := s.JobGet(ctx, pj.JobID)
		if err != nil {
			continue // deleted since
		}
		c := Component{Name: pj.DisplayName, Status: prikke.StatusOperational}
		switch {
		case !j.Enabled:
			c.Status, c.Detail = prikke.StatusDegraded, "Paused"
		case j.Health == prikke.JobFailing:
			c.Status, c.Detail = prikke.StatusOutage, "Failing"
		}
		c.Days, c.Uptime = bars(now, func(day string) dayCounts {
			if d := byJob[pj.JobID][day]; d != nil {
				return dayCounts{checks: d.Success + d.Failed, good: float64(d.Success), bad: float64(d.Failed)}
			}
			return dayCounts{}
		})
		out.Components = append(out.Components, c)
	}
	for _, pm := range p.Monitors {
		m, err := s.MonitorGet(ctx, pm.MonitorID)
		if err != nil {
			continue // deleted since
		}
		out.Components = append(out.Components, monitorComponent(pm.DisplayName, m, now))
	}
	out.Status = Overall(out.Components)
	return out, nil
}

// monitorComponent is a monitor on a customer page: its current status
// in a word, and no days (monitors keep no daily counts).
func monitorComponent(name string, m *prikke.Monitor, now time.Time) Component {
	c := Component{Name: name, Status: prikke.StatusOperational}
	switch m.StatusAt(now) {
	case prikke.MonitorUp:
		c.Detail = "Up: checked in on time"
	case prikke.MonitorRunning:
		c.Detail = "Running now"
	case prikke.MonitorNew:
		c.Detail = "Waiting for the first check-in"
	case prikke.MonitorLate:
		c.Status, c.Detail = prikke.StatusDegraded, "Late: the check-in is overdue"
	case prikke.MonitorPaused:
		c.Status, c.Detail = prikke.StatusDegraded, "Paused"
	case prikke.MonitorDown:
		c.Status, c.Detail = prikke.StatusOutage, "Down"
	}
	return c
}
