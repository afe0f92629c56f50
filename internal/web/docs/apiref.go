package docs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// This file turns an OpenAPI 3.1 document, as huma v2 emits it, into the
// view of /docs/api. It reads only what the page shows and is generic: a
// new operation in the API appears in the docs without a change here.

type oaDoc struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	} `json:"info"`
	Servers []struct {
		URL string `json:"url"`
	} `json:"servers"`
	Tags []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tags"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas       map[string]*oaSchema      `json:"schemas"`
		Parameters    map[string]*oaParam       `json:"parameters"`
		RequestBodies map[string]*oaRequestBody `json:"requestBodies"`
		Responses     map[string]*oaResponse    `json:"responses"`
	} `json:"components"`
	Security []map[string][]string `json:"security"`

	// propExamples are the examples that properties carry anywhere in
	// the document, by property name, so a response's "name" shows the
	// request's example instead of "string".
	propExamples map[string]any
}

type oaOperation struct {
	OperationID string                 `json:"operationId"`
	Summary     string                 `json:"summary"`
	Description string                 `json:"description"`
	Tags        []string               `json:"tags"`
	Deprecated  bool                   `json:"deprecated"`
	Parameters  []*oaParam             `json:"parameters"`
	RequestBody *oaRequestBody         `json:"requestBody"`
	Responses   map[string]*oaResponse `json:"responses"`
	// Security is nil when the operation inherits the document's, and an
	// empty list when it needs no credentials.
	Security *[]map[string][]string `json:"security"`
}

type oaParam struct {
	Ref         string    `json:"$ref"`
	Name        string    `json:"name"`
	In          string    `json:"in"`
	Description string    `json:"description"`
	Required    bool      `json:"required"`
	Deprecated  bool      `json:"deprecated"`
	Schema      *oaSchema `json:"schema"`
	Example     any       `json:"example"`
}

type oaRequestBody struct {
	Ref         string             `json:"$ref"`
	Description string             `json:"description"`
	Required    bool               `json:"required"`
	Content     map[string]oaMedia `json:"content"`
}

type oaResponse struct {
	Ref         string             `json:"$ref"`
	Description string             `json:"description"`
	Content     map[string]oaMedia `json:"content"`
}

type oaMedia struct {
	Schema   *oaSchema `json:"schema"`
	Example  any       `json:"example"`
	Examples map[string]struct {
		Value any `json:"value"`
	} `json:"examples"`
}

type oaSchema struct {
	Ref                  string               `json:"$ref"`
	Type                 oaTypes              `json:"type"`
	Format               string               `json:"format"`
	Title                string               `json:"title"`
	Description          string               `json:"description"`
	Properties           map[string]*oaSchema `json:"properties"`
	Required             []string             `json:"required"`
	Items                *oaSchema            `json:"items"`
	AdditionalProperties json.RawMessage      `json:"additionalProperties"`
	Enum                 []any                `json:"enum"`
	Const                any                  `json:"const"`
	Default              any                  `json:"default"`
	Examples             []any                `json:"examples"`
	Example              any                  `json:"example"`
	Minimum              *float64             `json:"minimum"`
	Maximum              *float64             `json:"maximum"`
	MinLength            *int                 `json:"minLength"`
	MaxLength            *int                 `json:"maxLength"`
	MinItems             *int                 `json:"minItems"`
	MaxItems             *int                 `json:"maxItems"`
	Pattern              string               `json:"pattern"`
	ReadOnly             bool                 `json:"readOnly"`
	WriteOnly            bool                 `json:"writeOnly"`
	Deprecated           bool                 `json:"deprecated"`
	Nullable             bool                 `json:"nullable"` // OpenAPI 3.0
	OneOf                []*oaSchema          `json:"oneOf"`
	AnyOf                []*oaSchema          `json:"anyOf"`
	AllOf                []*oaSchema          `json:"allOf"`
}

// oaTypes is a schema's "type": one name, or a list in OpenAPI 3.1
// (["string", "null"]).
type oaTypes []string

func (t *oaTypes) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*t = oaTypes{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("schema type: %w", err)
	}
	*t = many
	return nil
}

