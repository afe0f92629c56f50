package sqlstore

import (
	"encoding/json"
	"strconv"

	"github.com/prikke/prikke"
)

// Every attempt's result stores its request and response headers and its
// trace as JSON, in both stores. encoding/json reflects over them each
// time; these write the same bytes directly (encode_test.go holds them to
// json.Marshal).

// HeadersJSON is hs as json.Marshal writes it ("null" for nil).
func HeadersJSON(hs []prikke.Header) string {
	if hs == nil {
		return "null"
	}
	b := make([]byte, 0, 64*len(hs)+2)
	b = append(b, '[')
	for i, h := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, h.Name)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, h.Value)
		b = append(b, '}')
	}
	return string(append(b, ']'))
}

// TraceJSON is t (not nil) as json.Marshal writes it.
func TraceJSON(t *prikke.Trace) string {
	b := make([]byte, 0, 160)
	b = append(b, `{"dns_us":`...)
	b = strconv.AppendInt(b, t.DNSUS, 10)
	b = append(b, `,"connect_us":`...)
	b = strconv.AppendInt(b, t.ConnectUS, 10)
	b = append(b, `,"tls_us":`...)
	b = strconv.AppendInt(b, t.TLSUS, 10)
	b = append(b, `,"send_us":`...)
	b = strconv.AppendInt(b, t.SendUS, 10)
	b = append(b, `,"wait_us":`...)
	b = strconv.AppendInt(b, t.WaitUS, 10)
	b = append(b, `,"body_us":`...)
	b = strconv.AppendInt(b, t.BodyUS, 10)
	if t.RemoteAddr != "" {
		b = append(b, `,"remote_addr":`...)
		b = appendJSONString(b, t.RemoteAddr)
	}
	if t.TLSVersion != "" {
		b = append(b, `,"tls_version":`...)
		b = appendJSONString(b, t.TLSVersion)
	}
	b = append(b, `,"reused":`...)
	b = strconv.AppendBool(b, t.Reused)
	return string(append(b, '}'))
}

// appendJSONString appends s as encoding/json writes it: printable ASCII
// other than what it escapes (quote, backslash, <, >, &) as is, anything
// else through json.Marshal itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
