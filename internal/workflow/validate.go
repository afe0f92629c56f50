package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/expect"
	"github.com/prikke/prikke/internal/template"
)

// Validate checks a definition at save time against a tier's limits. Its
// error is a prikke EINVALID whose fields are "steps[i].field" (e.g.
// "steps[2].needs[0]", "steps[0].url", "steps"), each message naming the
// step by key and saying what to fix. It refuses: no steps; more steps
// than the tier allows; for_each on a tier without it; empty, duplicate or
// malformed keys ([a-z0-9_-], at most MaxStepKeyLength); needs naming
// unknown keys or the step itself; cycles (naming the steps in it); a
// template, `when` or for_each that does not parse, or that references a
// step not upstream of this one (steps.X where X is not reachable through
// needs), or a root other than payload, run, steps, item, index (only in a
// for_each step), secrets; a request that is not a valid job request
// (method, URL scheme and host when the host has no template, headers,
// body size, timeout); a bad retry, expect, delay (exactly one of
// duration/until; duration 1s..MaxStepDelay) or max_concurrency.
func Validate(def *prikke.WorkflowDefinition, tier prikke.Tier) error {
	var v prikke.Validation
	if def == nil || len(def.Steps) == 0 {
		v.Add("steps", "a workflow needs at least one step: add a request such as {\"key\": \"ping\", \"url\": \"https://example.com\"}")
		return v.Err()
	}
	lim := tier.Limits()
	if len(def.Steps) > lim.WorkflowSteps {
		msg := fmt.Sprintf("this workflow has %d steps; the %s tier allows %d", len(def.Steps), tierName(tier), lim.WorkflowSteps)
		if tier != prikke.TierPro {
			msg += " (Pro allows 50): remove steps or upgrade"
		} else {
			msg += ": remove steps, or split the workflow in two"
		}
		v.Add("steps", "%s", msg)
	}
	vd := &validator{v: &v, def: def, tier: tier, index: map[string]int{}}
	vd.keys()
	vd.graph()
	for i := range def.Steps {
		vd.step(i)
	}
	vd.trailingDelays()
	return v.Err()
}

// trailingDelays refuses a delay that no step needs: a run ends when its
// last step does, so a wait with nothing after it would wait for nothing.
func (vd *validator) trailingDelays() {
	needed := map[string]bool{}
	for _, ns := range Needs(vd.def) {
		for _, n := range ns {
			needed[n] = true
		}
	}
	for i, s := range vd.def.Steps {
		if s.Kind() == prikke.StepKindDelay && validKey(s.Key) && !needed[s.Key] {
			vd.add(i, ".delay", "no step comes after this delay, so it would wait for nothing: add a step after it (or one that needs %q), or remove it", s.Key)
		}
	}
}

type validator struct {
	v     *prikke.Validation
	def   *prikke.WorkflowDefinition
	tier  prikke.Tier
	index map[string]int // first step of each key
	// cyclic is set when needs form a cycle: then "upstream" is not
	// meaningful and step references are not checked against it.
	cyclic bool
}

// name is how messages name step i: by key, or by position when it has
// none.
func (vd *validator) name(i int) string {
	if k := vd.def.Steps[i].Key; k != "" && validKey(k) {
		return "step " + k
	}
	return fmt.Sprintf("step %d", i+1)
}

func (vd *validator) add(i int, field, format string, args ...any) {
	vd.v.Add(fmt.Sprintf("steps[%d]", i)+field, "%s: %s", vd.name(i), fmt.Sprintf(format, args...))
}

