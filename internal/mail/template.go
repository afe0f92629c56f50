package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
)

//go:embed templates
var templateFS embed.FS

// templates holds every kind's parsed templates. It is built once when the
// package loads and never changes, so sharing it is safe; a broken template
// panics at start-up (and in every test) rather than when an alert is due.
var templates = mustParseTemplates()

// kindTemplates are one kind's templates: text defines "subject" and
// "layout" (the body), html defines "layout".
type kindTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// page is what the HTML layout receives: the subject for <title>, and the
// kind's data for its "content" and "why".
type page struct {
	Subject string
	D       any
}

// maxFieldRunes cuts long user text (an error message, a response excerpt)
// so a mail stays a notification and not a log dump; the dashboard has the
// rest.
const maxFieldRunes = 1000

func mustParseTemplates() map[Kind]kindTemplates {
	textBase := texttemplate.Must(texttemplate.New("").Funcs(textFuncs()).ParseFS(templateFS, "templates/layout.txt"))
	htmlBase := htmltemplate.Must(htmltemplate.New("").Funcs(htmlFuncs()).ParseFS(templateFS, "templates/layout.html"))
	out := make(map[Kind]kindTemplates, len(Kinds()))
	for _, k := range Kinds() {
		text := texttemplate.Must(texttemplate.Must(textBase.Clone()).ParseFS(templateFS, "templates/"+string(k)+".txt"))
		html := htmltemplate.Must(htmltemplate.Must(htmlBase.Clone()).ParseFS(templateFS, "templates/"+string(k)+".html"))
		for _, name := range []string{"subject", "text"} {
			if text.Lookup(name) == nil {
				panic(fmt.Sprintf("mail: templates/%s.txt does not define %q", k, name))
			}
		}
		if html.Lookup("content") == nil {
			panic(fmt.Sprintf("mail: templates/%s.html does not define \"content\"", k))
		}
		out[k] = kindTemplates{text: text, html: html}
	}
	return out
}

// Render produces the subject, plain-text body and HTML body of the mail of
// the given kind. data must be the kind's struct (ConfirmAccount for
// KindConfirmAccount, and so on) or a pointer to it, with its required
// fields set and its links absolute http(s) URLs. User text is escaped in
// the HTML, and the subject is one line.
func Render(kind Kind, data any) (subject, text, html string, err error) {
	t, ok := templates[kind]
	if !ok {
		return "", "", "", fmt.Errorf("mail: render %q: unknown kind", kind)
	}
	if v := reflect.ValueOf(data); v.Kind() == reflect.Pointer && v.IsNil() {
		return "", "", "", fmt.Errorf("mail: render %s: data is a nil %T", kind, data)
	}
	d, ok := data.(Data)
	if !ok || d.Kind() != kind {
		return "", "", "", fmt.Errorf("mail: render %s: data is %T, not the kind's struct", kind, data)
	}
	if err := d.validate(); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s: %w", kind, err)
	}

	var b bytes.Buffer
	if err := t.text.ExecuteTemplate(&b, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s subject: %w", kind, err)
	}
	subject = subjectLine(b.String())
	b.Reset()
	if err := t.text.ExecuteTemplate(&b, "layout", data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s text: %w", kind, err)
	}
	text = b.String()
	b.Reset()
	if err := t.html.ExecuteTemplate(&b, "layout", page{Subject: subject, D: data}); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s html: %w", kind, err)
	}
	return subject, text, b.String(), nil
}

// NewMessage renders data into a Message to one recipient.
func NewMessage(to string, data Data) (Message, error) {
	if data == nil {
		return Message{}, fmt.Errorf("mail: new message: data is nil")
	}
	subject, text, html, err := Render(data.Kind(), data)
	if err != nil {
		return Message{}, err
	}
	return Message{To: []string{to}, Subject: subject, Text: text, HTML: html}, nil
}

// fact is one label/value row of an alert.
type fact struct {
	Label  string
	Padded string // "Label:" padded for the plain-text column
	Value  string
	Code   bool // shown in monospace: URLs, status lines
}

// code marks a facts value for monospace.
type code string

// button is a call to action in the HTML body.
type button struct{ Label, URL string }

// commonFuncs are the helpers both template sets use.
func commonFuncs() map[string]any {
	return map[string]any{
		"datetime": datetime,
		"number":   prikke.FormatCount,
		"status":   status,
		"month":    month,
		"truncate": func(s string) string { return truncate(s, maxFieldRunes) },
		"facts":    facts,
		"code":     func(s string) code { return code(s) },
		"button":   func(label, url string) button { return button{label, url} },
	}
}

func textFuncs() texttemplate.FuncMap { return commonFuncs() }

// htmlFuncs adds "style", the inline CSS of elements the kind templates
// repeat. The styles are constants, so they are returned as trusted CSS.
func htmlFuncs() htmltemplate.FuncMap {
	m := commonFuncs()
	m["style"] = func(name string) (htmltemplate.CSS, error) {
		switch name {
		case "h1":
			return "margin:0 0 16px 0;font-size:20px;line-height:28px;font-weight:700;color:#0f172a;", nil
		case "p":
			return "margin:0 0 16px 0;", nil
		case "label":
			return "margin:0 0 6px 0;font-size:13px;line-height:20px;color:#64748b;", nil
		case "muted":
			return "margin:0 0 16px 0;font-size:13px;line-height:20px;color:#64748b;", nil
		case "bad":
			return "color:#b91c1c;font-weight:700;", nil
		case "good":
			return "color:#047857;font-weight:700;", nil
		}
		return "", fmt.Errorf("no style %q", name)
	}
	return m
}

// datetime formats t in its own location ("Tue 3 Nov 2026 14:05 CET"), so
// a job's times read in the job's time zone when the caller passes them so.
func datetime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("Mon 2 Jan 2006 15:04 MST")
}

// status describes an HTTP status code ("500 Internal Server Error"), or
// returns "" for 0, which means there was no response.
func status(code int) string {
	if code == 0 {
		return ""
	}
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// month turns "2026-11" into "November 2026".
func month(s string) string {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return s
	}
	return t.Format("January 2006")
}

// truncate cuts s to max runes, marking the cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

// facts builds label/value rows from pairs of arguments, skipping empty
// values so optional fields simply do not show. A value may be a string, a
// code (shown in monospace) or an int.
func facts(pairs ...any) ([]fact, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("facts: odd number of arguments")
	}
	var out []fact
	width := 0
	for i := 0; i < len(pairs); i += 2 {
		label, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("facts: label %v is not a string", pairs[i])
		}
		var f fact
		switch v := pairs[i+1].(type) {
		case string:
			f = fact{Label: label, Value: v}
		case code:
			f = fact{Label: label, Value: string(v), Code: true}
		case int:
			f = fact{Label: label, Value: strconv.Itoa(v)}
		default:
			return nil, fmt.Errorf("facts: value of %q has type %T", label, v)
		}
		if f.Value == "" {
			continue
		}
		f.Value = truncate(f.Value, maxFieldRunes)
		width = max(width, utf8.RuneCountInString(label)+1)
		out = append(out, f)
	}
	for i := range out {
		l := out[i].Label + ":"
		out[i].Padded = l + strings.Repeat(" ", width-utf8.RuneCountInString(l))
	}
	return out, nil
}
