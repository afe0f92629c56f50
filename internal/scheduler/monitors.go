package scheduler

import (
	"context"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/store"
)

// Monitor deadlines. Every monitor stores its next deadline (DeadlineAt:
// due plus grace, an open run's start plus its max run time, a re-alert,
// the end of a mute). The leader sleeps until the soonest one by the
// database clock and steps every monitor due then through the state
// machine (monitor.OnDeadline), so a missing ping is acted on at its
// deadline, not at the next sweep. The store locks each monitor it steps
// and skips rows another node holds, so two leaders (a term that overlaps
// during a failover) still write each flip once.
//
// After an outage of the whole of Prikke, the deadlines that passed while
// nobody watched are stepped at once when a node takes over, and their
// flips say that Prikke itself was down (monitor.Outage), because the ping
// may have been sent while nothing was listening.

const (
	// monitorBatch is how many monitors one MonitorExpireDue call steps.
	monitorBatch = 500
	// monitorMaxSleep caps the loop's sleep, so a lost wake-up (a
	// deadline moved earlier on another node, a missed notification)
	// costs at most this much lateness.
	monitorMaxSleep = 2 * time.Second
	// monitorHeldRetry is how soon the loop looks again at a deadline
	// that had passed but that it could not step (held by another
	// transaction).
	monitorHeldRetry = 50 * time.Millisecond
	// monitorFollowerPoll is how often a node that does not lead looks
	// whether it leads now (in memory; no database round trip).
	monitorFollowerPoll = 200 * time.Millisecond
)

// watch is what this node knew when its deadline loop began.
type watch struct {
	started   time.Time // database clock
	startBeat time.Time // the "scheduler" heartbeat then; zero when none
	led       bool      // this node has led since
}

// monitorLoop steps monitors at their deadlines while this node leads.
func (s *Scheduler) monitorLoop(ctx context.Context) {
	sub := s.store.Subscribe(store.TopicMonitors)
	defer sub.Close()
	var w *watch
	var outage monitor.Outage
	leading := false
	for ctx.Err() == nil {
		wait := monitorFollowerPoll
		if w == nil {
			var err error
			if w, err = s.startWatch(ctx); err != nil {
				w, wait = nil, time.Second
			}
		} else if s.elector.Leading() {
			if !leading {
				leading = true
				outage = s.monitorOutage(ctx, w)
				if !outage.From.IsZero() {
					s.logger.Warn("nobody watched monitor deadlines; their alerts will say so",
						"from", outage.From, "to", outage.To)
				}
			}
			var err error
			if _, wait, err = s.ExpireMonitors(ctx, outage); err != nil {
				if ctx.Err() == nil {
					s.logger.Warn("monitor deadlines failed; retrying", "error", err)
				}
				wait = time.Second
			}
		} else {
			leading = false
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-sub.C:
		}
		timer.Stop()
	}
}

// startWatch reads the database clock and the last scheduler heartbeat
// before this node beats its own.
func (s *Scheduler) startWatch(ctx context.Context) (*watch, error) {
	now, err := s.store.Now(ctx)
	if err != nil {
		return nil, err
	}
	w := &watch{started: now}
	beat, _, err := s.store.HeartbeatGet(ctx, "scheduler")
	switch {
	case err == nil:
		w.startBeat = beat
	case prikke.ErrorCode(err) != prikke.ENOTFOUND:
		return nil, err
	}
	return w, nil
}

// monitorOutage is the span nobody watched, as this node takes the lead
// for the first time: from the last leader's last heartbeat to now, when
// that beat was older than three beats when this node started. A node
// that was running before the last beat (a failover: this node kept
// answering pings) flags nothing; the deadlines of the takeover are only
// late. Later takeovers by this node are failovers too.
func (s *Scheduler) monitorOutage(ctx context.Context, w *watch) monitor.Outage {
	if w.led {
		return monitor.Outage{}
	}
	w.led = true
	beat, node, err := s.store.HeartbeatGet(ctx, "scheduler")
	if err != nil || node == s.cfg.Node {
		// None, or this node's own first beat: the one read at start is
		// the previous leader's.
		beat = w.startBeat
	}
	if beat.IsZero() || w.started.Sub(beat) <= 3*s.cfg.RescueEvery {
		return monitor.Outage{}
	}
	now, err := s.store.Now(ctx)
	if err != nil {
		now = w.started
	}
	return monitor.Outage{From: beat, To: now}
}

// ExpireMonitors steps every monitor whose deadline passed by the
// database clock (flips of deadlines inside o say that Prikke was down),
// and returns how many it stepped and how long until the next deadline
// (at most a couple of seconds). The loop calls it while leading; it acts
// whether or not this node leads.
func (s *Scheduler) ExpireMonitors(ctx context.Context, o monitor.Outage) (int, time.Duration, error) {
	step := func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip { return monitor.OnDeadline(m, now, o) }
	total := 0
	var round time.Time // the database clock the last round stepped at
	for {
		var err error
		if round, err = s.store.Now(ctx); err != nil {
			return total, 0, err
		}
		n, err := s.store.MonitorExpireDue(ctx, round, monitorBatch, step)
		total += n
		if err != nil {
			return total, 0, err
		}
		if n < monitorBatch {
			break
		}
	}
	if total > 0 {
		s.logger.Debug("monitor deadlines stepped", "monitors", total)
	}
	next, ok, err := s.store.MonitorNextDeadline(ctx)
	if err != nil || !ok {
		return total, monitorMaxSleep, err
	}
	if !next.After(round) {
		// Due when the round ran, yet not stepped: another transaction
		// holds the monitor.
		return total, monitorHeldRetry, nil
	}
	now, err := s.store.Now(ctx)
	if err != nil {
		return total, 0, err
	}
	return total, monitorWait(next.Sub(now)), nil
}

// monitorWait is how long to sleep when the soonest deadline is in d: a
// millisecond past it, so the wake-up finds it due (at once when it
// passed while the round ran).
func monitorWait(d time.Duration) time.Duration {
	return min(max(d+time.Millisecond, time.Millisecond), monitorMaxSleep)
}

// pruneMonitorHistory deletes pings and processed monitor flips past
// their tier's history window (keeping each monitor's newest 100), a few
// batches of each per maintenance round.
func (s *Scheduler) pruneMonitorHistory(ctx context.Context) {
	dbNow, err := s.store.Now(ctx)
	if err != nil {
		return
	}
	for what, prune := range map[string]func(context.Context, time.Time, int) (int, error){
		"pings": s.store.PingPrune, "monitor flips": s.store.MonitorFlipPrune,
	} {
		for range 20 {
			n, err := prune(ctx, dbNow, s.cfg.PruneBatch)
			if err != nil {
				if ctx.Err() == nil {
					s.logger.Warn("monitor history prune failed", "what", what, "error", err)
				}
				break
			}
			if n < s.cfg.PruneBatch {
				break
			}
		}
	}
}