// APIReference is the view of /docs/api.
type APIReference struct {
	Title       string
	Version     string
	Description string
	Groups      []APIGroup
}

// APIGroup is one tag's operations, shown on its own page,
// /docs/api/<Slug>.
type APIGroup struct {
	Name        string
	ID          string
	Slug        string
	Description string
	Operations  []APIOperation
}

// Group returns the group with the given slug, or nil.
func (r *APIReference) Group(slug string) *APIGroup {
	for i := range r.Groups {
		if r.Groups[i].Slug == slug {
			return &r.Groups[i]
		}
	}
	return nil
}

// APIOperation is one endpoint.
type APIOperation struct {
	ID           string
	Method       string
	Path         string
	Summary      string
	Description  string
	Deprecated   bool
	Auth         bool
	Parameters   []APIField
	BodyRequired bool
	BodyType     string
	Body         []APIField
	BodySameAs   *APIOperation // the operation on the page that lists the same body fields; Body is then nil
	Responses    []APIResponse
	Curl         string
	// ResponseStatus and ResponseExample are the success response and an
	// example of its body (JSON), built from the schema's examples; the
	// example is "" when the response has no body.
	ResponseStatus  string
	ResponseExample string
}

// APIResponse is one documented response.
type APIResponse struct {
	Status      string
	Description string
	ContentType string
	Type        string
	Fields      []APIField
	SameAs      *APIOperation // the operation on the page that lists the same fields; Fields is then nil
}

// APIField is a parameter or a (possibly nested) field of a body.
type APIField struct {
	Name        string // "headers[].name" for nested fields
	In          string // for parameters: path, query, header, cookie
	Type        string
	Required    bool
	ReadOnly    bool
	Deprecated  bool
	Description string
	Details     []string // "one of: a, b", "default: 5", "1 to 30000"
	Depth       int
}

// maxDepth bounds nested fields and example bodies; recursive schemas stop
// here.
const maxDepth = 4

var methodOrder = []string{"get", "post", "put", "patch", "delete", "head", "options"}

// ParseAPIReference reads an OpenAPI document into the reference view.
func ParseAPIReference(raw []byte) (*APIReference, error) {
	var doc oaDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	if doc.Paths == nil {
		return nil, errors.New("openapi: the document has no paths")
	}
	doc.collectExamples()
	ref := &APIReference{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description}
	prefix := ""
	if len(doc.Servers) > 0 {
		if u, err := url.Parse(doc.Servers[0].URL); err == nil {
			prefix = strings.TrimRight(u.Path, "/")
		}
	}

	groups := map[string]*APIGroup{}
	var order []string
	for _, t := range doc.Tags {
		groups[t.Name] = &APIGroup{Name: t.Name, Description: t.Description}
		order = append(order, t.Name)
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var extra []string
	for _, p := range paths {
		item := doc.Paths[p]
		var shared []*oaParam
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				return nil, fmt.Errorf("openapi: %s parameters: %w", p, err)
			}
		}
		for _, m := range methodOrder {
			raw, ok := item[m]
			if !ok {
				continue
			}
			var op oaOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("openapi: %s %s: %w", strings.ToUpper(m), p, err)
			}
			view := doc.operation(strings.ToUpper(m), p, prefix, &op, shared)
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g := groups[tag]
			if g == nil {
				g = &APIGroup{Name: tag}
				groups[tag] = g
				extra = append(extra, tag)
			}
			g.Operations = append(g.Operations, view)
		}
	}
	sort.Strings(extra)
	for _, name := range append(order, extra...) {
		if g := groups[name]; len(g.Operations) > 0 {
			g.ID, g.Slug = "tag-"+slug(name), slug(name)
			g.shareFields()
			ref.Groups = append(ref.Groups, *g)
		}
	}
	return ref, nil
}

// collectExamples fills propExamples from the component schemas, in
// name order so the result does not depend on map order.
func (d *oaDoc) collectExamples() {
	d.propExamples = map[string]any{}
	names := make([]string, 0, len(d.Components.Schemas))
	for name := range d.Components.Schemas {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := d.Components.Schemas[name]
		if s == nil {
			continue
		}
		for prop, p := range s.Properties {
			if _, ok := d.propExamples[prop]; ok || p == nil {
				continue
			}
			switch {
			case len(p.Examples) > 0:
				d.propExamples[prop] = p.Examples[0]
			case p.Example != nil:
				d.propExamples[prop] = p.Example
			}
		}
	}
}

