package prikke_test

import (
	"go/build"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/prikke/prikke"

// TestDomainImportsNothingOfOurs keeps the root package at the bottom of
// the dependency arrows: every other package may use the domain types, so
// the domain may use none of them.
func TestDomainImportsNothingOfOurs(t *testing.T) {
	p, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range p.Imports {
		if strings.HasPrefix(imp, module+"/") {
			t.Errorf("package prikke imports %s; the domain must import nothing of ours", imp)
		}
	}
}

// TestArrowsPointOneWay fails when a package depends, directly or through
// others, on one above it: api/web → service → engine packages → store →
// domain. service is shared by both HTTP surfaces and must not know HTTP
// serving; the store must not know its callers.
func TestArrowsPointOneWay(t *testing.T) {
	forbidden := map[string][]string{
		"internal/service":   {"internal/httpserver", "internal/api", "internal/web"},
		"internal/store/...": {"internal/service", "internal/httpserver", "internal/api", "internal/web"},
	}
	for pkg, never := range forbidden {
		deps := listDeps(t, "./"+pkg)
		if len(deps) == 0 {
			t.Fatalf("no dependencies listed for %s", pkg)
		}
		for _, n := range never {
			for _, d := range deps {
				if d == module+"/"+n || strings.HasPrefix(d, module+"/"+n+"/") {
					t.Errorf("%s depends on %s; the arrows must point down (see the package map in the README)", pkg, d)
				}
			}
		}
	}
}

// listDeps returns the import paths pkg depends on, itself included.
func listDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	deps := strings.Fields(string(out))
	if self := module + "/" + strings.TrimSuffix(strings.TrimPrefix(pkg, "./"), "/..."); !slices.Contains(deps, self) {
		t.Fatalf("go list -deps %s did not list the package itself: %q", pkg, out)
	}
	return deps
}
