package page

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/prikke/prikke"
)

// Funcs are the template functions every surface shares: assets, icons,
// numbers, code spans and the one way instants are written (format.go).
// Keep them few and general; a page's own formatting belongs in its
// handler's view data, and a surface adds its own (package web's funcs).
func Funcs(static Static, icons Icons, now func() time.Time) template.FuncMap {
	return template.FuncMap{
		"asset":      static.URL,
		"icon":       icons.Icon,
		"dict":       dict,
		"number":     Number,
		"isoTime":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"current":    current,
		"inlineCode": inlineCode,
		"paragraphs": Paragraphs,
		"year":       func() int { return now().Year() },
		"timeTag":    TimeTag,
		"inZone":     InZone,
		"duration":   Duration,
		"percent":    Percent,
		"initial":    initial,
	}
}

// Icons are the Lucide SVGs that scripts/assets.sh copies into
// templates/icons, without their <svg> wrapper, by name.
type Icons map[string]string

// LoadIcons reads the icons of fsys (the templates directory's icons/).
func LoadIcons(fsys fs.FS) (Icons, error) {
	m := Icons{}
	files, err := fs.Glob(fsys, "icons/*.svg")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		s := string(b)
		start := strings.Index(s, "<svg")
		open := strings.Index(s[start:], ">")
		end := strings.LastIndex(s, "</svg>")
		if start < 0 || open < 0 || end < 0 {
			return nil, fmt.Errorf("malformed icon %s", f)
		}
		inner := strings.TrimSpace(s[start+open+1 : end])
		m[strings.TrimSuffix(path.Base(f), ".svg")] = strings.Join(strings.Fields(inner), " ")
	}
	return m, nil
}

// Icon inlines a Lucide icon: {{icon "clock" "size-4 text-emerald-600"}}.
// Icons are decorative (aria-hidden); put the meaning in text next to them.
func (icons Icons) Icon(name string, class ...string) (template.HTML, error) {
	inner, ok := icons[name]
	if !ok {
		return "", fmt.Errorf("no icon %q: add it to icon_names in scripts/assets.sh", name)
	}
	cls := "size-5"
	if len(class) > 0 {
		cls = strings.Join(class, " ")
	}
	return template.HTML(`<svg class="` + template.HTMLEscapeString(cls) +
		`" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor"` +
		` stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">` +
		inner + `</svg>`), nil
}

// dict builds a map from key/value pairs, to pass several values to a
// partial: {{template "card" dict "Title" "Jobs" "Body" .Jobs}}.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// Number formats an integer with thousands separators (prikke.FormatCount):
// 250000 → "250,000". Templates pass ints of several types.
func Number(n any) string {
	switch x := n.(type) {
	case int:
		return prikke.FormatCount(int64(x))
	case int64:
		return prikke.FormatCount(x)
	case int32:
		return prikke.FormatCount(int64(x))
	}
	return fmt.Sprint(n)
}

// current reports whether the navigation item for prefix is the page at
// path: "/docs" is current on /docs and /docs/cron, "/" only on "/".
func current(path, prefix string) bool {
	if prefix == "/" {
		return path == "/"
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

var backticks = regexp.MustCompile("`([^`]+)`")

// inlineCode escapes s and turns `code` spans into <code> elements. It is
// what the API reference does with descriptions written in the Go source.
func inlineCode(s string) template.HTML {
	return template.HTML(backticks.ReplaceAllString(template.HTMLEscapeString(s), `<code class="code">$1</code>`))
}

// Paragraphs is inlineCode for text with blank lines between paragraphs.
func Paragraphs(s string) template.HTML {
	var b strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString("<p>")
			b.WriteString(string(inlineCode(p)))
			b.WriteString("</p>")
		}
	}
	return template.HTML(b.String())
}
