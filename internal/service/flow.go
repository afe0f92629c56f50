package service

import (
	"context"
	"fmt"
	"time"

	"github.com/prikke/prikke"
)

// FlowKeyInput is a flow key's limits as the API and the dashboard give
// them. Every field is optional: absent means unlimited (Burst: 1). A PUT
// replaces the limits as a whole.
type FlowKeyInput struct {
	Rate        *int
	Period      *string // Go-style duration, 1s to 1h; "1s" when Rate is set and Period is not
	Burst       *int
	Parallelism *int
}

// flowKeyOf validates in into a key's limits; fields are named as the API
// names them (rate, period, burst, parallelism), key as "key".
func flowKeyOf(projectID prikke.ID, key string, in *FlowKeyInput) (*prikke.FlowKey, error) {
	var v prikke.Validation
	if msg := prikke.ValidFlowKey(key); msg != "" {
		v.Add("key", "The flow key %s.", msg)
	}
	k := &prikke.FlowKey{ProjectID: projectID, Key: key, Period: time.Second, Burst: 1, Configured: true}
	if in.Rate != nil {
		if *in.Rate < 1 || *in.Rate > prikke.FlowRateMax {
			v.Add("rate", "Give how many requests may start per period, from 1 to %d (leave it out for no rate limit).", prikke.FlowRateMax)
		} else {
			k.Rate = *in.Rate
		}
	}
	if in.Period != nil {
		if d, ok := parseDuration(&v, "period", *in.Period); ok {
			if d < prikke.FlowPeriodMin || d > prikke.FlowPeriodMax {
				v.Add("period", "The period must be from 1s to 1h, such as \"1s\", \"1m\" or \"1h\".")
			} else {
				k.Period = d
			}
		}
		if in.Rate == nil && !v.Has("period") {
			v.Add("period", "A period needs a rate: give \"rate\" (requests per period) too, or leave both out.")
		}
	}
	if in.Burst != nil {
		if *in.Burst < 1 || *in.Burst > prikke.FlowBurstMax {
			v.Add("burst", "The burst must be from 1 to %d (1: evenly spaced starts).", prikke.FlowBurstMax)
		} else {
			k.Burst = *in.Burst
		}
		if in.Rate == nil && *in.Burst != 1 && !v.Has("burst") {
			v.Add("burst", "A burst needs a rate: give \"rate\" too, or leave the burst out.")
		}
	}
	if in.Parallelism != nil {
		if *in.Parallelism < 1 || *in.Parallelism > prikke.FlowParallelMax {
			v.Add("parallelism", "Give the most requests in flight at once, from 1 to %d (leave it out for no limit).", prikke.FlowParallelMax)
		} else {
			k.Parallelism = *in.Parallelism
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return k, nil
}

// PutFlowKey sets a project's limits on one flow key, creating the key;
// the limits apply at once to every execution of the key still waiting.
func (s *Service) PutFlowKey(ctx context.Context, a *Actor, projectID prikke.ID, key string, in *FlowKeyInput) (*prikke.FlowKey, bool, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermManageJobs, "set flow control")
	if err != nil {
		return nil, false, err
	}
	k, err := flowKeyOf(p.ID, key, in)
	if err != nil {
		return nil, false, err
	}
	now := s.now()
	k.CreatedAt, k.UpdatedAt = now, now
	got, created, err := s.store.FlowKeyPut(ctx, k)
	if err != nil {
		return nil, false, err
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditFlowKeyChange, "flow_key", key, describeFlowKey(got))
	if got, err = s.flowKeyNow(ctx, p.ID, key); err != nil {
		return nil, false, err
	}
	return got, created, nil
}

// describeFlowKey is a key's limits in words, for the audit log.
func describeFlowKey(k *prikke.FlowKey) string {
	out := "no limits"
	if k.Rate > 0 {
		out = fmt.Sprintf("%d per %s, burst %d", k.Rate, FormatDuration(k.Period), k.Burst)
	}
	if k.Parallelism > 0 {
		if k.Rate > 0 {
			out += fmt.Sprintf(", %d in flight", k.Parallelism)
		} else {
			out = fmt.Sprintf("%d in flight", k.Parallelism)
		}
	}
	return out
}

// flowProject loads the project of a flow key operation, which the actor
// may act on with perm (another tenant's project, or another project than
// a project key's, is ENOTFOUND), and checks the key's name (field "key").
func (s *Service) flowProject(ctx context.Context, a *Actor, projectID prikke.ID, key string, perm prikke.Permission, what string) (*prikke.Project, error) {
	p, err := s.project(ctx, a, projectID, perm, what)
	if err != nil {
		return nil, err
	}
	if msg := prikke.ValidFlowKey(key); msg != "" {
		return nil, prikke.InvalidField("key", "The flow key %s.", msg)
	}
	return p, nil
}

// flowKeyMissing says what a missing key means, for an ENOTFOUND of the
// store; other errors pass as they are.
func flowKeyMissing(err error, key string) error {
	if isCode(err, prikke.ENOTFOUND) {
		return prikke.Errorf(prikke.ENOTFOUND, "This project has no flow key %q: its requests are not limited. Set limits on it with PUT (or pause it) to create it.", key)
	}
	return err
}

// FlowKey returns one key of a project with its live figures.
func (s *Service) FlowKey(ctx context.Context, a *Actor, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	p, err := s.flowProject(ctx, a, projectID, key, prikke.PermRead, "see flow control")
	if err != nil {
		return nil, err
	}
	k, err := s.store.FlowKeyGet(ctx, p.ID, key, s.now())
	if err != nil {
		return nil, flowKeyMissing(err, key)
	}
	return k, nil
}

// FlowKeys lists a project's keys (those with limits, a pause or a hold)
// with their live figures, by key.
func (s *Service) FlowKeys(ctx context.Context, a *Actor, projectID prikke.ID) ([]*prikke.FlowKey, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermRead, "see flow control")
	if err != nil {
		return nil, err
	}
	return s.store.FlowKeyList(ctx, p.ID, s.now())
}