func validKey(k string) bool {
	if k == "" || len(k) > prikke.MaxStepKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (vd *validator) keys() {
	for i, s := range vd.def.Steps {
		switch {
		case s.Key == "":
			vd.add(i, ".key", "needs a key, such as login: lower-case letters, digits, _ and -")
		case len(s.Key) > prikke.MaxStepKeyLength:
			vd.add(i, ".key", "the key is too long: max %d characters", prikke.MaxStepKeyLength)
		case !validKey(s.Key):
			vd.add(i, ".key", "the key %q may use only lower-case letters, digits, _ and -", s.Key)
		default:
			if j, ok := vd.index[s.Key]; ok {
				vd.add(i, ".key", "the key %q is also the key of steps[%d]; keys must be unique", s.Key, j)
				continue
			}
			vd.index[s.Key] = i
		}
	}
}

// graph checks needs and finds cycles.
func (vd *validator) graph() {
	for i, s := range vd.def.Steps {
		seen := map[string]bool{}
		for j, n := range s.Needs {
			f := fmt.Sprintf(".needs[%d]", j)
			switch _, ok := vd.index[n]; {
			case n == s.Key:
				vd.add(i, f, "a step cannot need itself; remove %q", n)
			case !ok:
				vd.add(i, f, "needs %q, which is not a step of this workflow; use one of the keys %s", n, vd.keyList())
			case seen[n]:
				vd.add(i, f, "needs %q twice; remove one", n)
			}
			seen[n] = true
		}
	}
	needs := Needs(vd.def)
	// Depth-first search over effective needs; a back edge is a cycle.
	state := map[string]int{} // 0 new, 1 on the stack, 2 done
	var stack []string
	var cycle []string
	var visit func(k string) bool
	visit = func(k string) bool {
		state[k] = 1
		stack = append(stack, k)
		for _, n := range needs[k] {
			if _, ok := vd.index[n]; !ok || n == k {
				continue
			}
			switch state[n] {
			case 1:
				for j := len(stack) - 1; j >= 0; j-- {
					if stack[j] == n {
						cycle = append(append([]string{}, stack[j:]...), n)
						break
					}
				}
				return true
			case 0:
				if visit(n) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[k] = 2
		return false
	}
	for _, s := range vd.def.Steps {
		if _, ok := vd.index[s.Key]; ok && state[s.Key] == 0 && visit(s.Key) {
			break
		}
	}
	if cycle != nil {
		vd.cyclic = true
		// cycle is [a, b, …, a] where each needs the next; write it in
		// run order: a runs after b …, so reverse it.
		for l, r := 0, len(cycle)-1; l < r; l, r = l+1, r-1 {
			cycle[l], cycle[r] = cycle[r], cycle[l]
		}
		i := vd.index[cycle[len(cycle)-1]]
		vd.v.Add(fmt.Sprintf("steps[%d].needs", i), "step %s: the steps %s form a cycle (each needs the one before it), so none can start; remove one of these needs",
			cycle[len(cycle)-1], strings.Join(cycle, " → "))
	}
}

func (vd *validator) keyList() string {
	var ks []string
	for _, s := range vd.def.Steps {
		if _, ok := vd.index[s.Key]; ok && len(ks) < 10 {
			ks = append(ks, s.Key)
		}
	}
	if len(ks) == 0 {
		return "(none)"
	}
	return strings.Join(ks, ", ")
}

func (vd *validator) step(i int) {
	s := &vd.def.Steps[i]
	if s.Delay != nil && s.ForEach != "" {
		vd.add(i, ".delay", "a step is a delay or a for_each, not both; make them two steps")
	}
	switch s.Kind() {
	case prikke.StepKindDelay:
		vd.delay(i, s)
	default:
		vd.request(i, s)
	}
	if s.Kind() == prikke.StepKindForEach {
		vd.forEach(i, s)
	} else if s.MaxConcurrency != 0 {
		vd.add(i, ".max_concurrency", "only a for_each step has max_concurrency; remove it or add for_each")
	}
	if s.OnFailure != "" && s.OnFailure != prikke.OnFailureStop && s.OnFailure != prikke.OnFailureContinue {
		vd.add(i, ".on_failure", `on_failure must be "stop" or "continue"`)
	}
	if s.When != "" {
		if len(s.When) > prikke.MaxWhenLength {
			vd.add(i, ".when", "the condition is too long: max %d characters", prikke.MaxWhenLength)
		} else if c, err := ParseCond(s.When); err != nil {
			vd.add(i, ".when", "%v", err)
		} else {
			for _, p := range c.Paths() {
				vd.ref(i, ".when", p, false)
			}
		}
	}
}

func (vd *validator) delay(i int, s *prikke.Step) {
	d := s.Delay
	if s.URL != "" || s.Body != "" || len(s.Headers) > 0 || s.Method != "" {
		vd.add(i, ".delay", "a delay step makes no request; remove its url, method, headers and body, or make it a request")
	}
	if s.Retry != nil || s.Expect != nil {
		vd.add(i, ".delay", "a delay step has no retry or expect; remove them")
	}
	switch {
	case d.Duration != "" && d.Until != "":
		vd.add(i, ".delay", "give delay.duration or delay.until, not both")
	case d.Duration != "":
		x, err := time.ParseDuration(d.Duration)
		switch {
		case err != nil:
			vd.add(i, ".delay.duration", "%q is not a duration; write it like 30s, 15m or 24h", d.Duration)
		case x < time.Second || x > prikke.MaxStepDelay:
			vd.add(i, ".delay.duration", "must be between 1s and %s (a year)", "8784h")
		}
	case d.Until != "":
		if tpl, ok := vd.template(i, ".delay.until", d.Until, false); ok && !tpl.HasExpr() {
			if _, err := time.Parse(time.RFC3339, d.Until); err != nil {
				vd.add(i, ".delay.until", "%q is not an RFC 3339 instant; write it like 2026-12-24T09:00:00Z", d.Until)
			}
		}
	default:
		vd.add(i, ".delay", "give delay.duration (like 24h) or delay.until (an RFC 3339 instant, or a template)")
	}
}

func (vd *validator) request(i int, s *prikke.Step) {
	forEach := s.Kind() == prikke.StepKindForEach
	if s.Method != "" {
		ok := false
		for _, m := range prikke.Methods {
			ok = ok || s.Method == m
		}
		if !ok {
			vd.add(i, ".method", "method must be one of GET, POST, PUT, PATCH, DELETE, HEAD")
		}
	}
	vd.url(i, s, forEach)
	var hv prikke.Validation
	prikke.ValidateHeaders(&hv, "headers", s.Headers)
	for _, f := range prikke.ErrorFields(hv.Err()) {
		vd.add(i, "."+f.Field, "%s", f.Message)
	}
	for j, h := range s.Headers {
		f := fmt.Sprintf(".headers[%d]", j)
		if strings.EqualFold(h.Name, IdempotencyHeader) {
			vd.add(i, f+".name", "Prikke sets Idempotency-Key on every attempt itself (<run>.<step>); remove this header")
		}
		vd.template(i, f+".value", h.Value, forEach)
	}
	switch {
	case len(s.Body) > prikke.MaxBodyBytes:
		vd.add(i, ".body", "the body is too large: max 256 KiB")
	case !utf8.ValidString(s.Body):
		vd.add(i, ".body", "the body must be valid UTF-8 text")
	case strings.ContainsRune(s.Body, 0):
		vd.add(i, ".body", "the body contains an invalid character (NUL)")
	default:
		vd.template(i, ".body", s.Body, forEach)
	}
	if s.TimeoutMS != 0 && (s.TimeoutMS < prikke.MinTimeoutMS || s.TimeoutMS > prikke.MaxTimeoutMS) {
		vd.add(i, ".timeout_ms", "timeout_ms must be between 1000 and 30000 (or left out for 30000)")
	}
	if s.FlowKey != "" {
		if msg := prikke.ValidFlowKey(s.FlowKey); msg != "" {
			vd.add(i, ".flow_key", "flow_key %s", msg)
		}
	}
	vd.retry(i, s.Retry)
	vd.expect(i, s.Expect, forEach)
}

// url checks a step's URL: its templates, and as a job's URL when its
// scheme and host are plain (a templated host is checked by the SSRF
// guard at send time).
func (vd *validator) url(i int, s *prikke.Step, forEach bool) {
	raw := s.URL
	if raw == "" {
		vd.add(i, ".url", "needs a url: the http or https URL to call, like https://example.com/hook")
		return
	}
	if len(raw) > prikke.MaxURLLength {
		vd.add(i, ".url", "the url is too long: max 2048 characters")
		return
	}
	tpl, ok := vd.template(i, ".url", raw, forEach)
	if !ok {
		return
	}
	at := strings.Index(raw, "{{")
	for at >= 0 && strings.HasPrefix(raw[at:], "{{{{") {
		next := strings.Index(raw[at+4:], "{{")
		if next < 0 {
			at = -1
		} else {
			at += 4 + next
		}
	}
	if at >= 0 && at < authorityEnd(raw) {
		lower := strings.ToLower(raw)
		if at > 0 && !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
			vd.add(i, ".url", "the url must start with http:// or https://")
		}
		return
	}
	// Fill each value with a placeholder and check the rest as a job's.
	plain, err := tpl.Render(placeholder{}, template.Options{})
	if err != nil {
		return
	}
	var uv prikke.Validation
	prikke.ValidateURL(&uv, "url", plain)
	for _, f := range prikke.ErrorFields(uv.Err()) {
		vd.add(i, ".url", "the url %s", f.Message)
	}
}

// authorityEnd is the offset where a URL's scheme and host end: the first
// '/', '?' or '#' after "//" (the whole string when none).
func authorityEnd(raw string) int {
	start := strings.Index(raw, "//")
	if start < 0 {
		return len(raw)
	}
	start += 2
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		return start + j
	}
	return len(raw)
}

// placeholder is a scope where every value is "x".
type placeholder struct{}

func (placeholder) Lookup(template.Path) (any, bool) { return "x", true }

func (vd *validator) retry(i int, r *prikke.StepRetry) {
	if r == nil {
		return
	}
	if r.Attempts < 0 || r.Attempts > prikke.MaxStepRetryAttempts {
		vd.add(i, ".retry.attempts", "retry.attempts must be between 0 and %d", prikke.MaxStepRetryAttempts)
	}
	if r.Backoff != "" && r.Backoff != BackoffExponential && r.Backoff != BackoffFixed {
		vd.add(i, ".retry.backoff", `retry.backoff must be "exponential" (the default) or "fixed"`)
	}
	if r.Delay != "" {
		d, err := time.ParseDuration(r.Delay)
		if err != nil || d < time.Second || d > prikke.RetryMaxDelay {
			vd.add(i, ".retry.delay", "retry.delay must be a duration between 1s and 6h, like 10s or 5m")
		}
	}
	for j, o := range r.On {
		l := strings.ToLower(strings.TrimSpace(o))
		if l != "timeout" && l != "network" && !expect.ValidStatus(l) {
			vd.add(i, fmt.Sprintf(".retry.on[%d]", j), `%q is not a status code (like 503), a class (like "5xx"), "timeout" or "network"`, o)
		}
	}
}

// expect checks a step's expect with the checker jobs share
// (expect.Validate); a string equals may hold a template, rendered when
// the step starts.
func (vd *validator) expect(i int, e *prikke.Expect, forEach bool) {
	if e == nil {
		return
	}
	var ev prikke.Validation
	expect.Validate(&ev, "expect", e)
	for _, f := range prikke.ErrorFields(ev.Err()) {
		vd.add(i, "."+f.Field, "%s", f.Message)
	}
	var x any
	if len(e.Equals) > 0 && json.Unmarshal(e.Equals, &x) == nil {
		if s, ok := x.(string); ok {
			vd.template(i, ".expect.equals", s, forEach)
		}
	}
}

func (vd *validator) forEach(i int, s *prikke.Step) {
	if vd.tier.Limits().ForEachItems == 0 {
		vd.add(i, ".for_each", "for_each is not available on the %s tier; upgrade to Pro to run a step per item", tierName(vd.tier))
		return
	}
	p, err := template.ParsePath(s.ForEach)
	if err != nil {
		vd.add(i, ".for_each", "%v; write a path without braces, like steps.list.json.items", err)
		return
	}
	if r := p.Root(); r != RootSteps && r != RootPayload {
		vd.add(i, ".for_each", "for_each reads an array from payload or an earlier step, like steps.list.json.items; %s is neither", p)
		return
	}
	vd.ref(i, ".for_each", p, false)
	if s.MaxConcurrency < 0 || s.MaxConcurrency > prikke.MaxConcurrencyLimit {
		vd.add(i, ".max_concurrency", "max_concurrency must be between 1 and %d (or left out for %d)", prikke.MaxConcurrencyLimit, prikke.DefaultMaxConcurrency)
	}
}

// template parses one templated field and checks its references.
func (vd *validator) template(i int, field, src string, forEach bool) (*template.Template, bool) {
	tpl, err := template.Parse(src)
	if err != nil {
		vd.add(i, field, "%s", strings.TrimPrefix(err.Error(), "template: "))
		return nil, false
	}
	for _, p := range tpl.Paths() {
		vd.ref(i, field, p, forEach)
	}
	return tpl, true
}

// ref checks one path step i uses in field: a known root, and steps.X
// only for a step X upstream of it.
func (vd *validator) ref(i int, field string, p template.Path, items bool) {
	s := &vd.def.Steps[i]
	secretsOK := field == ".url" || field == ".body" || strings.HasPrefix(field, ".headers[")
	switch p.Root() {
	case RootPayload:
	case RootRun:
		if len(p) != 2 || p[1] != "id" && p[1] != "scheduled_for" {
			vd.add(i, field, "%s is not a run value; use run.id or run.scheduled_for", p)
		}
	case RootItem, RootIndex:
		switch {
		case !items:
			vd.add(i, field, "%s is only for a for_each step's request (the current element and its position)", p)
		case p.Root() == RootIndex && len(p) > 1:
			vd.add(i, field, "index is a number; %s has nothing to read", p)
		}
	case RootSecrets:
		switch {
		case !secretsOK:
			vd.add(i, field, "secrets can be used in a request's url, headers and body, not in %s", strings.TrimPrefix(field, "."))
		case len(p) != 2:
			vd.add(i, field, "write a secret as secrets.NAME, like {{secrets.API_KEY}}")
		}
	case RootSteps:
		vd.stepRef(i, s, field, p)
	default:
		vd.add(i, field, "%s: a template may use payload, run, steps, secrets (and item, index in a for_each step); %q is none of them", p, p.Root())
	}
}

func (vd *validator) stepRef(i int, s *prikke.Step, field string, p template.Path) {
	if len(p) < 3 {
		vd.add(i, field, "%s names no output; write steps.KEY.status, .headers.NAME, .json or .body, like steps.login.json.token", p)
		return
	}
	key := p[1]
	if _, ok := vd.index[key]; !ok {
		vd.add(i, field, "%s names step %q, which is not in this workflow", p, key)
		return
	}
	if key == s.Key {
		vd.add(i, field, "%s: a step cannot use its own response", p)
		return
	}
	if !vd.cyclic && !Upstream(vd.def, s.Key)[key] {
		vd.add(i, field, "%s: step %s does not run before this one; add %q to needs (or to a step this one needs)", p, key, key)
		return
	}
	if vd.def.Steps[vd.index[key]].Kind() == prikke.StepKindDelay {
		vd.add(i, field, "%s: step %s is a delay; it makes no request, so it has no response to read", p, key)
		return
	}
	switch p[2] {
	case "status", "body":
		if len(p) != 3 {
			vd.add(i, field, "%s: %s has nothing to read below it", p, p[:3])
		}
	case "headers":
		if len(p) != 4 {
			vd.add(i, field, "%s: name one header, like steps.%s.headers.content-type", p, key)
		}
	case "json":
	default:
		vd.add(i, field, "%s: a step's outputs are status, headers, json and body; %q is none of them", p, p[2])
	}
}
