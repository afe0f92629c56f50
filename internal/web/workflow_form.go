package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// The workflow editor: one card per step whose fields are named
// "steps[i].<field>", the names the service's errors use ("steps[1].url"),
// so each message lands beside its field in the API's words; and a JSON
// view of the whole definition. The cards are edited on the server: add,
// remove and reorder are submit buttons (op=add, op=remove:2, op=up:2 …)
// that re-render the editor, so it works without JavaScript and a test
// can drive it with plain form posts. On save the JSON box wins when the
// user changed it (it differs from the copy the page was drawn with);
// otherwise the cards do.

// stepFields are a card's fields, in the card's order, as named after
// "steps[i].". An error about a step goes beside the first of them its
// path starts with ("retry.attempts", "needs[0]" → "needs"); any other
// (steps[i].retry.delay, say) is listed at the top of the card.
var stepFields = []string{"key", "method", "url", "headers", "body", "needs", "when", "on_failure",
	"retry.attempts", "expect.status", "delay.duration", "for_each", "max_concurrency"}

// stepErrorPath splits "steps[3].url" into 3 and "url".
var stepErrorPath = regexp.MustCompile(`^steps\[(\d+)\](?:\.(.*))?$`)

// stepExtra keeps what a step has that its card does not show (a timeout,
// a flow key, the rest of its retry and expect policies, a delay until an
// instant), in a hidden field, so a save from the cards loses nothing the
// JSON view set.
type stepExtra struct {
	TimeoutMS    int             `json:"timeout_ms,omitempty"`
	FlowKey      string          `json:"flow_key,omitempty"`
	RetryBackoff string          `json:"retry_backoff,omitempty"`
	RetryDelay   string          `json:"retry_delay,omitempty"`
	RetryOn      []string        `json:"retry_on,omitempty"`
	JSONPath     string          `json:"json_path,omitempty"`
	Equals       json.RawMessage `json:"equals,omitempty"`
	DelayUntil   string          `json:"delay_until,omitempty"`
}

func (x stepExtra) empty() bool {
	return x.TimeoutMS == 0 && x.FlowKey == "" && x.RetryBackoff == "" && x.RetryDelay == "" && len(x.RetryOn) == 0 &&
		x.JSONPath == "" && len(x.Equals) == 0 && x.DelayUntil == ""
}

func stepPrefix(i int) string { return fmt.Sprintf("steps[%d].", i) }

// setStepValues writes step s into v as card i.
func setStepValues(v url.Values, i int, s *prikke.Step) {
	p := stepPrefix(i)
	set := func(name, value string) { v.Set(p+name, value) }
	set("key", s.Key)
	method := s.Method
	if method == "" {
		method = "GET"
	}
	set("method", method)
	set("url", s.URL)
	var hs []string
	for _, h := range s.Headers {
		hs = append(hs, h.Name+": "+h.Value)
	}
	set("headers", strings.Join(hs, "\n"))
	set("body", s.Body)
	switch {
	case s.Needs == nil:
		set("needs", "")
	case len(s.Needs) == 0:
		set("needs", "")
		set("start", "on")
	default:
		set("needs", strings.Join(s.Needs, ", "))
	}
	set("when", s.When)
	set("on_failure", string(s.Failure()))
	var x stepExtra
	x.TimeoutMS, x.FlowKey = s.TimeoutMS, s.FlowKey
	if s.Retry != nil {
		set("retry.attempts", strconv.Itoa(s.Retry.Attempts))
		x.RetryBackoff, x.RetryDelay, x.RetryOn = s.Retry.Backoff, s.Retry.Delay, s.Retry.On
	}
	if s.Expect != nil {
		set("expect.status", strings.Join(s.Expect.Status, ", "))
		x.JSONPath, x.Equals = s.Expect.JSONPath, s.Expect.Equals
	}
	if s.Delay != nil {
		set("delay.duration", s.Delay.Duration)
		x.DelayUntil = s.Delay.Until
	}
	set("for_each", s.ForEach)
	if s.MaxConcurrency != 0 {
		set("max_concurrency", strconv.Itoa(s.MaxConcurrency))
	}
	if !x.empty() {
		b, _ := json.Marshal(x)
		set("extra", string(b))
	}
}