// shareFields lists each body type's fields once per page: a later
// operation with the same request or response type refers to the first
// instead of repeating the table (a Job has some thirty fields, and most
// of the Jobs operations return one). Error responses list none: their
// shape is the same everywhere and the basics describe it.
func (g *APIGroup) shareFields() {
	first := map[string]*APIOperation{}
	for i := range g.Operations {
		op := &g.Operations[i]
		if op.BodyType != "" && len(op.Body) > 0 {
			if f, ok := first["request "+op.BodyType]; ok {
				op.Body, op.BodySameAs = nil, f
			} else {
				first["request "+op.BodyType] = op
			}
		}
		for j := range op.Responses {
			r := &op.Responses[j]
			switch {
			case len(r.Fields) == 0:
			case r.Status == "Error" || !strings.HasPrefix(r.Status, "2"):
				r.Fields = nil
			default:
				if f, ok := first["response "+r.Type]; ok {
					r.Fields, r.SameAs = nil, f
				} else {
					first["response "+r.Type] = op
				}
			}
		}
	}
}

func (d *oaDoc) operation(method, path, prefix string, op *oaOperation, shared []*oaParam) APIOperation {
	v := APIOperation{
		Method: method, Path: prefix + path, Summary: op.Summary, Description: op.Description,
		Deprecated: op.Deprecated,
	}
	v.ID = "op-" + slug(op.OperationID)
	if op.OperationID == "" {
		v.ID = "op-" + slug(method+" "+path)
	}
	if v.Summary == "" {
		v.Summary = method + " " + v.Path
	}
	security := d.Security
	if op.Security != nil {
		security = *op.Security
	}
	for _, req := range security {
		if len(req) > 0 {
			v.Auth = true
		}
	}

	// Parameters: the path item's, overridden by the operation's.
	params := map[string]*oaParam{}
	var paramOrder []string
	for _, p := range append(slices.Clone(shared), op.Parameters...) {
		p = d.param(p)
		if p == nil {
			continue
		}
		key := p.In + ":" + p.Name
		if _, seen := params[key]; !seen {
			paramOrder = append(paramOrder, key)
		}
		params[key] = p
	}
	var ordered []*oaParam
	for _, key := range paramOrder {
		ordered = append(ordered, params[key])
	}
	// Path parameters first, then the rest as the spec lists them.
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].In == "path" && ordered[j].In != "path" })
	for _, p := range ordered {
		s := d.resolve(p.Schema)
		f := APIField{Name: p.Name, In: p.In, Required: p.Required || p.In == "path", Deprecated: p.Deprecated,
			Description: p.Description, Type: d.typeName(p.Schema, 0)}
		if s != nil {
			if f.Description == "" {
				f.Description = s.Description
			}
			f.Details = details(s)
		}
		v.Parameters = append(v.Parameters, f)
	}

	var bodyExample any
	if rb := d.requestBody(op.RequestBody); rb != nil {
		if ct, m, ok := pickMedia(rb.Content); ok {
			v.BodyRequired = rb.Required
			v.BodyType = d.typeName(m.Schema, 0)
			if ct != "application/json" {
				v.BodyType += " (" + ct + ")"
			}
			v.Body = d.fields(m.Schema, "", 0, map[string]bool{}, true)
			bodyExample = d.mediaExample(m)
		}
	}

	codes := make([]string, 0, len(op.Responses))
	for code := range op.Responses {
		codes = append(codes, code)
	}
	sort.Slice(codes, func(i, j int) bool { // numbers first, "default" last
		if (codes[i] == "default") != (codes[j] == "default") {
			return codes[j] == "default"
		}
		return codes[i] < codes[j]
	})
	for _, code := range codes {
		resp := d.response(op.Responses[code])
		if resp == nil {
			continue
		}
		r := APIResponse{Status: code, Description: resp.Description}
		if code == "default" {
			r.Status = "Error"
		}
		ct, m, hasBody := pickMedia(resp.Content)
		if hasBody && m.Schema != nil {
			r.ContentType = ct
			r.Type = d.typeName(m.Schema, 0)
			r.Fields = d.fields(m.Schema, "", 0, map[string]bool{}, false)
		}
		v.Responses = append(v.Responses, r)
		if v.ResponseStatus == "" && strings.HasPrefix(code, "2") {
			v.ResponseStatus = code
			if hasBody && ct == "application/json" {
				ex := m.Example
				if ex == nil {
					ex = d.example(m.Schema, 0, map[string]bool{}, false, true)
				}
				if js, err := json.MarshalIndent(ex, "", "  "); err == nil {
					v.ResponseExample = string(js)
				}
			}
		}
	}
	v.Curl = d.curl(method, prefix+path, v.Auth, ordered, bodyExample, v.Body != nil || bodyExample != nil)
	return v
}

