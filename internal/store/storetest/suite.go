package storetest

import (
	"flag"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/prikke/prikke/internal/store"
)

// Exercise runs the conformance suite against the stores open returns.
// Every method of store.Store must be covered: a method no test declares
// fails the suite, so a new method cannot go untested.
func Exercise(t *testing.T, open Opener) {
	cov := &coverage{seen: map[string]bool{}}
	groups := []struct {
		name string
		fn   func(t *testing.T, open Opener, cov *coverage)
	}{
		{"Settings", testSettings},
		{"Organizations", testOrganizations},
		{"Projects", testProjects},
		{"Accounts", testAccounts},
		{"Jobs", testJobs},
		{"Inspect", testInspect},
		{"Engine", testEngine},
		{"Flow", testFlow},
		{"Notify", testNotify},
		{"Status", testStatus},
		{"Monitors", testMonitors},
		{"Workflows", testWorkflows},
		{"Billing", testBilling},
		{"Operator", testOperator},
		{"Queue", testQueue},
	}
	t.Run("group", func(t *testing.T) {
		for _, g := range groups {
			t.Run(g.name, func(t *testing.T) {
				t.Parallel()
				g.fn(t, open, cov)
			})
		}
	})
	if t.Failed() || t.Skipped() || subtestFilter() {
		return
	}
	var missing []string
	st := reflect.TypeFor[store.Store]()
	for i := range st.NumMethod() {
		if name := st.Method(i).Name; !cov.seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("store methods without conformance tests: %v", missing)
	}
}

// subtestFilter reports whether go test was asked for some of the
// suite's subtests only (-run TestConformance/group/Workflows): then
// methods the skipped groups cover are not missing.
func subtestFilter() bool {
	f := flag.Lookup("test.run")
	return f != nil && strings.Contains(f.Value.String(), "/")
}

// coverage records which store methods the tests exercise.
type coverage struct {
	mu   sync.Mutex
	seen map[string]bool
}

// covers declares that the calling test exercises these methods.
func (c *coverage) covers(methods ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range methods {
		c.seen[m] = true
	}
}
