package workflow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/prikke/prikke/internal/expect"
	"github.com/prikke/prikke/internal/template"
)

// Cond is a parsed `when` condition: comparisons (== != < <= > >=) of
// paths and literals (numbers, "strings", true, false, null), combined with
// && || ! and parentheses; a bare path is true when present and not
// false, null, 0 or "". A path whose value is missing is null (so
// `steps.a.json.ok == true` is false when a has no ok).
type Cond struct {
	src  string
	root node
}

// node is one part of a condition's tree.
type node interface {
	eval(sc template.Scope) any
}

type (
	notNode struct{ x node }
	andNode struct{ l, r node }
	orNode  struct{ l, r node }
	cmpNode struct {
		op   string
		l, r node
	}
	litNode  struct{ v any }
	pathNode struct{ p template.Path }
)

func (n notNode) eval(sc template.Scope) any { return !truthy(n.x.eval(sc)) }
func (n andNode) eval(sc template.Scope) any { return truthy(n.l.eval(sc)) && truthy(n.r.eval(sc)) }
func (n orNode) eval(sc template.Scope) any  { return truthy(n.l.eval(sc)) || truthy(n.r.eval(sc)) }
func (n litNode) eval(template.Scope) any    { return n.v }
func (n pathNode) eval(sc template.Scope) any {
	v, ok := sc.Lookup(n.p)
	if !ok {
		return nil
	}
	return v
}

func (n cmpNode) eval(sc template.Scope) any {
	a, b := n.l.eval(sc), n.r.eval(sc)
	switch n.op {
	case "==":
		return expect.Equal(a, b)
	case "!=":
		return !expect.Equal(a, b)
	}
	c, ok := compare(a, b)
	if !ok {
		return false
	}
	switch n.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// ParseCond parses a condition.
func ParseCond(s string) (*Cond, error) {
	p := &condParser{s: s}
	p.skip()
	if p.i == len(s) {
		return nil, fmt.Errorf("condition is empty: write one such as steps.check.status == 200")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.i != len(s) {
		return nil, p.errorf("unexpected %q", p.rest())
	}
	return &Cond{src: s, root: n}, nil
}

// String returns the condition as written.
func (c *Cond) String() string { return c.src }

// Paths returns the paths the condition references.
func (c *Cond) Paths() []template.Path {
	var ps []template.Path
	var walk func(n node)
	walk = func(n node) {
		switch x := n.(type) {
		case notNode:
			walk(x.x)
		case andNode:
			walk(x.l)
			walk(x.r)
		case orNode:
			walk(x.l)
			walk(x.r)
		case cmpNode:
			walk(x.l)
			walk(x.r)
		case pathNode:
			ps = append(ps, x.p)
		}
	}
	walk(c.root)
	return ps
}

// Eval evaluates the condition in a scope.
func (c *Cond) Eval(sc template.Scope) bool { return truthy(c.root.eval(sc)) }

type condParser struct {
	s string
	i int
}

func (p *condParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *condParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 12 {
		r = r[:12] + "…"
	}
	return r
}

func (p *condParser) errorf(format string, args ...any) error {
	return fmt.Errorf("condition %q: at offset %d: %s", p.s, p.i, fmt.Sprintf(format, args...))
}

func (p *condParser) eat(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *condParser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.eat("||") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *condParser) and() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.eat("&&") {
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *condParser) unary() (node, error) {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], "!") && !strings.HasPrefix(p.s[p.i:], "!=") {
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	return p.comparison()
}

var cmpOps = []string{"==", "!=", "<=", ">=", "<", ">"}

func (p *condParser) comparison() (node, error) {
	p.skip()
	if p.eat("(") {
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, p.errorf("a ) is missing")
		}
		return x, nil
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.skip()
	for _, op := range cmpOps {
		if strings.HasPrefix(p.s[p.i:], op) {
			p.i += len(op)
			r, err := p.operand()
			if err != nil {
				return nil, err
			}
			return cmpNode{op, l, r}, nil
		}
	}
	if strings.HasPrefix(p.s[p.i:], "=") {
		return nil, p.errorf("use == to compare")
	}
	return l, nil
}

func (p *condParser) operand() (node, error) {
	p.skip()
	if p.i >= len(p.s) {
		return nil, p.errorf("a value is missing at the end")
	}
	c := p.s[p.i]
	switch {
	case c == '"':
		d := json.NewDecoder(strings.NewReader(p.s[p.i:]))
		var s string
		if err := d.Decode(&s); err != nil {
			return nil, p.errorf("a string must be in double quotes with JSON escapes")
		}
		p.i += int(d.InputOffset())
		return litNode{s}, nil
	case c == '-' || c >= '0' && c <= '9':
		j := p.i + 1
		for j < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[j]) >= 0 {
			j++
		}
		f, err := strconv.ParseFloat(p.s[p.i:j], 64)
		if err != nil {
			return nil, p.errorf("%q is not a number", p.s[p.i:j])
		}
		p.i = j
		return litNode{f}, nil
	}
	path, n, err := template.ScanPath(p.s[p.i:])
	if err != nil {
		return nil, p.errorf("expected a path (such as steps.check.status), a number, a \"string\", true, false or null, found %q", p.rest())
	}
	p.i += n
	if len(path) == 1 {
		switch path[0] {
		case "true":
			return litNode{true}, nil
		case "false":
			return litNode{false}, nil
		case "null":
			return litNode{nil}, nil
		}
	}
	return pathNode{path}, nil
}

// truthy is a bare value's truth: present and not false, null, 0 or "".
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	}
	if f, ok := expect.Number(v); ok {
		return f != 0
	}
	return true
}

// compare orders two numbers or two strings.
func compare(a, b any) (int, bool) {
	if x, ok := expect.Number(a); ok {
		y, ok := expect.Number(b)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	return strings.Compare(x, y), true
}
