package workflow

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// A body (256 KiB of template) that repeats a 64 KiB payload value must
// fail the step without rendering gigabytes first: the render stops once
// the output passes what a request may send.
func TestRenderAmplificationBounded(t *testing.T) {
	big := strings.Repeat("x", prikke.MaxRunPayloadBytes-32)
	ref := "{{payload.s}}"
	tmpl := strings.Repeat(ref, prikke.MaxBodyBytes/len(ref))
	for _, field := range []string{"body", "url", "header"} {
		s := newSim(t, http("call", func(st *prikke.Step) {
			switch field {
			case "body":
				st.Body = tmpl
			case "url":
				st.URL = "https://example.com/" + strings.Repeat(ref, 150)
			case "header":
				for i := 0; i < 50; i++ {
					st.Headers = append(st.Headers, prikke.Header{Name: "X-H" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Value: strings.Repeat(ref, 150)})
				}
			}
		}))
		payload, _ := json.Marshal(map[string]string{"s": big})
		s.run.Payload = payload
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s.apply(StartRun(s.state()))
		runtime.ReadMemStats(&after)
		if r := s.row("call", prikke.NoItem); r.Status != failed || r.JobID != nil {
			t.Errorf("%s: call row %s %q; want failed, too large", field, r.Status, r.Reason)
		} else {
			t.Logf("%s: %s", field, r.Reason)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
			t.Errorf("%s: the render allocated %d MiB", field, n>>20)
		}
	}
}

// A value written into a URL's host cannot move the request (and the
// secrets in its headers) to another host: /, ?, #, @, \ and spaces in
// the host's values fail the step; a plain name or name:port goes.
func TestHostValuesCannotRedirect(t *testing.T) {
	for _, tc := range []struct {
		url, value string
		ok         bool
	}{
		{"https://{{payload.v}}.api.example.com/v1", "eu", true},
		{"https://{{payload.v}}/v1", "api.example.com:8443", true},
		{"https://{{payload.v}}", "api.example.com", true},
		{"https://api.example.com/{{payload.v}}", "a/b?c#d@e", true}, // after the host: the path's business
		{"https://{{payload.v}}.api.example.com/v1", "evil.example/?", false},
		{"https://{{payload.v}}.api.example.com/v1", "evil.example#", false},
		{"https://{{payload.v}}.api.example.com/v1", "evil.example?", false},
		{"https://{{payload.v}}api.example.com/v1", "x@", false},
		{"https://{{payload.v}}.api.example.com/v1", `evil.example\`, false},
		{"https://{{payload.v}}.api.example.com/v1", "evil.example .x", false},
		{"https://x{{payload.v}}/v1", "\t", false},
	} {
		s := newSim(t, http("call", func(st *prikke.Step) {
			st.URL = tc.url
			st.Headers = []prikke.Header{{Name: "Authorization", Value: "Bearer {{secrets.API}}"}}
		}))
		payload, _ := json.Marshal(map[string]string{"v": tc.value})
		s.run.Payload = payload
		s.apply(StartRun(s.state()))
		r := s.row("call", prikke.NoItem)
		if got := r.Status != failed; got != tc.ok {
			t.Errorf("%s with %q: status %s %q", tc.url, tc.value, r.Status, r.Reason)
		}
		if !tc.ok && !strings.Contains(r.Reason, "host") {
			t.Errorf("%s with %q: reason %q", tc.url, tc.value, r.Reason)
		}
	}
}

// A delay's until repeating a 64 KiB payload value fails at once, without
// rendering it whole.
func TestDelayUntilAmplificationBounded(t *testing.T) {
	ref := "{{payload.s}}"
	s := newSim(t, prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Until: strings.Repeat(ref, 20000)}})
	payload, _ := json.Marshal(map[string]string{"s": strings.Repeat("x", prikke.MaxRunPayloadBytes-32)})
	s.run.Payload = payload
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s.apply(StartRun(s.state()))
	runtime.ReadMemStats(&after)
	if r := s.row("wait", prikke.NoItem); r.Status != failed || !strings.Contains(r.Reason, "delay.until") {
		t.Errorf("wait row %s %.200q", r.Status, r.Reason)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("the render allocated %d MiB", n>>20)
	}
}
