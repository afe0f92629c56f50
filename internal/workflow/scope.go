package workflow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/expect"
	"github.com/prikke/prikke/internal/template"
)

// Scope is the template scope of a step in a run: payload, run.id,
// run.scheduled_for (RFC 3339), steps.K.status, steps.K.headers.NAME (any
// case), steps.K.json (the body parsed when it is JSON), steps.K.body (the
// body as text), and for an item, item and index. secrets.* are never
// looked up here (kept by Options.Keep). item nil (or index < 0) means the
// step is not an item of a for_each step.
func Scope(st *RunState, item json.RawMessage, index int) template.Scope {
	sc := &scope{st: st, rows: map[string]*prikke.RunStep{}, json: map[string]jsonOut{}, index: -1}
	for _, r := range st.Steps {
		if r.Item == prikke.NoItem {
			sc.rows[r.Key] = r
		}
	}
	if st.Run != nil && len(st.Run.Payload) > 0 {
		sc.payload, _ = expect.DecodeJSON(st.Run.Payload)
	}
	if index >= 0 {
		sc.index = index
		sc.item, _ = expect.DecodeJSON(item)
	}
	return sc
}

type scope struct {
	st      *RunState
	rows    map[string]*prikke.RunStep // own rows by key
	payload any
	item    any
	index   int
	json    map[string]jsonOut // parsed bodies, by key
}

type jsonOut struct {
	v  any
	ok bool
}

// Roots a template may use.
const (
	RootPayload = "payload"
	RootRun     = "run"
	RootSteps   = "steps"
	RootSecrets = "secrets"
	RootItem    = "item"
	RootIndex   = "index"
)

// output reports whether a step row's outputs may be read: it finished
// with a response of its own (succeeded, or failed with on_failure
// continue).
func output(r *prikke.RunStep) bool {
	return r.Status == prikke.StepStatusSucceeded || r.Status == prikke.StepStatusFailed
}

func (s *scope) stepJSON(r *prikke.RunStep) (any, bool) {
	if j, ok := s.json[r.Key]; ok {
		return j.v, j.ok
	}
	v, ok := expect.DecodeJSON(r.ResponseBody)
	s.json[r.Key] = jsonOut{v, ok}
	return v, ok
}

func (s *scope) Lookup(p template.Path) (any, bool) {
	if len(p) == 0 {
		return nil, false
	}
	switch p[0] {
	case RootPayload:
		return template.Walk(s.payload, p[1:])
	case RootRun:
		if len(p) != 2 || s.st.Run == nil {
			return nil, false
		}
		switch p[1] {
		case "id":
			return s.st.Run.ID.String(), true
		case "scheduled_for":
			return prikke.FormatInstant(s.st.Run.ScheduledFor), true
		}
	case RootItem:
		if s.index < 0 {
			return nil, false
		}
		return template.Walk(s.item, p[1:])
	case RootIndex:
		if s.index < 0 || len(p) != 1 {
			return nil, false
		}
		return float64(s.index), true
	case RootSteps:
		if len(p) < 3 {
			return nil, false
		}
		r := s.rows[p[1]]
		if r == nil || !output(r) || s.delay(p[1]) {
			return nil, false
		}
		switch p[2] {
		case "status":
			if len(p) != 3 || r.ResponseStatus == 0 {
				return nil, false
			}
			return float64(r.ResponseStatus), true
		case "body":
			if len(p) != 3 {
				return nil, false
			}
			return string(r.ResponseBody), true
		case "json":
			v, ok := s.stepJSON(r)
			if !ok {
				return nil, false
			}
			return template.Walk(v, p[3:])
		case "headers":
			switch len(p) {
			case 3:
				m := map[string]any{}
				for _, h := range r.ResponseHeaders {
					if _, ok := m[strings.ToLower(h.Name)]; !ok {
						m[strings.ToLower(h.Name)] = h.Value
					}
				}
				return m, true
			case 4:
				for _, h := range r.ResponseHeaders {
					if strings.EqualFold(h.Name, p[3]) {
						return h.Value, true
					}
				}
			}
		}
	}
	return nil, false
}