// workflowForm fills the editor from a definition.
func workflowForm(name string, def *prikke.WorkflowDefinition, version int) *page.Form {
	v := url.Values{"name": {name}}
	if version > 0 {
		v.Set("version", strconv.Itoa(version))
	}
	for i := range def.Steps {
		setStepValues(v, i, &def.Steps[i])
	}
	return page.NewForm(v)
}

// newWorkflowForm is the editor of a new workflow: one empty step.
func newWorkflowForm() *page.Form {
	return workflowForm("", &prikke.WorkflowDefinition{Steps: []prikke.Step{{Key: "step-1", Method: "GET"}}}, 0)
}

// stepCount is the number of cards the form holds: steps[0] … steps[n-1]
// each have a key field.
func stepCount(f *page.Form) int {
	n := 0
	for {
		if _, ok := f.Values[stepPrefix(n)+"key"]; !ok {
			return n
		}
		n++
	}
}

// cardValues returns card i's fields, by name after its prefix.
func cardValues(f *page.Form, i int) url.Values {
	p := stepPrefix(i)
	out := url.Values{}
	for k, vs := range f.Values {
		if rest, ok := strings.CutPrefix(k, p); ok {
			out[rest] = vs
		}
	}
	return out
}

// setCards replaces the form's cards with cards, renumbered.
func setCards(f *page.Form, cards []url.Values) {
	for k := range f.Values {
		if strings.HasPrefix(k, "steps[") {
			delete(f.Values, k)
		}
	}
	for i, c := range cards {
		for k, vs := range c {
			f.Values[stepPrefix(i)+k] = vs
		}
	}
}

// editCards applies an editor button (op) to the cards and reports
// whether op was one.
func editCards(f *page.Form, op string) bool {
	n := stepCount(f)
	cards := make([]url.Values, n)
	for i := range cards {
		cards[i] = cardValues(f, i)
	}
	verb, arg, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(arg)
	if verb != "add" && (err != nil || i < 0 || i >= n) {
		return false
	}
	switch verb {
	case "add":
		used := map[string]bool{}
		for _, c := range cards {
			used[strings.TrimSpace(c.Get("key"))] = true
		}
		key := ""
		for k := n + 1; key == "" || used[key]; k++ {
			key = fmt.Sprintf("step-%d", k)
		}
		c := url.Values{"key": {key}, "method": {"GET"}, "on_failure": {"stop"}}
		cards = append(cards, c)
	case "remove":
		cards = append(cards[:i], cards[i+1:]...)
	case "up":
		if i > 0 {
			cards[i-1], cards[i] = cards[i], cards[i-1]
		}
	case "down":
		if i < n-1 {
			cards[i+1], cards[i] = cards[i], cards[i+1]
		}
	default:
		return false
	}
	setCards(f, cards)
	return true
}

