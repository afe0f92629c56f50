package service

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/store"
)

// QueueInput is a one-off request to deliver now or later.
type QueueInput struct {
	ProjectID     *prikke.ID
	URL           string
	Method        *string
	Headers       []prikke.Header
	ContentType   *string // the Content-Type to deliver; the header's, or application/json for a JSON body, when absent
	Body          string
	TimeoutMS     *int
	RetryAttempts *int
	// DelaySeconds or NotBefore (RFC 3339) delays delivery; neither means now.
	DelaySeconds *int
	NotBefore    *string
	// FlowKey is the request's flow key (the Prikke-Flow-Control-Key
	// header); "" means the URL's host:port.
	FlowKey string
}

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 200

// Enqueue accepts a request for immediate or delayed delivery. It is
// retried like a one-time job and shows in history. With an idempotency
// key, a retried enqueue returns the first one's job and its latest
// attempt as stored (response included) instead of delivering twice;
// created says which happened. Concurrent enqueues share a transaction
// (queue_commit.go).
func (s *Service) Enqueue(ctx context.Context, a *Actor, in *QueueInput, idempotencyKey string) (job *prikke.Job, exec *prikke.Execution, created bool, err error) {
	p, o, err := s.enqueueTarget(ctx, a, in.ProjectID)
	if err != nil {
		return nil, nil, false, err
	}
	j, e, err := s.prepareEnqueue(p, o, in, idempotencyKey, s.now())
	if err != nil {
		return nil, nil, false, err
	}
	got, created, err := s.enqueueOne(ctx, j, e)
	if err != nil {
		return nil, nil, false, err
	}
	if !created {
		latest, err := s.latestAttempt(ctx, got.ID)
		if err != nil {
			return nil, nil, false, err
		}
		if latest != nil {
			e = latest
		}
	}
	return got, e, created, nil
}

// latestAttempt is a job's latest execution as stored, response body
// included: what an enqueue whose idempotency key was taken answers.
func (s *Service) latestAttempt(ctx context.Context, jobID prikke.ID) (*prikke.Execution, error) {
	es, err := s.store.ExecutionList(ctx, storeFilterJob(jobID, 1))
	if err != nil || len(es) == 0 {
		return nil, err
	}
	// The list leaves out response bodies; the replay answers with the
	// stored execution in full.
	return s.store.ExecutionGet(ctx, es[0].ID)
}

// MaxEnqueueBatch bounds the requests of one EnqueueBatch.
const MaxEnqueueBatch = 1000

// EnqueueRequest is one request of EnqueueBatch.
type EnqueueRequest struct {
	QueueInput
	IdempotencyKey string
}

// EnqueueResult is what EnqueueBatch did with one request: Err, or the
// job and its first attempt (Created), or, for a taken idempotency key,
// the earlier job and its latest attempt (Created false).
type EnqueueResult struct {
	Job       *prikke.Job
	Execution *prikke.Execution
	Created   bool
	Err       error
}

