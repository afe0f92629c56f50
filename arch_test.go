package prikke_test

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"os/exec"
	pathpkg "path"
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
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	conf := &types.Config{
		// Only the package's own names matter here: every import is
		// checked as an empty package, and the errors that makes are
		// ignored (the compiler checks the rest).
		Importer: importerFunc(func(path string) (*types.Package, error) {
			p := types.NewPackage(path, pathpkg.Base(path))
			p.MarkComplete()
			return p, nil
		}),
		Error: func(error) {},
	}
	pkg, _ := conf.Check("prikke", fset, files, info)
	fileOf := func(p token.Pos) string { return filepath.Base(fset.Position(p).Filename) }
	uses := map[string]map[string][]string{} // file → file → names
	for id, obj := range info.Uses {
		// Only the package's own top-level names: not fields, methods or
		// locals, which belong to the declaration that holds them.
		if obj.Pkg() != pkg || obj.Parent() != pkg.Scope() {
			continue
		}
		from, to := fileOf(id.Pos()), fileOf(obj.Pos())
		if from == to {
			continue
		}
		if uses[from] == nil {
			uses[from] = map[string][]string{}
		}
		if !slices.Contains(uses[from][to], id.Name) {
			uses[from][to] = append(uses[from][to], id.Name)
			slices.Sort(uses[from][to])
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
	for _, f := range slices.Sorted(maps.Keys(uses)) {
		if state[f] == 0 {
			visit(f)
		}
	}
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// TestPackageMap keeps the README's package map true: every package in the
// tree has an entry and every entry a package, and each package imports
// only what its entry allows (after "→"; the domain is open to all).
func TestPackageMap(t *testing.T) {
	allowed := readPackageMap(t)
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}\t{{.ImportPath}}\t{{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	seen := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[1], module), "/")
		if pkg == "" {
			pkg = "."
		}
		seen[pkg] = true
		may, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s is missing from the README's package map", pkg)
			continue
		}
		for imp := range strings.FieldsSeq(f[2]) {
			if imp == module || !strings.HasPrefix(imp, module+"/") {
				continue // the domain, or not ours
			}
			imp = strings.TrimPrefix(imp, module+"/")
			if !may["everything"] && !may[strings.TrimPrefix(imp, "internal/")] {
				t.Errorf("%s imports %s, which its entry in the README's package map does not allow (→ %s)", pkg, imp, strings.Join(slices.Sorted(maps.Keys(may)), ", "))
			}
		}
	}
	for pkg := range allowed {
		if !seen[pkg] {
			t.Errorf("the README's package map lists %s, which is not a package in the tree", pkg)
		}
	}
}

// readPackageMap reads the README's package map: package → what of ours
// it may import ("internal/" left off; "everything" or nothing at all).
func readPackageMap(t *testing.T) map[string]map[string]bool {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Package map\n")
	if !ok {
		t.Fatal(`README.md has no "### Package map" section`)
	}
	_, block, ok := strings.Cut(section, "```\n")
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatal("the README's package map has no code block")
	}
	// An entry starts at the left margin; indented lines continue it.
	var entries []string
	for line := range strings.SplitSeq(block, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, " ") && len(entries) > 0:
			entries[len(entries)-1] += " " + strings.TrimSpace(line)
		default:
			entries = append(entries, line)
		}
	}
	out := map[string]map[string]bool{}
	for _, e := range entries {
		i := strings.LastIndex(e, "→")
		if i < 0 {
			t.Errorf("package map entry %q does not say what it may import (→ …)", e)
			continue
		}
		name := strings.TrimSuffix(strings.Fields(e)[0], "/")
		if name == "*.go" {
			name = "."
		}
		may := map[string]bool{}
		for imp := range strings.SplitSeq(e[i+len("→"):], ",") {
			if imp = strings.TrimSpace(imp); imp != "" && imp != "nothing" {
				may[imp] = true
			}
		}
		if _, dup := out[name]; dup {
			t.Errorf("the README's package map lists %s twice", name)
		}
		out[name] = may
	}
	return out
}
