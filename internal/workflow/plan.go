package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/expect"
	"github.com/prikke/prikke/internal/template"
)

// RunState is a run as a store loaded it, inside the transaction that
// holds the run's row.
type RunState struct {
	Run   *prikke.WorkflowRun // with WorkflowName
	Def   *prikke.WorkflowDefinition
	Steps []*prikke.RunStep // every row of the run
	Tier  prikke.Tier       // the organization's tier now
	Now   time.Time
}

// Plan is what a transition writes, all in the same transaction.
type Plan struct {
	// Delete are step rows to remove (a retry's reset), by key and item.
	Delete []StepRef
	// Steps are rows to insert or replace whole (upsert on run, key, item).
	Steps []*prikke.RunStep
	// Starts are step instances made due: insert Job (a hidden queue job,
	// Job.Step set, request rendered with secrets left as templates) and
	// Execution (its first attempt, pending, due at the step's DueAt). The
	// matching row in Steps is scheduled with JobID = Job.ID.
	Starts []*Start
	// DeletePending are jobs whose pending executions are deleted (a
	// cancel; running ones finish and are recorded).
	DeletePending []prikke.ID
	// Status, when not "", is the run's new status; Error and FinishedAt
	// go with a terminal one.
	Status     prikke.RunStatus
	Error      string
	FinishedAt *time.Time
}

// StepRef names one step row.
type StepRef struct {
	Key  string
	Item int
}

