package ping

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
)

// RecorderConfig tunes the group commit. Zero fields take the defaults.
type RecorderConfig struct {
	// MaxBatch is the most pings one transaction writes. Default 256.
	MaxBatch int
	// MaxWait is how long a writer waits for more pings after the first of
	// a batch when no more are queued. Default 2 ms.
	MaxWait time.Duration
	// Writers is how many batches are written at once. Each monitor's
	// pings all go through one writer, in the order they came, so two
	// concurrent transactions never touch the same monitor. Default 1.
	Writers int
	// Timeout bounds one batch's write. Default 10 s.
	Timeout time.Duration
}

// Defaults of RecorderConfig.
const (
	DefaultMaxBatch = 256
	DefaultMaxWait  = 2 * time.Millisecond
	DefaultWriters  = 1
	DefaultTimeout  = 10 * time.Second
)

// Errors Record returns besides the store's.
var (
	// ErrDropped: the ping's monitor no longer exists.
	ErrDropped = errors.New("ping: the monitor no longer exists")
	// ErrStopped: the recorder is stopping and takes no more pings.
	ErrStopped = errors.New("ping: the recorder is stopped")
)

// A Recorder writes the pings of concurrent requests in batches, one
// transaction per batch (store.PingsRecord with the state machine's
// step), and tells each caller when its ping's batch is stored. A writer
// takes what is queued as soon as it is free, waiting up to MaxWait for
// more when the queue is empty, so under load batches grow to MaxBatch
// and alone a ping waits at most MaxWait. Stop takes no new pings and
// writes what is queued before it returns.
type Recorder struct {
	st     store.MonitorStore
	step   store.PingStep
	cfg    RecorderConfig
	logger *slog.Logger
	loop   startstop.Loop

	mu      sync.RWMutex // held for reading while queueing, for writing to close
	stopped bool
	queues  []chan *pending
}

// pending is one ping waiting for its batch.
type pending struct {
	ping *prikke.Ping
	done chan error // buffered: the writer never waits for the caller
}

// NewRecorder returns a recorder that moves monitors with step
// (monitor.OnPing).
func NewRecorder(st store.MonitorStore, step store.PingStep, cfg RecorderConfig, logger *slog.Logger) *Recorder {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Writers <= 0 {
		cfg.Writers = DefaultWriters
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{st: st, step: step, cfg: cfg, logger: logger, queues: make([]chan *pending, cfg.Writers)}
	for i := range r.queues {
		r.queues[i] = make(chan *pending, 2*cfg.MaxBatch)
	}
	return r
}

// Start runs the writers.
func (r *Recorder) Start(ctx context.Context) {
	fns := make([]func(context.Context), len(r.queues))
	for i, q := range r.queues {
		fns[i] = func(ctx context.Context) { r.write(ctx, q) }
	}
	r.loop.Start(ctx, fns...)
}

// Stop takes no more pings, writes those queued, and returns when they
// are written (or failed). Safe to call twice.
func (r *Recorder) Stop() {
	r.mu.Lock()
	if !r.stopped {
		r.stopped = true
		for _, q := range r.queues {
			close(q)
		}
	}
	r.mu.Unlock()
	r.loop.Stop()
}

// Record queues p and waits until its batch is written. It returns nil
// when p is stored, ErrDropped when its monitor no longer exists,
// ErrStopped after Stop, the store's error when the batch failed, or
// ctx's error when the caller stopped waiting (p may still be stored).
func (r *Recorder) Record(ctx context.Context, p *prikke.Ping) error {
	pd := &pending{ping: p, done: make(chan error, 1)}
	if err := r.enqueue(ctx, pd); err != nil {
		return err
	}
	select {
	case err := <-pd.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Recorder) enqueue(ctx context.Context, pd *pending) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.stopped {
		return ErrStopped
	}
	q := r.queues[binary.LittleEndian.Uint64(pd.ping.MonitorID[8:])%uint64(len(r.queues))]
	select {
	case q <- pd:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write is one writer: it collects a batch from q and writes it, until q
// is closed and empty.
func (r *Recorder) write(ctx context.Context, q chan *pending) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	batch := make([]*pending, 0, r.cfg.MaxBatch)
	for {
		first, ok := <-q
		if !ok {
			return
		}
		batch = r.collect(q, append(batch[:0], first), timer)
		// The queued pings are written even when Stop has begun: the
		// context only bounds the write.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
		r.commit(wctx, batch)
		cancel()
		clear(batch)
	}
}

// collect adds to batch what is queued, waiting up to MaxWait for more
// when the queue runs dry, until batch is full.
func (r *Recorder) collect(q chan *pending, batch []*pending, timer *time.Timer) []*pending {
	waiting := false
	defer func() {
		if waiting {
			timer.Stop()
		}
	}()
	for len(batch) < r.cfg.MaxBatch {
		select {
		case pd, ok := <-q:
			if !ok {
				return batch
			}
			batch = append(batch, pd)
			continue
		default:
		}
		if !waiting {
			timer.Reset(r.cfg.MaxWait)
			waiting = true
		}
		select {
		case pd, ok := <-q:
			if !ok {
				return batch
			}
			batch = append(batch, pd)
		case <-timer.C:
			waiting = false
			return batch
		}
	}
	return batch
}

// commit writes batch and answers its callers. When a batch of several
// fails for a reason other than the store being unavailable, each ping is
// tried alone, so one ping the store refuses does not fail the others.
func (r *Recorder) commit(ctx context.Context, batch []*pending) {
	err := r.record(ctx, batch)
	if err == nil {
		return
	}
	if len(batch) > 1 && prikke.ErrorCode(err) != prikke.EUNAVAILABLE && ctx.Err() == nil {
		r.logger.Warn("ping batch failed; writing its pings one by one", "pings", len(batch), "error", err)
		for _, pd := range batch {
			if err := r.record(ctx, []*pending{pd}); err != nil {
				r.logger.Error("ping not recorded", "monitor_id", pd.ping.MonitorID, "error", err)
				pd.done <- err
			}
		}
		return
	}
	r.logger.Error("ping batch not recorded", "pings", len(batch), "error", err)
	for _, pd := range batch {
		pd.done <- err
	}
}

// record writes batch in one transaction and, on success, answers every
// caller (ErrDropped for the pings whose monitor is gone).
func (r *Recorder) record(ctx context.Context, batch []*pending) error {
	pings := make([]*prikke.Ping, len(batch))
	for i, pd := range batch {
		pings[i] = pd.ping
	}
	start := time.Now()
	dropped, err := r.st.PingsRecord(ctx, pings, r.step)
	r.logger.Debug("pings recorded", "pings", len(pings), "duration_ms", float64(time.Since(start).Microseconds())/1000, "error", err)
	if err != nil {
		return err
	}
	gone := make(map[prikke.ID]bool, len(dropped))
	for _, id := range dropped {
		gone[id] = true
	}
	for _, pd := range batch {
		if gone[pd.ping.ID] {
			pd.done <- ErrDropped
		} else {
			pd.done <- nil
		}
	}
	return nil
}
