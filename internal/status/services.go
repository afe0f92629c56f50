package status

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// loop runs fn every interval until Stop. Start and Stop are safe to call
// twice.
type loop struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func (l *loop) start(ctx context.Context, every time.Duration, fn func(context.Context)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		return
	}
	ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(every)
		defer t.Stop()
		fn(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	}()
}

func (l *loop) stop() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Reporter writes this node's delivery statistics to its "node:<id>"
// heartbeat every ReportEvery.
type Reporter struct {
	store  store.Store
	node   string
	stats  func() NodeReport
	logger *slog.Logger
	loop   loop
}

// NewReporter returns a stopped reporter; stats takes the statistics
// gathered since its previous call.
func NewReporter(s store.Store, node string, stats func() NodeReport, logger *slog.Logger) *Reporter {
	return &Reporter{store: s, node: node, stats: stats, logger: logger.With("service", "status")}
}

// Start begins reporting.
func (r *Reporter) Start(ctx context.Context) {
	r.loop.start(ctx, ReportEvery, func(ctx context.Context) {
		b, _ := json.Marshal(r.stats())
		if err := r.store.HeartbeatPut(ctx, "node:"+r.node, string(b)); err != nil && ctx.Err() == nil {
			r.logger.Warn("status report failed", "error", err)
		}
	})
}

// Stop stops reporting.
func (r *Reporter) Stop() { r.loop.stop() }

// Sampler records, once a minute while this node leads the scheduler, each
// component's state for the uptime bars.
type Sampler struct {
	checker *Checker
	store   store.Store
	leading func() bool
	logger  *slog.Logger
	loop    loop
}

// NewSampler returns a stopped sampler.
func NewSampler(s store.Store, leading func() bool, logger *slog.Logger) *Sampler {
	return &Sampler{checker: NewChecker(s), store: s, leading: leading, logger: logger.With("service", "status")}
}

// Start begins sampling.
func (s *Sampler) Start(ctx context.Context) {
	s.loop.start(ctx, time.Minute, func(ctx context.Context) {
		if s.leading() {
			s.Sample(ctx, time.Time{})
		}
	})
}

// Stop stops sampling.
func (s *Sampler) Stop() { s.loop.stop() }

// Sample records one check of every component at now (database clock when
// zero). The leader records them, so each minute is counted once.
func (s *Sampler) Sample(ctx context.Context, now time.Time) {
	comps := s.checker.Live(ctx, now)
	if now.IsZero() {
		now = time.Now()
		if db, err := s.store.Now(ctx); err == nil {
			now = db
		}
	}
	day := now.UTC().Format("2006-01-02")
	for _, c := range comps {
		if err := s.store.StatusSampleAdd(ctx, day, c.Name, c.Status); err != nil && ctx.Err() == nil {
			s.logger.Warn("status sample failed", "error", err)
			return
		}
	}
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
		c.Days, c.Uptime = bars(now, func(day string) (int, int, int) {
			if d := byJob[pj.JobID][day]; d != nil {
				return d.Success + d.Failed, 0, d.Failed
			}
			return 0, 0, 0
		})
		out.Components = append(out.Components, c)
	}
	out.Status = Overall(out.Components)
	return out, nil
}