// splitList reads "a, b c" as [a b c].
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// cardStep reads card i into a step. Problems only the form can see (a
// number that is not one, a header line without a colon) are recorded
// on the form, and the step gets a value the service refuses for that
// field, so nothing is saved in place of what was typed.
func cardStep(f *page.Form, i int) prikke.Step {
	p := stepPrefix(i)
	get := func(name string) string { return f.Get(p + name) }
	num := func(name string) int {
		s := strings.TrimSpace(get(name))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			f.SetError(p+name, "must be a whole number")
			return -1
		}
		return n
	}
	var x stepExtra
	if e := strings.TrimSpace(get("extra")); e != "" {
		_ = json.Unmarshal([]byte(e), &x) // the page wrote it; a tampered one is dropped
	}
	s := prikke.Step{
		Key: strings.TrimSpace(get("key")), Method: strings.ToUpper(strings.TrimSpace(get("method"))),
		URL: strings.TrimSpace(get("url")), Body: get("body"), When: strings.TrimSpace(get("when")),
		OnFailure: prikke.OnFailure(get("on_failure")), ForEach: strings.TrimSpace(get("for_each")),
		MaxConcurrency: num("max_concurrency"), TimeoutMS: x.TimeoutMS, FlowKey: x.FlowKey,
	}
	if s.OnFailure == prikke.OnFailureStop {
		s.OnFailure = ""
	}
	if hs, bad := parseHeaderLines(get("headers")); len(hs) > 0 {
		s.Headers = hs
		if bad != "" {
			f.SetError(p+"headers", bad)
		}
	}
	if get("start") != "" {
		s.Needs = []string{}
	} else if needs := splitList(get("needs")); len(needs) > 0 {
		s.Needs = needs
	}
	if a := strings.TrimSpace(get("retry.attempts")); a != "" || x.RetryBackoff != "" || x.RetryDelay != "" || len(x.RetryOn) > 0 {
		s.Retry = &prikke.StepRetry{Attempts: num("retry.attempts"), Backoff: x.RetryBackoff, Delay: x.RetryDelay, On: x.RetryOn}
	}
	if st := splitList(get("expect.status")); len(st) > 0 || x.JSONPath != "" || len(x.Equals) > 0 {
		s.Expect = &prikke.Expect{Status: st, JSONPath: x.JSONPath, Equals: x.Equals}
	}
	if d := strings.TrimSpace(get("delay.duration")); d != "" || x.DelayUntil != "" {
		s.Delay = &prikke.StepDelay{Duration: d, Until: x.DelayUntil}
		if s.URL == "" && s.Method == "GET" {
			s.Method = "" // a wait makes no request; the method select is only showing its default
		}
	}
	return s
}

// cardsDefinition reads every card.
func cardsDefinition(f *page.Form) *prikke.WorkflowDefinition {
	def := &prikke.WorkflowDefinition{Steps: []prikke.Step{}}
	for i := range stepCount(f) {
		def.Steps = append(def.Steps, cardStep(f, i))
	}
	return def
}

// jsonStep is a step as the API writes it: headers as an object of names
// to values (the outer field hides the embedded list).
type jsonStep struct {
	prikke.Step
	Headers headerObject `json:"headers,omitempty"`
}

// headerObject is headers as an object; reading, it also takes the list
// form ([{"name": …, "value": …}]) a pasted domain definition has.
type headerObject map[string]string

// UnmarshalJSON reads an object or a list of name and value pairs.
func (h *headerObject) UnmarshalJSON(b []byte) error {
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "[") {
		var list []prikke.Header
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*h = headerObject{}
		for _, x := range list {
			(*h)[x.Name] = x.Value
		}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*h = m
	return nil
}

// jsonDefinition is a definition as the API writes it.
type jsonDefinition struct {
	Steps []jsonStep `json:"steps"`
}

