package prikke_test

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os/exec"
	"path/filepath"
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

// TestNoCyclesBetweenDomainFiles keeps the root package's files layered:
// when job.go uses a name declared in execution.go, execution.go (and the
// files it uses) may not use a name declared in job.go. A name belongs in
// the file of the thing it describes (Priority with jobs, Header on its
// own, used by both jobs and executions).
func TestNoCyclesBetweenDomainFiles(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	declaredIn := map[string]string{} // package-level name → file
	files := map[string]*ast.File{}
	for _, f := range pkgs["prikke"].Files {
		name := filepath.Base(fset.Position(f.Package).Filename)
		files[name] = f
		for _, o := range f.Scope.Objects {
			declaredIn[o.Name] = name
		}
	}
	uses := map[string]map[string][]string{} // file → file → names
	for name, f := range files {
		// Unresolved holds the identifiers not declared in the file itself:
		// the other files' package-level names (and builtins).
		for _, id := range f.Unresolved {
			if other, ok := declaredIn[id.Name]; ok && other != name {
				if uses[name] == nil {
					uses[name] = map[string][]string{}
				}
				if !slices.Contains(uses[name][other], id.Name) {
					uses[name][other] = append(uses[name][other], id.Name)
				}
			}
		}
	}
	// Depth-first search for a path back to where it started.
	var path []string
	state := map[string]int{} // 1 on the path, 2 done
	var visit func(string)
	visit = func(f string) {
		state[f] = 1
		path = append(path, f)
		for _, next := range slices.Sorted(maps.Keys(uses[f])) {
			switch state[next] {
			case 1:
				i := slices.Index(path, next)
				cycle := append(slices.Clone(path[i:]), next)
				var hops []string
				for j := 0; j+1 < len(cycle); j++ {
					hops = append(hops, fmt.Sprintf("%s uses %s from %s", cycle[j], strings.Join(uses[cycle[j]][cycle[j+1]], ", "), cycle[j+1]))
				}
				t.Errorf("the root files use each other's names in a cycle: %s", strings.Join(hops, "; "))
			case 0:
				visit(next)
			}
		}
		path = path[:len(path)-1]
		state[f] = 2
	}
	for _, f := range slices.Sorted(maps.Keys(files)) {
		if state[f] == 0 {
			visit(f)
		}
	}
}