// pickMedia prefers JSON among a body's media types.
func pickMedia(content map[string]oaMedia) (string, oaMedia, bool) {
	if m, ok := content["application/json"]; ok {
		return "application/json", m, true
	}
	types := make([]string, 0, len(content))
	for ct := range content {
		types = append(types, ct)
	}
	sort.Strings(types)
	for _, ct := range types {
		if strings.HasSuffix(ct, "json") {
			return ct, content[ct], true
		}
	}
	if len(types) > 0 {
		return types[0], content[types[0]], true
	}
	return "", oaMedia{}, false
}

// refName returns "Job" for "#/components/schemas/Job".
func refName(ref string) string {
	return ref[strings.LastIndex(ref, "/")+1:]
}

func (d *oaDoc) param(p *oaParam) *oaParam {
	for i := 0; p != nil && p.Ref != "" && i < 10; i++ {
		p = d.Components.Parameters[refName(p.Ref)]
	}
	return p
}

func (d *oaDoc) requestBody(b *oaRequestBody) *oaRequestBody {
	for i := 0; b != nil && b.Ref != "" && i < 10; i++ {
		b = d.Components.RequestBodies[refName(b.Ref)]
	}
	return b
}

func (d *oaDoc) response(r *oaResponse) *oaResponse {
	for i := 0; r != nil && r.Ref != "" && i < 10; i++ {
		r = d.Components.Responses[refName(r.Ref)]
	}
	return r
}

// resolve follows $ref into #/components/schemas and merges allOf, so the
// caller sees one schema with properties.
func (d *oaDoc) resolve(s *oaSchema) *oaSchema {
	for i := 0; s != nil && s.Ref != "" && i < 10; i++ {
		s = d.Components.Schemas[refName(s.Ref)]
	}
	if s == nil || len(s.AllOf) == 0 {
		return s
	}
	merged := *s
	merged.AllOf = nil
	merged.Properties = map[string]*oaSchema{}
	for k, p := range s.Properties {
		merged.Properties[k] = p
	}
	for _, part := range s.AllOf {
		part = d.resolve(part)
		if part == nil {
			continue
		}
		for k, p := range part.Properties {
			merged.Properties[k] = p
		}
		merged.Required = append(merged.Required, part.Required...)
		if len(merged.Type) == 0 {
			merged.Type = part.Type
		}
		if merged.Description == "" {
			merged.Description = part.Description
		}
	}
	return &merged
}

