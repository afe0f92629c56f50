package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/prikke/prikke"
)

func TestEncodeMatchesJSON(t *testing.T) {
	strs := []string{"", "plain", "Content-Type", `quote " and \ backslash`, "<html> & friends", "tab\tnew\nline\x00",
		"ünïcödé ✓", "bad \xff utf8", "line\u2028sep", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="}
	var hs []prikke.Header
	for i, s := range strs {
		hs = append(hs, prikke.Header{Name: s, Value: strs[len(strs)-1-i]})
	}
	for _, c := range [][]prikke.Header{nil, {}, hs[:1], hs} {
		want, _ := json.Marshal(c)
		got := HeadersJSON(c)
		if got != string(want) {
			t.Errorf("headers %q:\n got %s\nwant %s", c, got, want)
		}
	}
	// Every field of Trace set (a field added later fails here until the
	// encoder writes it), then each string field empty (omitempty).
	full := &prikke.Trace{}
	v := reflect.ValueOf(full).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.Int64:
			f.SetInt(int64(1000*i + 7))
		case reflect.String:
			f.SetString(strs[i%len(strs)])
		case reflect.Bool:
			f.SetBool(true)
		default:
			t.Fatalf("Trace field %s: kind %s not encoded", v.Type().Field(i).Name, f.Kind())
		}
	}
	for _, tr := range []*prikke.Trace{full, {}, {RemoteAddr: "203.0.113.7:443"}, {TLSVersion: "TLS 1.3", DNSUS: -1}} {
		want, _ := json.Marshal(tr)
		got := TraceJSON(tr)
		if got != string(want) {
			t.Errorf("trace:\n got %s\nwant %s", got, want)
		}
	}
}
