// The dispatcher: claims due executions in batches while there is room,
// sizes each claim (room, minimum claim, short claims), and sleeps until
// the next due instant less the lookahead, a work event or freed room.

package worker

import (
	"context"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// shortClaim is a claim that came back short while organizations without
// room were left out: everything else due within the lookahead was theirs.
// Another claim leaving out the same organizations (or more) would only walk
// their rows again — in the database, past every one of them — so it waits
// for a work event (new rows, perhaps another organization's) or for the
// short claim to age. It ages in the lookahead or shortClaimFor, whichever
// is shorter: what falls due meanwhile was within the short claim's
// horizon, so nothing waits for it longer than it would have.
type shortClaim struct {
	excluded map[prikke.ID]bool
	events   uint64 // work events seen when it was made
	at       time.Time
}

// shortClaimFor is how long a short claim stands in for later ones at most.
const shortClaimFor = 250 * time.Millisecond

// covers reports whether a claim leaving out excluded would find nothing
// that the short claim did not.
func (sc *shortClaim) covers(excluded map[prikke.ID]bool, events uint64, now time.Time, ttl time.Duration) bool {
	if sc == nil || sc.events != events || now.Sub(sc.at) >= ttl {
		return false
	}
	for org := range sc.excluded {
		if !excluded[org] {
			return false
		}
	}
	return true
}

// dispatch claims work while there is room, and sleeps until the next
// due instant less the lookahead, a work event, freed room, or the
// fallback poll.
func (w *Worker) dispatch(ctx context.Context) {
	sub := w.store.Subscribe(store.TopicWork)
	defer sub.Close()
	w.syncClock(ctx)
	lastSync := w.NowFunc()
	var nextDue time.Time // local time of the earliest known due execution
	missed := 0           // rounds in a row that found something due and claimed nothing
	for ctx.Err() == nil {
		if !w.alive() {
			// No heartbeat yet (or none lately): claim nothing another
			// node could judge dead.
			sleep(ctx, 50*time.Millisecond)
			continue
		}
		if w.NowFunc().Sub(lastSync) > 30*time.Second {
			w.syncClock(ctx)
			lastSync = w.NowFunc()
		}
		claimed, full, capped, err := w.claim(ctx)
		if err != nil && ctx.Err() == nil {
			w.logger.Warn("claim failed; retrying", "error", err)
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		if claimed > 0 {
			missed = 0
		}
		if full && w.room() >= w.minClaim() {
			continue // more is due; claim again at once
		}
		var wait time.Duration
		switch {
		case full || (claimed > 0 && w.room() < w.minClaim()):
			wait = w.cfg.PollEvery // woken as deliveries finish and free room
		default:
			due, ok, err := w.store.ExecutionNextDue(ctx)
			switch {
			case err != nil:
				wait = time.Second
			case !ok:
				wait = w.cfg.PollEvery
				nextDue = time.Time{}
			default:
				nextDue = due.Add(-w.clockOffset())
				wait = nextDue.Sub(w.NowFunc()) - w.cfg.Lookahead
				if wait > 0 {
					missed = 0
				} else {
					switch {
					case w.room() == 0:
						wait = w.cfg.PollEvery
					case nextDue.After(w.NowFunc()) && w.aheadFull():
						// Not claimed ahead for want of room to start it on
						// time: claimed when due, by whichever node has room
						// (or sooner here, when room frees).
						wait = nextDue.Sub(w.NowFunc())
					case capped:
						// Likely an organization without room: woken when
						// it has some again, and look again soon regardless.
						wait = 250 * time.Millisecond
					default:
						// Due by our estimate but not by the database's: the
						// clocks disagree by a hair; resync and look again
						// soon. Or the claim keeps it back while the next due
						// instant counts it (a flow key's row locked by another
						// node's claim, or a key made on another node whose
						// creation event has not arrived yet): each look in a row
						// waits twice as long, up to 100ms, rather than spin.
						if missed%8 == 0 {
							w.syncClock(ctx)
						}
						wait = min(time.Millisecond<<min(missed, 7), 100*time.Millisecond)
						missed++
					}
				}
			}
			wait = min(wait, w.cfg.PollEvery)
		}
		if !w.sleepUntilWoken(ctx, sub, wait, &nextDue) {
			return
		}
	}
}

// sleepUntilWoken waits for the timer, a work event announcing something
// due sooner, or freed room. It returns false when ctx ends. An event only
// ever brings the wake-up forward, and never past the fallback poll; one
// for something already within the lookahead waits a moment (at most
// 100ms, and never past its due instant) so that rows inserted one by one
// join one claim.
func (w *Worker) sleepUntilWoken(ctx context.Context, sub *store.Subscription, wait time.Duration, nextDue *time.Time) bool {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	wakeAt := w.NowFunc().Add(wait)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-w.wake:
			return true
		case ev := <-sub.C:
			w.events++
			due, err := time.Parse(time.RFC3339Nano, ev.Payload)
			if err != nil {
				return true // unknown or empty: look at the database
			}
			local := due.Add(-w.clockOffset())
			if !nextDue.IsZero() && !local.Before(*nextDue) {
				continue // nothing sooner than what we wait for
			}
			*nextDue = local
			now := w.NowFunc()
			until := local.Sub(now)
			if until <= 0 {
				return true
			}
			d := until - w.cfg.Lookahead
			if d <= 0 {
				d = min(max(until-10*time.Millisecond, 0), 100*time.Millisecond)
			}
			if at := now.Add(d); at.Before(wakeAt) {
				wakeAt = at
				timer.Reset(d)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// holdMax is how many executions a node holds at most: one delivery per
// worker, plus a few batches claimed ahead or waiting for a worker, so the
// next claim can be large and run while earlier ones are delivered.
// (Claims cost about the same whatever their size, so many small ones
// would waste the database.)
//
// A node with live peers holds no more than it can start: what it cannot
// start at once is left in the queue for whichever node frees a worker
// first (a burst taken over from a dead node, or claimed when due,
// spreads over the cluster instead of waiting behind one node's workers).
func (w *Worker) holdMax() int {
	if w.peers.Load() > 0 {
		return w.cfg.MaxWorkers
	}
	return w.cfg.MaxWorkers + 4*w.cfg.Batch
}

// orgHoldMax is how many executions of one organization a node holds at
// most: its in-flight cap and four batches, so a burst of a few thousand
// due at one instant is claimed before it. (An organization that cannot
// start what it holds stops claiming much earlier: see orgRoomLocked.)
// With live peers it is the in-flight cap alone, so the cap is per node and
// not, in effect, the organization's cap for the whole cluster.
func (w *Worker) orgHoldMax() int {
	if w.peers.Load() > 0 {
		return w.cfg.OrgInFlight
	}
	return w.cfg.OrgInFlight + 4*w.cfg.Batch
}

// aheadFull reports whether some organization (or the node) has no room
// to claim ahead: what is left within the lookahead waits for its instant.
func (w *Worker) aheadFull() bool {
	if w.peers.Load() == 0 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held >= w.cfg.MaxWorkers {
		return true
	}
	for _, st := range w.orgs {
		if st.held >= w.cfg.OrgInFlight {
			return true
		}
	}
	return false
}

// wakeDispatcher wakes the dispatcher if it sleeps.
func (w *Worker) wakeDispatcher() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// minClaim is the smallest claim worth making while executions are held:
// below it the dispatcher waits for more room to free.
// With live peers, holding only what it can start, a node claims as an
// eighth of its workers free up.
func (w *Worker) minClaim() int {
	if w.peers.Load() > 0 {
		return max(1, min(w.cfg.Batch/4, w.cfg.MaxWorkers/8))
	}
	return max(1, w.cfg.Batch/4)
}

// room is how many more executions this node may take on.
func (w *Worker) room() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.holdMax() - w.held
}

// claim claims one batch and holds it for delivery. full reports whether
// the claim was capped by the batch size or room (more may be due); capped
// whether some organization had no room left.
func (w *Worker) claim(ctx context.Context) (got int, full, capped bool, err error) {
	w.mu.Lock()
	room := w.holdMax() - w.held
	busy := w.held > 0
	orgRoom := make(map[prikke.ID]int, len(w.orgs))
	excluded := map[prikke.ID]bool{}
	for org, st := range w.orgs {
		orgRoom[org] = w.orgRoomLocked(st)
		if orgRoom[org] == 0 {
			excluded[org] = true
		}
	}
	capped = len(excluded) > 0
	w.mu.Unlock()
	if room <= 0 || (busy && room < w.minClaim()) {
		return 0, true, capped, nil
	}
	if w.short.covers(excluded, w.events, w.NowFunc(), min(shortClaimFor, w.cfg.Lookahead)) {
		return 0, false, capped, nil
	}
	limit := min(room, w.cfg.Batch)
	gen := w.generation()
	start := w.NowFunc()
	res, err := w.store.ExecutionClaim(ctx, &store.ClaimParams{
		Node: w.cfg.Node, Limit: limit, OrgRoom: orgRoom, DefaultOrgRoom: w.orgHoldMax(),
		LeaseGrace: w.cfg.LeaseGrace, Lookahead: w.cfg.Lookahead,
	})
	if err != nil {
		return 0, false, capped, err
	}
	got = len(res.Claimed)
	if got > 0 {
		w.logger.Debug("claimed", "executions", got, "settled", res.Settled, "limit", limit,
			"duration_ms", w.NowFunc().Sub(start).Milliseconds())
	}
	if res.Settled > 0 {
		w.metrics.Settled.Add(float64(res.Settled))
	}
	for _, q := range res.QuotaCrossings {
		w.queueQuota(q) // never blocks: a slow hook must not hold up claiming
	}
	w.metrics.ClaimBatch.Observe(float64(got))
	if capped && got+res.Settled < limit {
		w.short = &shortClaim{excluded: excluded, events: w.events, at: w.NowFunc()}
	}
	if got > 0 && (w.generation() != gen || !w.alive()) {
		// Claimed across a heartbeat gap: other nodes may take these over.
		w.mu.Lock()
		for _, c := range res.Claimed {
			st := w.orgs[c.Execution.OrganizationID]
			if st == nil {
				st = &orgState{}
				w.orgs[c.Execution.OrganizationID] = st
			}
			st.held++
			w.held++
		}
		w.mu.Unlock()
		w.releaseMany(res.Claimed)
		return 0, false, capped, nil
	}
	if got > 0 {
		w.hold(res.Claimed)
	}
	return got, got+res.Settled >= limit, capped, nil
}