// EnqueueBatch is Enqueue for up to MaxEnqueueBatch requests in one
// transaction, each validated, deduplicated by its idempotency key (within
// the batch too: the first of a key is enqueued, the others answer with
// its job) and answered on its own: a request that fails does not fail the
// others. The error is for the batch as a whole (too many requests).
func (s *Service) EnqueueBatch(ctx context.Context, a *Actor, reqs []EnqueueRequest) ([]EnqueueResult, error) {
	if len(reqs) == 0 || len(reqs) > MaxEnqueueBatch {
		return nil, prikke.InvalidField("requests", "must hold 1 to %d requests", MaxEnqueueBatch)
	}
	out := make([]EnqueueResult, len(reqs))
	items := make([]*store.EnqueueItem, 0, len(reqs))
	at := make([]int, 0, len(reqs))
	now := s.now()
	type target struct {
		p   *prikke.Project
		o   *prikke.Organization
		err error
	}
	targets := map[prikke.ID]*target{} // by project ID asked for, the zero ID for the default
	for i := range reqs {
		r := &reqs[i]
		var id prikke.ID
		if r.ProjectID != nil {
			id = *r.ProjectID
		}
		t := targets[id]
		if t == nil {
			t = &target{}
			t.p, t.o, t.err = s.enqueueTarget(ctx, a, r.ProjectID)
			if !isCode(t.err, prikke.EUNAVAILABLE) && prikke.ErrorCode(t.err) != prikke.EINTERNAL {
				targets[id] = t
			}
		}
		p, o, err := t.p, t.o, t.err
		if err == nil {
			var j *prikke.Job
			var e *prikke.Execution
			if j, e, err = s.prepareEnqueue(p, o, &r.QueueInput, r.IdempotencyKey, now); err == nil {
				items = append(items, &store.EnqueueItem{Job: j, Execution: e})
				at = append(at, i)
				continue
			}
		}
		out[i].Err = err
	}
	s.store.QueueEnqueueBatch(ctx, items)
	s.announceCreated(ctx, items)
	for k, it := range items {
		res := &out[at[k]]
		switch {
		case it.Err != nil:
			res.Err = it.Err
		case it.Created:
			res.Job, res.Execution, res.Created = it.Stored, it.Execution, true
		default:
			res.Job, res.Execution = it.Stored, it.Execution
			if latest, err := s.latestAttempt(ctx, it.Stored.ID); err != nil {
				res.Job, res.Execution, res.Err = nil, nil, err
			} else if latest != nil {
				res.Execution = latest
			}
		}
	}
	return out, nil
}

// prepareEnqueue validates one request to project p of organization o and
// returns its job and first execution, not stored.
func (s *Service) prepareEnqueue(p *prikke.Project, o *prikke.Organization, in *QueueInput, idempotencyKey string, now time.Time) (*prikke.Job, *prikke.Execution, error) {
	var v prikke.Validation
	if len(idempotencyKey) > MaxIdempotencyKey || !utf8.ValidString(idempotencyKey) ||
		strings.ContainsFunc(idempotencyKey, func(r rune) bool { return !unicode.IsPrint(r) }) {
		v.Add("Idempotency-Key", "must be at most 200 printable characters")
	}
	if msg := prikke.ValidFlowKey(in.FlowKey); in.FlowKey != "" && msg != "" {
		v.Add(prikke.FlowKeyHeader, "%s; leave the header out for the URL's host:port", msg)
	}
	runAt := now
	switch {
	case in.DelaySeconds != nil && in.NotBefore != nil:
		v.Add("delay", "give delay or not_before, not both")
	case in.DelaySeconds != nil:
		if *in.DelaySeconds < 0 || *in.DelaySeconds > int(prikke.MaxRunAhead/time.Second) {
			v.Add("delay", "must be between 0 and 31622400 seconds (a year)")
		} else {
			runAt = now.Add(time.Duration(*in.DelaySeconds) * time.Second)
		}
	case in.NotBefore != nil:
		if at, ok := parseInstant(&v, "not_before", *in.NotBefore); ok {
			prikke.ValidateRunAt(&v, "not_before", at, now)
			runAt = at
		}
	}
	// Kept to the millisecond, the precision Prikke shows instants in
	// (prikke.FormatInstant): the due_at answered, the stored instant and
	// the Prikke-Scheduled-For delivered are then the same.
	runAt = runAt.Truncate(time.Millisecond)
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: p.ID, OrganizationID: o.ID, Kind: prikke.JobKindQueue,
		URL: in.URL, Method: "POST", Headers: in.Headers, Body: in.Body, TimeoutMS: prikke.DefaultTimeoutMS,
		RetryAttempts: prikke.DefaultRetryAttempts, Enabled: true, TimeZone: "UTC", RunAt: &runAt,
		CatchUp: prikke.CatchUpLatest, CatchUpWindow: prikke.DefaultCatchUpWindow, Overlap: prikke.OverlapAllow,
		NotifyMode: prikke.NotifyProject, Health: prikke.JobHealthy, IdempotencyKey: idempotencyKey,
		FlowKey: in.FlowKey, CreatedAt: now, UpdatedAt: now}
	if j.Headers == nil {
		j.Headers = []prikke.Header{}
	}
	if in.Method != nil {
		j.Method = *in.Method
	}
	if in.ContentType != nil {
		j.Headers = contentType(&v, j.Headers, &in.Headers, *in.ContentType)
	}
	if in.TimeoutMS != nil {
		j.TimeoutMS = *in.TimeoutMS
	}
	if in.RetryAttempts != nil {
		j.RetryAttempts = *in.RetryAttempts
	}
	j.Name = defaultName(j)
	if err := j.Validate(); err != nil {
		if prikke.ErrorCode(err) == prikke.ETOOLARGE {
			return nil, nil, err
		}
		for _, f := range prikke.ErrorFields(err) {
			if !v.Has(f.Field) {
				v.Add(f.Field, "%s", f.Message)
			}
		}
	}
	if !v.Has("url") {
		s.checkDestination(&v, "url", j.URL)
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: runAt, DueAt: runAt, Attempt: 1, Status: prikke.ExecutionStatusPending,
		Priority: prikke.Priority(o.Tier, prikke.JobKindQueue, 0), FlowKey: j.Flow(), CreatedAt: now}
	return j, e, nil
}