// definitionJSON is a definition as the JSON view shows it: the API's
// JSON, so what is pasted from one works in the other.
func definitionJSON(def *prikke.WorkflowDefinition) string {
	out := jsonDefinition{Steps: make([]jsonStep, len(def.Steps))}
	for i, s := range def.Steps {
		out.Steps[i].Step = s
		if len(s.Headers) > 0 {
			out.Steps[i].Headers = headerObject{}
			for _, h := range s.Headers {
				out.Steps[i].Headers[h.Name] = h.Value
			}
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// formDefinition reads the definition a save posts: the JSON box when the
// user changed it, the cards otherwise. A JSON box that does not parse is
// an error on "definition" (and nil).
func formDefinition(f *page.Form) *prikke.WorkflowDefinition {
	typed := jsonBox(f.Get("definition"))
	if typed == "" || typed == jsonBox(f.Get("definition_shown")) {
		return cardsDefinition(f)
	}
	def, ok := parseDefinition(f, typed)
	if !ok {
		return nil
	}
	return def
}

// jsonBox is the JSON box's text for comparing: browsers send a
// textarea's line breaks as CRLF.
func jsonBox(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

// parseDefinition reads the JSON box, recording a parse error on the form.
func parseDefinition(f *page.Form, typed string) (*prikke.WorkflowDefinition, bool) {
	var in jsonDefinition
	dec := json.NewDecoder(strings.NewReader(typed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		f.SetError("definition", "is not a workflow definition in JSON: "+err.Error())
		return nil, false
	}
	def := &prikke.WorkflowDefinition{Steps: make([]prikke.Step, len(in.Steps))}
	for i, js := range in.Steps {
		def.Steps[i] = js.Step
		def.Steps[i].Headers = nil
		for _, name := range slices.Sorted(maps.Keys(js.Headers)) {
			def.Steps[i].Headers = append(def.Steps[i].Headers, prikke.Header{Name: name, Value: js.Headers[name]})
		}
	}
	return def, true
}

// loadJSON replaces the cards with the JSON box's definition (the
// editor's "Edit as cards" button).
func loadJSON(f *page.Form) {
	def, ok := parseDefinition(f, f.Get("definition"))
	if !ok {
		return
	}
	fresh := workflowForm(f.Get("name"), def, 0)
	setCards(f, nil)
	for k, vs := range fresh.Values {
		if strings.HasPrefix(k, "steps[") {
			f.Values[k] = vs
		}
	}
}

// addWorkflowErrors puts the service's field errors beside the card
// fields: "steps[1].needs[0]" beside steps[1].needs, and the rest where
// the card lists them.
func addWorkflowErrors(f *page.Form, err error) {
	fields := prikke.ErrorFields(err)
	for _, fe := range fields {
		f.SetError(workflowErrorField(fe.Field), fe.Message)
	}
	if len(fields) == 0 {
		f.SetError("", prikke.ErrorMessage(err))
	}
}

// workflowErrorField maps an error's field to the editor's.
func workflowErrorField(field string) string {
	switch {
	case field == "definition.steps":
		return "steps"
	case strings.HasPrefix(field, "definition."):
		field = strings.TrimPrefix(field, "definition.")
	}
	m := stepErrorPath.FindStringSubmatch(field)
	if m == nil || m[2] == "" {
		return field
	}
	for _, name := range stepFields {
		if m[2] == name || strings.HasPrefix(m[2], name+".") || strings.HasPrefix(m[2], name+"[") {
			return "steps[" + m[1] + "]." + name
		}
	}
	return field
}

// stepCard is one card of the editor.
type stepCard struct {
	Index  int
	Form   *page.Form
	Count  int      // the number of cards, for the move buttons
	Others []string // errors about the step that no field of the card shows
}

// Name is a field's form name: {{$c.Name "url"}} is "steps[2].url".
func (c stepCard) Name(field string) string { return stepPrefix(c.Index) + field }

// Field is a card field for the "field" partial.
func (c stepCard) Field(field, label string, opts ...string) page.Field {
	return c.Form.Field(c.Name(field), label, opts...)
}

// Select is a card select for the "field" partial.
func (c stepCard) Select(field, label string, options []page.Option) page.Field {
	return c.Form.Select(c.Name(field), label, options)
}

// Get is a card field's value.
func (c stepCard) Get(field string) string { return c.Form.Get(c.Name(field)) }

// Number is the card's position, from 1.
func (c stepCard) Number() int { return c.Index + 1 }

// Last reports whether the card is the last one.
func (c stepCard) Last() bool { return c.Index == c.Count-1 }

// MethodOptions are the request methods a step may use.
func (stepCard) MethodOptions() []page.Option {
	var out []page.Option
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"} {
		out = append(out, page.Option{Value: m, Label: m})
	}
	return out
}

// FailureOptions are the choices of on_failure.
func (stepCard) FailureOptions() []page.Option {
	return []page.Option{{Value: "stop", Label: "Stop the run"}, {Value: "continue", Label: "Continue (dependents run)"}}
}

// stepCards builds the editor's cards from the form.
func stepCards(f *page.Form) []stepCard {
	n := stepCount(f)
	cards := make([]stepCard, n)
	shown := map[string]bool{}
	for _, name := range stepFields {
		shown[name] = true
	}
	for i := range cards {
		cards[i] = stepCard{Index: i, Form: f, Count: n}
	}
	for _, fe := range f.List() {
		m := stepErrorPath.FindStringSubmatch(fe.Field)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if i >= n || shown[m[2]] {
			continue
		}
		msg := fe.Message
		if m[2] != "" {
			msg = m[2] + ": " + msg
		}
		cards[i].Others = append(cards[i].Others, msg)
	}
	return cards
}
