// Package workflow is the brain of workflows, free of I/O: it validates a
// definition against a tier, evaluates `when` conditions and `expect`
// checks, decides a step's retries, and plans every run transition
// (Advance, Cancel, RetryFrom) as rows for a store to write in one
// transaction. The store locks the run's row, loads the run and all its
// step rows, calls a planner, and writes the Plan.
package workflow

import (
	"github.com/prikke/prikke"
)

// Needs returns each step's effective needs (nil Needs: the previous
// step; empty: none), by key.
func Needs(def *prikke.WorkflowDefinition) map[string][]string {
	m := make(map[string][]string, len(def.Steps))
	for i := range def.Steps {
		s := &def.Steps[i]
		switch {
		case s.Needs != nil:
			m[s.Key] = s.Needs
		case i > 0:
			m[s.Key] = []string{def.Steps[i-1].Key}
		default:
			m[s.Key] = []string{}
		}
	}
	return m
}

// Downstream returns key and every step that needs it, directly or not.
func Downstream(def *prikke.WorkflowDefinition, key string) []string {
	needs := Needs(def)
	in := map[string]bool{key: true}
	for changed := true; changed; {
		changed = false
		for _, s := range def.Steps {
			if in[s.Key] {
				continue
			}
			for _, n := range needs[s.Key] {
				if in[n] {
					in[s.Key], changed = true, true
					break
				}
			}
		}
	}
	out := []string{key}
	for _, s := range def.Steps {
		if in[s.Key] && s.Key != key {
			out = append(out, s.Key)
		}
	}
	return out
}

// Upstream returns every step key is reachable from through needs,
// directly or not (key itself excluded, cycles tolerated).
func Upstream(def *prikke.WorkflowDefinition, key string) map[string]bool {
	needs := Needs(def)
	up := map[string]bool{}
	var visit func(k string)
	visit = func(k string) {
		for _, n := range needs[k] {
			if !up[n] {
				up[n] = true
				visit(n)
			}
		}
	}
	visit(key)
	delete(up, key)
	return up
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