// Why says why a path the scope lacks is missing, in the user's words.
func (s *scope) Why(p template.Path) string {
	switch p.Root() {
	case RootPayload:
		if s.payload == nil && len(p) > 1 {
			return "the run has no payload (it is null), so there is no " + p.String()
		}
		return ""
	case RootRun:
		return fmt.Sprintf("there is no %s: the run has id and scheduled_for", p)
	case RootItem, RootIndex:
		if s.index < 0 {
			return fmt.Sprintf("there is no %s: only a for_each step's templates see item and index", p)
		}
		return ""
	case RootSecrets:
		return "secrets are filled in at send time, not here"
	case RootSteps:
	default:
		return fmt.Sprintf("there is no %s: a template may use payload, run, steps, secrets, and in a for_each step item and index", p.Root())
	}
	if len(p) < 2 {
		return "steps needs a step key and an output, like steps.login.json.token"
	}
	key := p[1]
	r := s.rows[key]
	if r == nil {
		if s.st.Def != nil && stepIndex(s.st.Def, key) < 0 {
			return fmt.Sprintf("there is no step %q", key)
		}
		return fmt.Sprintf("step %s has not run", key)
	}
	switch r.Status {
	case prikke.StepStatusSkipped:
		return fmt.Sprintf("step %s was skipped (%s), so it has no %s", key, r.Reason, strings.Join(p[2:], "."))
	case prikke.StepStatusCancelled:
		return fmt.Sprintf("step %s was cancelled, so it has no outputs", key)
	case prikke.StepStatusWaiting, prikke.StepStatusScheduled:
		return fmt.Sprintf("step %s has not finished", key)
	}
	if len(p) < 3 {
		return fmt.Sprintf("%s needs an output: status, headers, json or body", p)
	}
	if s.delay(key) {
		return fmt.Sprintf("step %s is a delay: it has no response", key)
	}
	switch p[2] {
	case "status":
		if len(p) > 3 {
			return fmt.Sprintf("%s is a number: it has no %q", p[:3], p[3])
		}
		return fmt.Sprintf("step %s got no response (%s), so it has no status", key, r.Reason)
	case "body":
		return fmt.Sprintf("%s is text: it has no %q", p[:3], p[3])
	case "headers":
		if len(p) == 4 {
			return fmt.Sprintf("the response of %s has no header %s", key, p[3])
		}
		return fmt.Sprintf("%s names one header, like %s.headers.content-type", p[:3], key)
	case "json":
		if _, ok := s.stepJSON(r); !ok {
			switch {
			case r.ResponseStatus == 0:
				return fmt.Sprintf("step %s got no response (%s), so it has no json", key, r.Reason)
			case r.ResponseTruncated:
				return fmt.Sprintf("the response of %s is not JSON (it was cut at %d bytes)", key, len(r.ResponseBody))
			}
			return fmt.Sprintf("the response of %s is not JSON", key)
		}
		return "" // the generic walk names the field
	}
	return fmt.Sprintf("step %s has no output %q: use status, headers, json or body", key, p[2])
}

// delay reports whether step key is a delay (which has no outputs).
func (s *scope) delay(key string) bool {
	if s.st.Def == nil {
		return false
	}
	i := stepIndex(s.st.Def, key)
	return i >= 0 && s.st.Def.Steps[i].Kind() == prikke.StepKindDelay
}

// stepIndex is key's position in def, -1 if none.
func stepIndex(def *prikke.WorkflowDefinition, key string) int {
	for i := range def.Steps {
		if def.Steps[i].Key == key {
			return i
		}
	}
	return -1
}

// itemLabel is an item's suffix in names and reasons: " [3]".
func itemLabel(i int) string { return " [" + strconv.Itoa(i) + "]" }
