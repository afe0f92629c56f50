package prikke

import (
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A FlowKey limits how Prikke calls one destination of a project: at most
// Rate starts in any window of Period (plus Burst), at most Parallelism
// requests in flight at once, none while Paused or held. Every execution
// has a flow key (Job.Flow): the destination's host:port unless the job
// names one (or a queued request's Prikke-Flow-Control-Key header does).
// A key without a row here is unlimited and costs nothing: only the
// executions of keys that have a row are claimed through the flow path.
//
// The limits live on the key, not on each execution: changing them applies
// at once to everything still waiting (QStash's per-message configuration
// drifts while old messages drain; ours does not).
//
// Rate is enforced with GCRA (the generic cell rate algorithm): each key
// keeps a theoretical arrival time (TAT), and a claim gives each execution
// a start slot, advancing the TAT by Period/Rate per slot. The worker's
// start timers start the execution at its slot. See Slots.
type FlowKey struct {
	ID        ID
	ProjectID ID
	Key       string

	// Rate is how many starts a Period may hold; 0: no rate limit.
	Rate int
	// Period is 1 s to 1 h (FlowPeriodMin, FlowPeriodMax); 1 s when unset.
	Period time.Duration
	// Burst is how many starts may come back to back after a quiet spell
	// (1: evenly spaced); at least 1.
	Burst int
	// Parallelism is the most requests in flight at once; 0: no limit.
	Parallelism int
	Paused      bool
	// Configured is false for a key whose row exists only because its
	// endpoint asked to be left alone (a 429 or 503 with Retry-After).
	Configured bool

	// TAT is the GCRA theoretical arrival time: the key's next slot is
	// TAT less the burst tolerance. Nil until the first rate-limited start.
	TAT *time.Time
	// HeldUntil: the endpoint answered 429 or 503 with Retry-After; nothing
	// of the key starts before this instant. HoldReason says which answer.
	HeldUntil  *time.Time
	HoldReason string

	CreatedAt time.Time
	UpdatedAt time.Time

	// Live figures, filled by FlowKeyGet and FlowKeyList (never stored).
	Waiting  int        // pending executions of the key (capped at FlowCountCap)
	InFlight int        // claimed and not finished (started, or waiting for their slot)
	NextSlot *time.Time // the next free start slot, when the rate or a hold puts it in the future
}

// Flow control limits.
const (
	FlowPeriodMin      = time.Second
	FlowPeriodMax      = time.Hour
	FlowRateMax        = 100_000
	FlowBurstMax       = 10_000
	FlowParallelMax    = 10_000
	FlowKeyMaxLength   = 260 // a host name (253) and a port
	FlowKeysPerProject = 100
	// FlowHoldKeysPerProject bounds a project's hold-only keys: rows made
	// only because an endpoint answered 429 or 503 with Retry-After
	// (Configured false). A hold that would make one more is refused (an
	// existing key is still held); the scheduler prunes hold-only keys an
	// hour after their hold ended (FlowHoldKeep).
	FlowHoldKeysPerProject = 1000
	// FlowHoldKeep is how long a hold-only key's row outlives its hold
	// before the scheduler prunes it.
	FlowHoldKeep = time.Hour
	// FlowHoldMin and FlowHoldMax clamp an endpoint's Retry-After when it
	// holds a key.
	FlowHoldMin = time.Second
	FlowHoldMax = time.Hour
	// FlowCountCap bounds the Waiting count (it is counted, not stored).
	FlowCountCap = 100_000
	// FlowKeyHeader names a queued request's flow key.
	FlowKeyHeader = "Prikke-Flow-Control-Key"
)

// Interval is the GCRA emission interval: Period / Rate, rounded up to the
// microsecond (what both databases keep of an instant) so that Rate
// intervals never fall short of Period; 0 without a rate.
func (k *FlowKey) Interval() time.Duration {
	if k.Rate <= 0 {
		return 0
	}
	r := time.Duration(k.Rate) * time.Microsecond
	return (k.period() + r - 1) / r * time.Microsecond
}

// Tolerance is how far ahead of the TAT a start may come: (Burst-1) ×
// Interval.
func (k *FlowKey) Tolerance() time.Duration {
	return time.Duration(max(k.Burst, 1)-1) * k.Interval()
}

func (k *FlowKey) period() time.Duration {
	if k.Period <= 0 {
		return FlowPeriodMin
	}
	return k.Period
}

// Limited reports whether the key holds anything back: a rate, a
// parallelism, a pause or a hold (at now).
func (k *FlowKey) Limited(now time.Time) bool {
	return k.Rate > 0 || k.Parallelism > 0 || k.Paused || (k.HeldUntil != nil && k.HeldUntil.After(now))
}

// Held reports whether an endpoint's hold is in force at now.
func (k *FlowKey) Held(now time.Time) bool { return k.HeldUntil != nil && k.HeldUntil.After(now) }

// Slots gives start slots to the key's waiting executions, in FIFO order
// (dues are their due instants, earliest first), at now: each starts at
// the latest of its due instant, now, the key's next free slot (TAT less
// the tolerance) and the end of a hold. It stops at the first slot after
// horizon (the claim's lookahead), after free executions (the room left
// under Parallelism, and in the claim), or when the key is paused. It
// returns the slots and the TAT to store (unchanged without a rate).
//
// The guarantee: in any window of Period, at most Rate + Burst - 1 slots.
func (k *FlowKey) Slots(now, horizon time.Time, dues []time.Time, free int) (slots []time.Time, tat *time.Time) {
	tat = k.TAT
	if k.Paused || free <= 0 {
		return nil, tat
	}
	t, tol := k.Interval(), k.Tolerance()
	var cur time.Time
	if tat != nil {
		cur = *tat
	}
	for _, due := range dues {
		if len(slots) >= free {
			break
		}
		s := maxTime(now, due)
		if k.HeldUntil != nil {
			s = maxTime(s, *k.HeldUntil)
		}
		if t > 0 && !cur.IsZero() {
			s = maxTime(s, cur.Add(-tol))
		}
		if s.After(horizon) {
			break
		}
		slots = append(slots, s)
		if t > 0 {
			cur = maxTime(cur, s).Add(t)
		}
	}
	if t > 0 && len(slots) > 0 {
		c := cur
		tat = &c
	}
	return slots, tat
}

// Retune applies changed limits to the GCRA state at now: without a rate
// the TAT goes; with one it is capped at now + Interval, so a key sped up
// (1 a minute to 100 a second) does not wait out slots given under the
// old rate, while one slowed down keeps its spacing from its last start.
func (k *FlowKey) Retune(now time.Time) {
	t := k.Interval()
	switch {
	case t == 0:
		k.TAT = nil
	case k.TAT != nil && k.TAT.After(now.Add(t)):
		c := now.Add(t)
		k.TAT = &c
	}
}

// ReadyAt is the earliest instant the key may start anything at all
// (ignoring parallelism): the end of a hold, or the next rate slot, or the
// zero time when it could start now. Stores keep it beside the TAT so the
// claim can skip keys with nothing to start.
func (k *FlowKey) ReadyAt() time.Time {
	var r time.Time
	if k.HeldUntil != nil {
		r = *k.HeldUntil
	}
	if k.Interval() > 0 && k.TAT != nil {
		r = maxTime(r, k.TAT.Add(-k.Tolerance()))
	}
	return r
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Flow returns the job's flow key: the one it names, or its destination's
// host:port (the port spelled out: example.com:443).
func (j *Job) Flow() string {
	if j.FlowKey != "" {
		return j.FlowKey
	}
	return DefaultFlowKey(j.URL)
}

// DefaultFlowKey is a URL's host:port, lower case and without a trailing
// dot, with the scheme's port when the URL names none; "" for a URL that
// does not parse.
func DefaultFlowKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	// example.com. and example.com are one destination, so one key.
	host, port := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		default:
			port = "443"
		}
	}
	return net.JoinHostPort(host, port)
}

// ValidFlowKey reports what is wrong with a flow key name, or "" when it
// is fine: 1 to FlowKeyMaxLength printable UTF-8 characters, no spaces,
// no '/', and not "." or ".." (it sits in a URL path).
func ValidFlowKey(key string) string {
	switch {
	case key == "":
		return "must not be empty"
	case len(key) > FlowKeyMaxLength:
		return "must be at most 260 characters"
	case key == "." || key == "..":
		return "must not be \".\" or \"..\" (a host:port, or a name such as billing-api)"
	case !utf8.ValidString(key):
		return "must be printable UTF-8 characters without spaces or '/' (a host:port, or a name such as billing-api)"
	}
	for _, r := range key {
		if r == '/' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "must be printable UTF-8 characters without spaces or '/' (a host:port, or a name such as billing-api)"
		}
	}
	return ""
}

// ClampHold clamps an endpoint's Retry-After to FlowHoldMin…FlowHoldMax.
func ClampHold(d time.Duration) time.Duration {
	return min(max(d, FlowHoldMin), FlowHoldMax)
}