// TestResult is what a test request got back.
type TestResult struct {
	delivery.Result
}

// TestSend delivers a job's request once, now, outside its schedule and
// history, and returns the response. It counts against the monthly quota
// like every outbound request.
func (s *Service) TestSend(ctx context.Context, a *Actor, projectID *prikke.ID, in *JobInput) (*TestResult, error) {
	p, err := s.targetProject(ctx, a, projectID, "create jobs")
	if err != nil {
		return nil, err
	}
	o, err := s.organization(ctx, p.OrganizationID)
	if err != nil {
		return nil, err
	}
	if in.WorkflowID != nil {
		return nil, prikke.InvalidField("workflow_id", "a test request calls a URL; start a run of the workflow instead (POST /api/v1/workflows/{workflow_id}/runs)")
	}
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: p.ID, OrganizationID: o.ID}
	probe := *in
	if probe.CronExpression == nil && probe.Interval == nil && probe.ScheduledAt == nil {
		h := "hourly"
		probe.Interval = &h // the schedule does not matter for a test
	}
	if probe.Name != nil && strings.TrimSpace(*probe.Name) == "" {
		probe.Name = nil // a test needs no name; a draft may not have one yet
	}
	// A test is not a job: tier interval limits do not apply to it.
	if err := s.apply(j, &probe, prikke.TierPro, true); err != nil {
		return nil, err
	}
	month := prikke.Month(s.now())
	used, err := s.store.UsageAdd(ctx, o.ID, month, 1)
	if err != nil {
		return nil, err
	}
	if limit := o.Tier.Limits().MonthlyRequests; used > limit {
		_, _ = s.store.UsageAdd(ctx, o.ID, month, -1)
		return nil, prikke.Errorf(prikke.ELIMIT, "This organization has used its %d requests for %s (test requests count too); wait for next month or upgrade to Pro.", limit, month)
	}
	now := s.now()
	res := s.client.Do(ctx, delivery.Request{Method: j.Method, URL: j.URL, Headers: j.Headers, Body: []byte(j.Body),
		Timeout: time.Duration(j.TimeoutMS) * time.Millisecond, WebhookID: prikke.WebhookID(j.ID, now),
		Secrets: p.Secrets(now), JobID: j.ID.String(), ScheduledFor: now, Attempt: 1})
	return &TestResult{res}, nil
}
