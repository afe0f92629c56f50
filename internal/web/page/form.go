package page

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/prikke/prikke"
)

// Form carries a submitted form back into its template: the values as the
// user typed them and one message per invalid field. A handler re-renders
// the page with its Form when validation fails:
//
//	form := NewForm(r.PostForm)
//	if err := job.Validate(); form.AddErrors(err) {
//		h.render(w, r, http.StatusUnprocessableEntity, "job_edit", jobEditView{Form: form})
//		return
//	}
//
// and the template draws each field with the "field" partial, which puts the
// message beside the input and links the two with aria-describedby:
//
//	{{template "field" (.Data.Form.Field "name" "Name" "required" "hint=Shown in alerts.")}}
//	{{template "form_errors" .Data.Form}}   (a summary at the top, linking to each field)
type Form struct {
	Values url.Values
	Errors map[string]string // field name → message
	// Prefix makes the element ids of this form's fields unique when one
	// page has several forms with the same field names ("field-<prefix>-<name>").
	Prefix string
	order  []string // fields in the order their errors were added
}

// NewForm returns a Form holding values (nil is fine for an empty form).
func NewForm(values url.Values) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{Values: values, Errors: map[string]string{}}
}

// Get returns the submitted value of a field.
func (f *Form) Get(name string) string { return f.Values.Get(name) }

// SetError records a message for a field; the first message wins.
func (f *Form) SetError(field, message string) {
	if _, ok := f.Errors[field]; ok {
		return
	}
	f.Errors[field] = message
	f.order = append(f.order, field)
}

// AddErrors records the field errors of a domain error (a *prikke.Error
// from Validate) and reports whether err was non-nil. An error without
// field details goes under the empty field name, which form_errors shows.
func (f *Form) AddErrors(err error) bool {
	if err == nil {
		return false
	}
	fields := prikke.ErrorFields(err)
	for _, fe := range fields {
		f.SetError(fe.Field, fe.Message)
	}
	if len(fields) == 0 {
		f.SetError("", prikke.ErrorMessage(err))
	}
	return true
}

// Valid reports whether no errors were recorded.
func (f *Form) Valid() bool { return len(f.Errors) == 0 }

// FormError is one entry of the error summary.
type FormError struct {
	Field   string
	ID      string // the input's id, for the summary's links ("" for form-wide errors)
	Message string
}

// List returns the errors in the order they were added, for form_errors.
func (f *Form) List() []FormError {
	out := make([]FormError, 0, len(f.order))
	for _, name := range f.order {
		e := FormError{Field: name, Message: f.Errors[name]}
		if name != "" {
			e.ID = f.id(name)
		}
		out = append(out, e)
	}
	return out
}

// Option is one choice of a select field.
type Option struct {
	Value string
	Label string
}

// Field is what the "field" partial draws: a label, an input (or textarea
// or select), an optional hint and the field's error message.
type Field struct {
	ID           string // "field-" + name, unless id= says otherwise
	Name         string
	Label        string
	Type         string // input type; "textarea" and "select" switch the element
	Value        string
	Error        string
	Hint         string
	Placeholder  string
	Autocomplete string
	InputMode    string
	Required     bool
	Rows         int
	Options      []Option // select only
	Mono         bool     // monospace input, for cron expressions, URLs, keys
	List         string   // the id of a <datalist> of suggestions
}

// Field describes a form field for the "field" partial. opts are
// "key=value" strings: type=, hint=, placeholder=, autocomplete=,
// inputmode=, rows=, id=, list= (a datalist's id), and the flags
// "required" and "mono".
func (f *Form) Field(name, label string, opts ...string) Field {
	fd := Field{ID: f.id(name), Name: name, Label: label, Type: "text",
		Value: f.Get(name), Error: f.Errors[name]}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "type":
			fd.Type = v
		case "hint":
			fd.Hint = v
		case "placeholder":
			fd.Placeholder = v
		case "autocomplete":
			fd.Autocomplete = v
		case "inputmode":
			fd.InputMode = v
		case "rows":
			fd.Rows, _ = strconv.Atoi(v)
			fd.Type = "textarea"
		case "id":
			fd.ID = v
		case "list":
			fd.List = v
		case "required":
			fd.Required = true
		case "mono":
			fd.Mono = true
		}
	}
	return fd
}

// Select describes a select field; opts are as for Field.
func (f *Form) Select(name, label string, options []Option, opts ...string) Field {
	fd := f.Field(name, label, opts...)
	fd.Type = "select"
	fd.Options = options
	return fd
}

// id is the element id of a field of this form.
func (f *Form) id(name string) string {
	if f.Prefix == "" {
		return FieldID(name)
	}
	return FieldID(f.Prefix + "-" + name)
}

// FieldID turns a field name ("headers[0].name") into an element id.
func FieldID(name string) string {
	return "field-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, name)
}

// DescribedBy returns the ids of the field's hint and error message, for
// aria-describedby ("" when it has neither).
func (f Field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}