// typeName describes a schema's type for people: "string", "integer or
// null", "array of Header", "map of string", "Job".
func (d *oaDoc) typeName(s *oaSchema, depth int) string {
	if s == nil {
		return "any"
	}
	if s.Ref != "" {
		return refName(s.Ref)
	}
	if depth > maxDepth {
		return "…"
	}
	var names []string
	nullable := s.Nullable
	for _, t := range s.Type {
		switch t {
		case "null":
			nullable = true
		case "array":
			names = append(names, "array of "+d.typeName(s.Items, depth+1))
		case "object":
			if m := d.mapValue(s); m != nil {
				names = append(names, "map of "+d.typeName(m, depth+1))
			} else {
				names = append(names, "object")
			}
		default:
			if s.Format != "" && (t == "string" || t == "integer" || t == "number") && !strings.HasPrefix(s.Format, "int") {
				names = append(names, t+" ("+s.Format+")")
			} else {
				names = append(names, t)
			}
		}
	}
	if len(names) == 0 {
		for _, alt := range append(s.OneOf, s.AnyOf...) {
			names = append(names, d.typeName(alt, depth+1))
		}
	}
	if len(names) == 0 {
		if len(s.Properties) > 0 {
			names = []string{"object"}
		} else {
			names = []string{"any"}
		}
	}
	// An empty list or map may come as null (Go's nil), which is no
	// different to a reader: "array of Header", not "array of Header or
	// null".
	if nullable && !(len(names) == 1 && (strings.HasPrefix(names[0], "array of ") || strings.HasPrefix(names[0], "map of "))) {
		names = append(names, "null")
	}
	return strings.Join(names, " or ")
}

// mapValue returns the value schema of an object used as a map
// (additionalProperties is a schema), or nil.
func (d *oaDoc) mapValue(s *oaSchema) *oaSchema {
	if len(s.AdditionalProperties) == 0 || s.AdditionalProperties[0] != '{' {
		return nil
	}
	var v oaSchema
	if json.Unmarshal(s.AdditionalProperties, &v) != nil {
		return nil
	}
	return &v
}