// DeleteFlowKey removes a key's limits, pause and hold: its executions are
// unlimited again, and those waiting start at once.
func (s *Service) DeleteFlowKey(ctx context.Context, a *Actor, projectID prikke.ID, key string) error {
	p, err := s.flowProject(ctx, a, projectID, key, prikke.PermManageJobs, "remove flow control")
	if err != nil {
		return err
	}
	if err := s.store.FlowKeyDelete(ctx, p.ID, key); err != nil {
		return flowKeyMissing(err, key)
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditFlowKeyChange, "flow_key", key, "removed")
	return nil
}

// PauseFlowKey stops starting the key's executions (they wait, in order)
// until it is resumed; a key without limits can be paused too (it gets a
// row, without limits).
func (s *Service) PauseFlowKey(ctx context.Context, a *Actor, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	return s.setFlowKeyPaused(ctx, a, projectID, key, true)
}

// ResumeFlowKey starts the key's waiting executions again, oldest first,
// within its limits. A key without a row is ENOTFOUND: there is nothing
// to resume (and resuming must not create a row).
func (s *Service) ResumeFlowKey(ctx context.Context, a *Actor, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	return s.setFlowKeyPaused(ctx, a, projectID, key, false)
}

func (s *Service) setFlowKeyPaused(ctx context.Context, a *Actor, projectID prikke.ID, key string, paused bool) (*prikke.FlowKey, error) {
	p, err := s.flowProject(ctx, a, projectID, key, prikke.PermManageJobs, "pause flow keys")
	if err != nil {
		return nil, err
	}
	_, err = s.store.FlowKeyGet(ctx, p.ID, key, s.now())
	switch {
	case !paused && err != nil:
		return nil, flowKeyMissing(err, key)
	case paused && isCode(err, prikke.ENOTFOUND):
		// Pausing a key without a row creates one: it counts against
		// the project's keys as a PUT does (the SQLite store does not
		// count it itself).
		if err := s.flowKeyRoom(ctx, p.ID); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	if _, err := s.store.FlowKeySetPaused(ctx, p.ID, key, paused); err != nil {
		return nil, flowKeyMissing(err, key)
	}
	detail := "resumed"
	if paused {
		detail = "paused"
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditFlowKeyChange, "flow_key", key, detail)
	return s.flowKeyNow(ctx, p.ID, key)
}

// flowKeyRoom is ECONFLICT when the project has prikke.FlowKeysPerProject
// configured keys already (keys made by an endpoint's hold do not count).
func (s *Service) flowKeyRoom(ctx context.Context, projectID prikke.ID) error {
	keys, err := s.store.FlowKeyList(ctx, projectID, s.now())
	if err != nil {
		return err
	}
	n := 0
	for _, k := range keys {
		if k.Configured {
			n++
		}
	}
	if n >= prikke.FlowKeysPerProject {
		return prikke.Errorf(prikke.ECONFLICT, "A project can have at most %d flow keys; remove one first.", prikke.FlowKeysPerProject)
	}
	return nil
}

// ReleaseFlowKey ends an endpoint's hold on a key at once.
func (s *Service) ReleaseFlowKey(ctx context.Context, a *Actor, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	p, err := s.flowProject(ctx, a, projectID, key, prikke.PermManageJobs, "release flow keys")
	if err != nil {
		return nil, err
	}
	if _, err := s.store.FlowKeyRelease(ctx, p.ID, key); err != nil {
		return nil, flowKeyMissing(err, key)
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditFlowKeyChange, "flow_key", key, "hold released")
	return s.flowKeyNow(ctx, p.ID, key)
}

// flowKeyNow reads a key back with its live figures at the service's
// clock, after a change.
func (s *Service) flowKeyNow(ctx context.Context, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	k, err := s.store.FlowKeyGet(ctx, projectID, key, s.now())
	if err != nil {
		return nil, flowKeyMissing(err, key)
	}
	return k, nil
}
