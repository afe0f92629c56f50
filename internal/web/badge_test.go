package web

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// A monitor's name is the user's text inside the SVG: markup in it is
// escaped (the badge stays well-formed XML with no element of the
// name's), and a long name is cut before escaping, never inside an
// entity.
func TestBadgeSVGEscapes(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		`<script>alert(1)</script> & "co" 'x'`,
		strings.Repeat("&", 60),
		`]]><svg onload=alert(1)>`,
	} {
		svg := badgeSVG(name, "up", "#10b981")
		if bytes.Contains(svg, []byte("<script")) || bytes.Contains(svg, []byte("<svg onload")) {
			t.Errorf("%q: markup unescaped: %s", name, svg)
		}
		dec := xml.NewDecoder(bytes.NewReader(svg))
		var elems []string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%q: not well-formed XML: %v\n%s", name, err, svg)
			}
			if se, ok := tok.(xml.StartElement); ok {
				elems = append(elems, se.Name.Local)
				for _, a := range se.Attr {
					if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
						t.Errorf("%q: event attribute %s", name, a.Name.Local)
					}
				}
			}
		}
		for _, e := range elems {
			switch e {
			case "svg", "title", "linearGradient", "stop", "clipPath", "rect", "g", "text":
			default:
				t.Errorf("%q: element <%s> in the badge", name, e)
			}
		}
	}
}