// details lists a schema's constraints in words.
func details(s *oaSchema) []string {
	var out []string
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			vals[i] = fmt.Sprint(e)
		}
		out = append(out, "one of: "+strings.Join(vals, ", "))
	}
	if s.Const != nil {
		out = append(out, "always "+jsonText(s.Const))
	}
	if s.Default != nil {
		out = append(out, "default: "+jsonText(s.Default))
	}
	switch {
	case s.Minimum != nil && s.Maximum != nil:
		out = append(out, fmt.Sprintf("%s to %s", num(*s.Minimum), num(*s.Maximum)))
	case s.Minimum != nil:
		out = append(out, "at least "+num(*s.Minimum))
	case s.Maximum != nil:
		out = append(out, "at most "+num(*s.Maximum))
	}
	if s.MinLength != nil && *s.MinLength > 0 {
		out = append(out, fmt.Sprintf("at least %d characters", *s.MinLength))
	}
	if s.MaxLength != nil {
		out = append(out, fmt.Sprintf("at most %d characters", *s.MaxLength))
	}
	if s.MaxItems != nil {
		out = append(out, fmt.Sprintf("at most %d items", *s.MaxItems))
	}
	if s.Pattern != "" {
		out = append(out, "pattern: "+s.Pattern)
	}
	ex := s.Example
	if len(s.Examples) > 0 {
		ex = s.Examples[0]
	}
	if ex != nil && len(s.Enum) == 0 {
		out = append(out, "example: "+jsonText(ex))
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// fields flattens an object schema into a field list: nested objects and
// arrays of objects add "parent." and "parent[]." prefixes. request leaves
// out read-only fields (the server sets them).
func (d *oaDoc) fields(s *oaSchema, prefix string, depth int, seen map[string]bool, request bool) []APIField {
	r, seen := d.enter(s, depth, seen)
	if r == nil {
		return nil
	}
	if slices.Contains(r.Type, "array") && prefix == "" && depth == 0 {
		// A top-level array: describe its items.
		return d.fields(r.Items, "[]", depth+1, seen, request)
	}
	names := make([]string, 0, len(r.Properties))
	for name, p := range r.Properties {
		if name == "$schema" || (request && p.ReadOnly) || (!request && p.WriteOnly) {
			continue
		}
		names = append(names, name)
	}
	// Required fields first, each group alphabetical.
	sort.Slice(names, func(i, j int) bool {
		ri, rj := slices.Contains(r.Required, names[i]), slices.Contains(r.Required, names[j])
		if ri != rj {
			return ri
		}
		return names[i] < names[j]
	})
	var out []APIField
	for _, name := range names {
		p := r.Properties[name]
		pr := d.resolve(p)
		full := prefix + name
		if prefix == "[]" {
			full = "[]." + name
		}
		f := APIField{Name: full, Type: d.typeName(p, 0), Required: slices.Contains(r.Required, name), Depth: depth}
		if pr != nil {
			f.Description, f.ReadOnly, f.Deprecated, f.Details = pr.Description, pr.ReadOnly, pr.Deprecated, details(pr)
		}
		if p.Description != "" { // a description next to a $ref wins
			f.Description = p.Description
		}
		out = append(out, f)
		if pr == nil {
			continue
		}
		switch {
		case len(pr.Properties) > 0:
			out = append(out, d.fields(p, full+".", depth+1, seen, request)...)
		case slices.Contains(pr.Type, "array") && pr.Items != nil:
			if items := d.resolve(pr.Items); items != nil && len(items.Properties) > 0 {
				out = append(out, d.fields(pr.Items, full+"[].", depth+1, seen, request)...)
			}
		}
	}
	return out
}

// enter resolves s for a walk at depth: nil past maxDepth, or at a
// reference the walk is already inside (a cycle). seen comes back as a
// copy with s's reference added, so sibling branches do not see each
// other's references.
func (d *oaDoc) enter(s *oaSchema, depth int, seen map[string]bool) (*oaSchema, map[string]bool) {
	if s == nil || depth > maxDepth {
		return nil, seen
	}
	if s.Ref != "" {
		if seen[s.Ref] {
			return nil, seen
		}
		next := make(map[string]bool, len(seen)+1)
		for k, v := range seen {
			next[k] = v
		}
		next[s.Ref] = true
		seen = next
	}
	return d.resolve(s), seen
}

// mediaExample picks or builds an example body: the media type's own
// example, else one made from the schema's examples and defaults.
func (d *oaDoc) mediaExample(m oaMedia) any {
	if m.Example != nil {
		return m.Example
	}
	names := make([]string, 0, len(m.Examples))
	for name := range m.Examples {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if v := m.Examples[name].Value; v != nil {
			return v
		}
	}
	return d.example(m.Schema, 0, map[string]bool{}, true, false)
}

// example builds an example value of a schema. For a request (full
// false) objects include the required properties and the optional ones
// that carry an example, leaving out read-only properties: a small body
// that shows the shape. For a response (full) they include every property
// but write-only ones: what a client gets back.
func (d *oaDoc) example(s *oaSchema, depth int, seen map[string]bool, top, full bool) any {
	return d.exampleNamed(s, "", depth, seen, top, full)
}

// ExampleID is the example of a string id, which the schemas do not
// mark as such.
const ExampleID = "01936b2e-8f3a-7c4d-9e5f-0a1b2c3d4e5f"

func (d *oaDoc) exampleNamed(s *oaSchema, name string, depth int, seen map[string]bool, top, full bool) any {
	r, seen := d.enter(s, depth, seen)
	if r == nil {
		return nil
	}
	switch {
	case len(r.Examples) > 0:
		return r.Examples[0]
	case r.Example != nil:
		return r.Example
	case r.Const != nil:
		return r.Const
	case r.Default != nil && !top:
		return r.Default
	case len(r.Enum) > 0:
		return r.Enum[0]
	}
	kind := ""
	for _, t := range r.Type {
		if t != "null" {
			kind = t
			break
		}
	}
	// An id is never borrowed: one resource's id example is not another's
	// (a run's id shown as a job's).
	if ex, ok := d.propExamples[name]; ok && full && name != "" && name != "id" {
		// Borrowed from a property of the same name elsewhere, when it is
		// of the same kind.
		switch ex.(type) {
		case string:
			if kind == "string" && r.Format == "" {
				return ex
			}
		case float64:
			if kind == "integer" || kind == "number" {
				return ex
			}
		case bool:
			if kind == "boolean" {
				return ex
			}
		}
	}
	if kind == "" && len(r.Properties) > 0 {
		kind = "object"
	}
	switch kind {
	case "object":
		obj := map[string]any{}
		for pname, p := range r.Properties {
			pr := d.resolve(p)
			if pname == "$schema" || pr == nil || (!full && pr.ReadOnly) || (full && pr.WriteOnly) {
				continue
			}
			// Optional properties appear when they carry an example of
			// their own, or (in a response) when they are objects: in a
			// response they are often absent ("error" only on failures),
			// and "string" would mislead.
			if !slices.Contains(r.Required, pname) && !hasExample(pr) && !(full && len(pr.Properties) > 0) {
				continue
			}
			if v := d.exampleNamed(p, pname, depth+1, seen, false, full); v != nil {
				obj[pname] = v
			}
		}
		if len(obj) == 0 {
			if m := d.mapValue(r); m != nil {
				if v := d.example(m, depth+1, seen, false, full); v != nil {
					obj["key"] = v
				}
			}
		}
		return obj
	case "array":
		if v := d.exampleNamed(r.Items, "", depth+1, seen, false, full); v != nil {
			return []any{v}
		}
		return []any{}
	case "string":
		if r.Format == "" && (name == "id" || strings.HasSuffix(name, "_id")) {
			return ExampleID
		}
		switch r.Format {
		case "date-time":
			return "2026-12-24T18:00:00Z"
		case "date":
			return "2026-12-24"
		case "uri", "url":
			return "https://example.com/hook"
		case "email":
			return "you@example.com"
		case "uuid":
			return ExampleID
		}
		return "string"
	case "integer", "number":
		if r.Minimum != nil {
			return *r.Minimum
		}
		return 0
	case "boolean":
		return !full // a flag a client sets is shown set; one a server reports, in its usual state
	}
	return nil
}

func hasExample(s *oaSchema) bool {
	return len(s.Examples) > 0 || s.Example != nil || s.Const != nil
}

// curl builds the operation's curl command. Path parameters become shell
// variables ($JOB_ID), required query and header parameters take their
// examples, and the body is the example body.
func (d *oaDoc) curl(method, path string, auth bool, params []*oaParam, body any, hasBody bool) string {
	u := "$PRIKKE_URL"
	segments := strings.Split(path, "/")
	for i, seg := range segments {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			prev := ""
			if i > 0 {
				prev = segments[i-1]
			}
			segments[i] = "$" + shellVar(strings.Trim(seg, "{}"), prev)
		}
	}
	u += strings.Join(segments, "/")
	var query []string
	var headers []string
	for _, p := range params {
		if !p.Required {
			continue
		}
		val := p.Example
		if s := d.resolve(p.Schema); val == nil && s != nil {
			val = d.example(p.Schema, 0, map[string]bool{}, false, false)
		}
		text := fmt.Sprint(val)
		if s, ok := val.(string); ok {
			text = s
		}
		switch p.In {
		case "query":
			query = append(query, url.QueryEscape(p.Name)+"="+url.QueryEscape(text))
		case "header":
			headers = append(headers, p.Name+": "+text)
		}
	}
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	var b strings.Builder
	b.WriteString("curl")
	if method != "GET" {
		b.WriteString(" -X " + method)
	}
	b.WriteString(` "` + u + `"`)
	if auth {
		b.WriteString(" \\\n  -H \"Authorization: Bearer $PRIKKE_API_KEY\"")
	}
	for _, hd := range headers {
		b.WriteString(" \\\n  -H " + shellQuote(hd))
	}
	if hasBody {
		if body == nil {
			body = map[string]any{}
		}
		js, err := json.MarshalIndent(body, "  ", "  ")
		if err == nil {
			b.WriteString(" \\\n  -H \"Content-Type: application/json\"")
			b.WriteString(" \\\n  -d " + shellQuote(string(js)))
		}
	}
	return b.String()
}

// shellVar names the shell variable of a path parameter: {id} after
// "jobs" is JOB_ID, {executionId} is EXECUTION_ID.
func shellVar(param, prev string) string {
	name := param
	if strings.EqualFold(param, "id") && prev != "" && !strings.HasPrefix(prev, "{") {
		name = strings.TrimSuffix(prev, "s") + "_id"
	}
	var b strings.Builder
	for i, r := range name {
		switch {
		case r >= 'A' && r <= 'Z':
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// shellQuote wraps s in single quotes for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// slug makes an anchor id from a name.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
