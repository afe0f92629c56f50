package api_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestRouteTableStaysATable keeps routes.go a table to read at a glance:
// one line per route, `register(a, "METHOD /path", op, handler)`, with the
// reference's prose in the operation definitions beside the handlers.
func TestRouteTableStaysATable(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "routes" {
			continue
		}
		for _, st := range fd.Body.List {
			pos, end := fset.Position(st.Pos()), fset.Position(st.End())
			call, ok := st.(*ast.ExprStmt)
			var args []ast.Expr
			if ok {
				if c, ok := call.X.(*ast.CallExpr); ok && len(c.Args) == 4 {
					args = c.Args
				}
			}
			if args == nil {
				t.Errorf("routes.go:%d: not a register(a, route, op, handler) line", pos.Line)
				continue
			}
			lit, ok := args[1].(*ast.BasicLit)
			route := ""
			if ok {
				route, _ = strconv.Unquote(lit.Value)
			}
			method, path, _ := strings.Cut(route, " ")
			if method == "" || !(strings.HasPrefix(path, "/api/v1/") || strings.HasPrefix(path, "/webhooks/")) {
				t.Errorf("routes.go:%d: the route is not \"METHOD /api/v1/…\" (or a webhook, \"POST /webhooks/…\")", pos.Line)
			}
			if _, ok := args[2].(*ast.Ident); !ok {
				t.Errorf("routes.go:%d: define the operation beside its handler and name it here", pos.Line)
			}
			if pos.Line != end.Line || end.Column > 120 {
				t.Errorf("routes.go:%d: a route takes one short line", pos.Line)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no routes found in routes.go")
	}
}
