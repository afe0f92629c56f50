package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// A hostile editor post (thousands of cards, a huge op index, broken
// JSON) answers quickly and without a 500.
func TestWorkflowEditorHostileForm(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	project := "/app/projects/" + tn.Project.ID.String()
	many := url.Values{"name": {"x"}, "op": {"add"}}
	for i := 0; i < 5000; i++ {
		many.Set(fmt.Sprintf("steps[%d].key", i), "k")
		many.Set(fmt.Sprintf("steps[%d].url", i), "https://example.com/")
	}
	for name, form := range map[string]url.Values{
		"many cards":  many,
		"op index":    {"name": {"x"}, "op": {"remove:99999999999999999999"}, "steps[0].key": {"a"}},
		"negative op": {"name": {"x"}, "op": {"up:-1"}, "steps[0].key": {"a"}},
		"bad json":    {"name": {"x"}, "op": {"save"}, "definition": {strings.Repeat("[", 50000)}, "definition_shown": {""}},
		"extra":       {"name": {"x"}, "op": {"save"}, "steps[0].key": {"a"}, "steps[0].extra": {strings.Repeat("{", 50000)}},
		"numbers":     {"name": {"x"}, "op": {"save"}, "steps[0].key": {"a"}, "steps[0].timeout_ms": {"99999999999999999999999"}, "steps[0].max_concurrency": {"-5"}},
		"headers":     {"name": {"x"}, "op": {"save"}, "steps[0].key": {"a"}, "steps[0].headers": {strings.Repeat("X: {{secrets.A}}\n", 5000)}},
	} {
		start := time.Now()
		p := b.post(project+"/workflows", form)
		if p.Status >= http.StatusInternalServerError {
			t.Errorf("%s: %d", name, p.Status)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
}