// Start is one step instance to make due.
type Start struct {
	Job       *prikke.Job
	Execution *prikke.Execution
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool {
	return len(p.Delete) == 0 && len(p.Steps) == 0 && len(p.Starts) == 0 && len(p.DeletePending) == 0 && p.Status == ""
}

// StartRun plans a new run: its step rows (all waiting, or as Advance
// moves them) and its first starts. run.Status is running.
func StartRun(st *RunState) *Plan {
	p := newPlanner(st)
	p.advance()
	return p.result()
}

// Advance plans what follows from the run's rows as they are (called
// after a step row was finished, a delay may have ended, or on repair):
//   - A waiting step whose needs have all finished (succeeded, skipped, or
//     failed with on_failure continue) is due at the latest FinishedAt of
//     its needs (a delay's end may be in the future) or now if later. Its
//     `when`, if any, is evaluated: false skips it (Reason says which
//     condition). Otherwise an http step's request is rendered (payload,
//     run, steps' outputs, secrets kept as templates) and started; a
//     missing value fails the step at once with the template's reason and
//     no execution; a delay step becomes succeeded with StartedAt now and
//     FinishedAt (and DueAt) its end; a for_each step reads its array
//     (not an array, or longer than the tier's ForEachItems: failed),
//     writes one item row per element, and starts up to max_concurrency
//     of them (an empty array: succeeded at once).
//   - A for_each step starts further items as earlier ones finish, and
//     finishes when all have: succeeded, or failed (first failed item's
//     reason) if any failed; its outputs json is the array of its items'
//     json, and status the last item's status.
//   - A failed step with on_failure stop fails the run: steps not
//     finished become cancelled ("run failed at step X"), their pending
//     executions are deleted, and the run is failed with Error naming the
//     step and its reason.
//   - When every step has finished, the run succeeds.
//   - A run that is not running plans nothing.
//
// A skipped step's FinishedAt is its due instant, so a wait before it
// still delays its dependents. A delay counts its wait from its due
// instant (now, or the end of a delay before it). When an item of a
// for_each step with on_failure stop fails, its items not yet started are
// cancelled ("an earlier item failed"); with continue every item runs.
func Advance(st *RunState) *Plan {
	p := newPlanner(st)
	p.advance()
	return p.result()
}

// Cancel plans a cancel: every step not finished (and a delay whose end
// is after now) becomes cancelled, the pending executions of scheduled
// steps' jobs are deleted, and the run is cancelled. The steps' Reason
// and the run's Error are reason ("cancelled" when it is "").
func Cancel(st *RunState, reason string) *Plan {
	p := newPlanner(st)
	if st.Run.Status != prikke.RunStatusRunning {
		return p.result()
	}
	if reason == "" {
		reason = "cancelled"
	}
	p.stopAll(reason)
	p.plan.Status, p.plan.Error, p.plan.FinishedAt = prikke.RunStatusCancelled, reason, &p.now
	return p.result()
}

// RetryFrom plans a retry of a failed or cancelled run from step from (""
// = the first failed, else cancelled, step in definition order): that
// step's rows (items included) and those of every step downstream of it
// are deleted, the run is running again (Error cleared), and Advance's
// starts follow. EINVALID when from is not a step of the run's version;
// ECONFLICT when the run is neither failed nor cancelled.
//
// Every other step that failed (with on_failure stop) or was cancelled
// starts over too, with its downstream steps: the run could not succeed
// otherwise. Plan.Status is then running: the store clears the run's
// Error and FinishedAt. A row both deleted and written again is only in
// Steps.
func RetryFrom(st *RunState, from string) (*Plan, error) {
	if st.Run.Status != prikke.RunStatusFailed && st.Run.Status != prikke.RunStatusCancelled {
		return nil, prikke.Errorf(prikke.ECONFLICT, "Only a failed or cancelled run can be retried; this one is %s.", st.Run.Status)
	}
	p := newPlanner(st)
	if from == "" {
		from = p.firstStopped()
		if from == "" {
			return nil, prikke.InvalidField("from", "the run has no failed or cancelled step to retry from; name a step")
		}
	} else if p.step(from) == nil {
		return nil, prikke.InvalidField("from", "there is no step %q in version %d of this workflow", from, st.Run.Version)
	}
	reset := map[string]bool{}
	for _, k := range Downstream(p.def, from) {
		reset[k] = true
	}
	for i := range p.def.Steps {
		s := &p.def.Steps[i]
		r := p.own(s.Key)
		if r != nil && (r.Status == prikke.StepStatusCancelled || r.Status == prikke.StepStatusFailed && s.Failure() == prikke.OnFailureStop) {
			for _, k := range Downstream(p.def, s.Key) {
				reset[k] = true
			}
		}
	}
	for _, ref := range p.order() {
		if !reset[ref.Key] {
			continue
		}
		r := p.rows[ref]
		if r.Status == prikke.StepStatusScheduled && r.JobID != nil {
			p.deletePending(*r.JobID)
		}
		delete(p.rows, ref)
		delete(p.dirty, ref)
		p.deleted[ref] = true
	}
	p.running = true
	p.plan.Status = prikke.RunStatusRunning
	p.advance()
	return p.result(), nil
}

// planner works on copies of a run's rows and records what changed.
type planner struct {
	st      *RunState
	def     *prikke.WorkflowDefinition
	needs   map[string][]string
	now     time.Time
	running bool // the run is running (or made running by a retry)
	rows    map[StepRef]*prikke.RunStep
	dirty   map[StepRef]bool
	deleted map[StepRef]bool
	pending map[prikke.ID]bool
	plan    *Plan
}

func newPlanner(st *RunState) *planner {
	def := st.Def
	if def == nil {
		def = st.Run.Definition
	}
	if def == nil {
		def = &prikke.WorkflowDefinition{}
	}
	p := &planner{st: st, def: def, needs: Needs(def), now: st.Now, running: st.Run.Status == prikke.RunStatusRunning,
		rows: map[StepRef]*prikke.RunStep{}, dirty: map[StepRef]bool{}, deleted: map[StepRef]bool{},
		pending: map[prikke.ID]bool{}, plan: &Plan{}}
	for _, r := range st.Steps {
		c := *r
		p.rows[StepRef{r.Key, r.Item}] = &c
	}
	return p
}

func (p *planner) step(key string) *prikke.Step {
	if i := stepIndex(p.def, key); i >= 0 {
		return &p.def.Steps[i]
	}
	return nil
}

func (p *planner) own(key string) *prikke.RunStep { return p.rows[StepRef{key, prikke.NoItem}] }

func (p *planner) touch(r *prikke.RunStep) { p.dirty[StepRef{r.Key, r.Item}] = true }

func (p *planner) deletePending(id prikke.ID) {
	if !p.pending[id] {
		p.pending[id] = true
		p.plan.DeletePending = append(p.plan.DeletePending, id)
	}
}

// items returns a for_each step's item rows in index order.
func (p *planner) items(key string) []*prikke.RunStep {
	var out []*prikke.RunStep
	for ref, r := range p.rows {
		if ref.Key == key && ref.Item != prikke.NoItem {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Item < out[j].Item })
	return out
}

// order lists the rows in definition order, items after their step.
func (p *planner) order() []StepRef {
	refs := make([]StepRef, 0, len(p.rows))
	for ref := range p.rows {
		refs = append(refs, ref)
	}
	pos := func(k string) int {
		if i := stepIndex(p.def, k); i >= 0 {
			return i
		}
		return len(p.def.Steps)
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if pa, pb := pos(a.Key), pos(b.Key); pa != pb {
			return pa < pb
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Item < b.Item
	})
	return refs
}

// firstStopped is the first step (definition order) that failed, else
// the first cancelled; "" if none.
func (p *planner) firstStopped() string {
	for _, want := range []prikke.StepStatus{prikke.StepStatusFailed, prikke.StepStatusCancelled} {
		for _, s := range p.def.Steps {
			if r := p.own(s.Key); r != nil && r.Status == want {
				return s.Key
			}
		}
	}
	return ""
}

func (p *planner) result() *Plan {
	for _, ref := range p.order() {
		if p.dirty[ref] {
			p.plan.Steps = append(p.plan.Steps, p.rows[ref])
		}
	}
	for _, s := range p.def.Steps {
		var refs []StepRef
		for ref := range p.deleted {
			if ref.Key == s.Key && !p.dirty[ref] {
				refs = append(refs, ref)
			}
		}
		sort.Slice(refs, func(i, j int) bool { return refs[i].Item < refs[j].Item })
		p.plan.Delete = append(p.plan.Delete, refs...)
	}
	return p.plan
}

// finished reports whether a step's row lets its dependents go.
func finished(s *prikke.Step, r *prikke.RunStep) bool {
	switch r.Status {
	case prikke.StepStatusSucceeded, prikke.StepStatusSkipped:
		return true
	case prikke.StepStatusFailed:
		return s.Failure() == prikke.OnFailureContinue
	}
	return false
}

func (p *planner) advance() {
	if !p.running {
		return
	}
	for {
		for i := range p.def.Steps {
			s := &p.def.Steps[i]
			if r := p.own(s.Key); r != nil && r.Status == prikke.StepStatusFailed && s.Failure() == prikke.OnFailureStop {
				p.failRun(s, r)
				return
			}
		}
		changed := false
		for i := range p.def.Steps {
			s := &p.def.Steps[i]
			r := p.own(s.Key)
			if r == nil {
				r = &prikke.RunStep{RunID: p.st.Run.ID, Key: s.Key, Item: prikke.NoItem, Items: -1, Status: prikke.StepStatusWaiting}
				p.rows[StepRef{s.Key, prikke.NoItem}] = r
				p.touch(r)
			}
			switch r.Status {
			case prikke.StepStatusWaiting:
				if p.tryStart(s, r) {
					changed = true
				}
			case prikke.StepStatusScheduled:
				if s.Kind() == prikke.StepKindForEach && r.Items >= 0 && p.progressItems(s, r) {
					changed = true
				}
			}
		}
		if !changed {
			break
		}
	}
	for _, s := range p.def.Steps {
		if r := p.own(s.Key); r == nil || !r.Status.Terminal() {
			return
		}
	}
	p.plan.Status, p.plan.Error, p.plan.FinishedAt = prikke.RunStatusSucceeded, "", &p.now
}

// tryStart starts a waiting step whose needs have finished; it reports
// whether the row changed.
func (p *planner) tryStart(s *prikke.Step, r *prikke.RunStep) bool {
	due := p.now
	for _, n := range p.needs[s.Key] {
		nr, ns := p.own(n), p.step(n)
		if nr == nil || ns == nil || !finished(ns, nr) {
			return false
		}
		if nr.FinishedAt != nil && nr.FinishedAt.After(due) {
			due = *nr.FinishedAt
		}
	}
	r.DueAt = &due
	p.touch(r)
	if s.When != "" {
		c, err := ParseCond(s.When)
		if err != nil {
			p.failStep(r, "when: "+err.Error())
			return true
		}
		if !c.Eval(p.scope(nil, -1)) {
			r.Status, r.Reason = prikke.StepStatusSkipped, fmt.Sprintf("when %s is false", s.When)
			r.FinishedAt = &due
			return true
		}
	}
	switch s.Kind() {
	case prikke.StepKindDelay:
		p.startDelay(s, r, due)
	case prikke.StepKindForEach:
		p.startForEach(s, r, due)
	default:
		p.start(s, r, nil, -1, due)
	}
	return true
}

func (p *planner) failStep(r *prikke.RunStep, why string) {
	r.Status, r.Reason = prikke.StepStatusFailed, why
	if r.StartedAt == nil {
		r.StartedAt = &p.now
	}
	r.FinishedAt = &p.now
	p.touch(r)
}

// scope is the template scope over the rows as the planner has them.
func (p *planner) scope(item json.RawMessage, index int) template.Scope {
	st := *p.st
	st.Steps = make([]*prikke.RunStep, 0, len(p.def.Steps))
	for _, s := range p.def.Steps {
		if r := p.own(s.Key); r != nil {
			st.Steps = append(st.Steps, r)
		}
	}
	return Scope(&st, item, index)
}

func (p *planner) startDelay(s *prikke.Step, r *prikke.RunStep, due time.Time) {
	end := due
	switch {
	case s.Delay.Duration != "":
		d, err := time.ParseDuration(s.Delay.Duration)
		if err != nil || d < 0 {
			p.failStep(r, fmt.Sprintf("delay.duration: %q is not a duration like 30s, 15m or 24h", s.Delay.Duration))
			return
		}
		end = due.Add(d)
	case s.Delay.Until != "":
		// An instant is short: the render stops well before a template
		// repeating a large value builds a huge string.
		v, err := template.Render(s.Delay.Until, p.scope(nil, -1), template.Options{MaxBytes: 1024})
		if err != nil {
			p.failStep(r, "delay.until: "+tooLarge(err, "the instant rendered is more than 1024 bytes; write it like 2026-12-24T09:00:00Z"))
			return
		}
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
		if err != nil {
			p.failStep(r, fmt.Sprintf("delay.until: %q is not an RFC 3339 instant like 2026-12-24T09:00:00Z", clip(v, 100)))
			return
		}
		if at.After(end) {
			end = at
		}
	}
	r.Status, r.Reason = prikke.StepStatusSucceeded, ""
	r.StartedAt, r.DueAt, r.FinishedAt = &due, &end, &end
	r.DurationMS = int(end.Sub(due) / time.Millisecond)
}

func (p *planner) startForEach(s *prikke.Step, r *prikke.RunStep, due time.Time) {
	r.StartedAt = &due
	limits := p.st.Tier.Limits()
	if limits.ForEachItems == 0 {
		p.failStep(r, fmt.Sprintf("for_each is not available on the %s tier; upgrade to Pro", tierName(p.st.Tier)))
		return
	}
	path, err := template.ParsePath(s.ForEach)
	if err != nil {
		p.failStep(r, "for_each: "+err.Error())
		return
	}
	sc := p.scope(nil, -1)
	v, ok := sc.Lookup(path)
	if !ok {
		p.failStep(r, "for_each: "+template.Why(sc, path))
		return
	}
	arr, ok := v.([]any)
	if !ok {
		p.failStep(r, fmt.Sprintf("for_each: %s is %s, not an array", path, template.Kind(v)))
		return
	}
	if len(arr) > limits.ForEachItems {
		p.failStep(r, fmt.Sprintf("for_each: %s has %d items, more than the %d a step may run on the %s tier", path, len(arr), limits.ForEachItems, tierName(p.st.Tier)))
		return
	}
	r.Items = len(arr)
	if len(arr) == 0 {
		r.Status, r.FinishedAt, r.ResponseBody = prikke.StepStatusSucceeded, &due, []byte("[]")
		return
	}
	r.Status = prikke.StepStatusScheduled
	for i, x := range arr {
		it := &prikke.RunStep{RunID: p.st.Run.ID, Key: s.Key, Item: i, ItemValue: json.RawMessage(template.JSON(x)),
			Items: -1, Status: prikke.StepStatusWaiting}
		p.rows[StepRef{s.Key, i}] = it
		p.touch(it)
	}
}

func tierName(t prikke.Tier) string {
	if t == "" {
		return string(prikke.TierFree)
	}
	return string(t)
}

// progressItems starts a for_each step's items up to its concurrency and
// finishes the step when every item has; it reports whether anything
// changed.
func (p *planner) progressItems(s *prikke.Step, r *prikke.RunStep) bool {
	items := p.items(s.Key)
	limit := s.MaxConcurrency
	if limit <= 0 {
		limit = prikke.DefaultMaxConcurrency
	}
	active, failed, changed := 0, false, false
	for _, it := range items {
		switch it.Status {
		case prikke.StepStatusScheduled:
			active++
		case prikke.StepStatusFailed:
			failed = true
		}
	}
	stop := s.Failure() == prikke.OnFailureStop
	for _, it := range items {
		if it.Status != prikke.StepStatusWaiting || active >= limit || failed && stop {
			continue
		}
		due := p.now
		if r.DueAt != nil && r.DueAt.After(due) {
			due = *r.DueAt
		}
		it.DueAt = &due
		p.start(s, it, it.ItemValue, it.Item, due)
		changed = true
		switch it.Status {
		case prikke.StepStatusScheduled:
			active++
		case prikke.StepStatusFailed:
			failed = true
		}
	}
	if failed && stop {
		for _, it := range items {
			if it.Status == prikke.StepStatusWaiting {
				it.Status, it.Reason, it.FinishedAt = prikke.StepStatusCancelled, "an earlier item failed", &p.now
				p.touch(it)
				changed = true
			}
		}
	}
	if active > 0 {
		return changed
	}
	for _, it := range items {
		if it.Status == prikke.StepStatusWaiting {
			return changed
		}
	}
	p.finishForEach(r, items)
	return true
}

// finishForEach sums up a for_each step whose items have all finished.
func (p *planner) finishForEach(r *prikke.RunStep, items []*prikke.RunStep) {
	var out bytes.Buffer
	out.WriteByte('[')
	end := time.Time{}
	r.Status, r.Reason, r.ResponseStatus = prikke.StepStatusSucceeded, "", 0
	for i, it := range items {
		if i > 0 {
			out.WriteByte(',')
		}
		if v, ok := expect.DecodeJSON(it.ResponseBody); ok && it.Status != prikke.StepStatusCancelled {
			out.WriteString(template.JSON(v))
		} else {
			out.WriteString("null")
		}
		if it.Status == prikke.StepStatusFailed && r.Status != prikke.StepStatusFailed {
			r.Status, r.Reason = prikke.StepStatusFailed, fmt.Sprintf("item %d: %s", it.Item, it.Reason)
		}
		if it.ResponseStatus != 0 {
			r.ResponseStatus = it.ResponseStatus
		}
		if it.FinishedAt != nil && it.FinishedAt.After(end) {
			end = *it.FinishedAt
		}
	}
	out.WriteByte(']')
	if end.IsZero() {
		end = p.now
	}
	r.ResponseBody, r.ResponseHeaders, r.ResponseTruncated = out.Bytes(), nil, false
	r.FinishedAt = &end
	if r.StartedAt != nil && end.After(*r.StartedAt) {
		r.DurationMS = int(end.Sub(*r.StartedAt) / time.Millisecond)
	}
	p.touch(r)
}

// failRun fails the run at step s: every unfinished row is cancelled.
func (p *planner) failRun(s *prikke.Step, r *prikke.RunStep) {
	p.stopAll("run failed at step " + s.Key)
	reason := r.Reason
	if reason == "" {
		reason = "failed"
	}
	p.plan.Status, p.plan.Error, p.plan.FinishedAt = prikke.RunStatusFailed, fmt.Sprintf("step %s failed: %s", s.Key, reason), &p.now
}

// stopAll cancels every row not finished, and every delay still waiting,
// and deletes their pending executions.
func (p *planner) stopAll(why string) {
	for _, ref := range p.order() {
		r := p.rows[ref]
		s := p.step(ref.Key)
		waitingDelay := s != nil && s.Kind() == prikke.StepKindDelay && r.Status == prikke.StepStatusSucceeded &&
			r.FinishedAt != nil && r.FinishedAt.After(p.now)
		if r.Status.Terminal() && !waitingDelay {
			continue
		}
		if r.Status == prikke.StepStatusScheduled && r.JobID != nil {
			p.deletePending(*r.JobID)
		}
		r.Status, r.Reason, r.FinishedAt = prikke.StepStatusCancelled, why, &p.now
		p.touch(r)
	}
}

// Complete plans a step instance's final attempt: the row of ref, when it
// is still scheduled with e's job (the fence: a completion arriving twice,
// or after a cancel, plans nothing), is finished with e's result (see
// Finish) and written in Plan.Steps, and Advance follows. A store may
// instead finish the row itself and call Advance; then that row is its
// own to write.
func Complete(st *RunState, ref StepRef, e *prikke.Execution) *Plan {
	p := newPlanner(st)
	r := p.rows[ref]
	if !p.running || r == nil || r.Status != prikke.StepStatusScheduled || r.JobID == nil || *r.JobID != e.JobID {
		return p.plan
	}
	Finish(r, e, p.now)
	p.touch(r)
	p.advance()
	return p.result()
}
