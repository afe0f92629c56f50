package page

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// EventStream sends server-sent events whose data is a rendered partial,
// for htmx's SSE extension. A page subscribes with
//
//	<div hx-ext="sse" sse-connect="/app/jobs/events">
//	  <tbody sse-swap="job-row">…</tbody>
//	</div>
//
// (its template adds the extension's script in its "head" block), and the
// handler of /app/jobs/events loops:
//
//	es, err := page.NewEventStream(w, h.tpl)
//	if err != nil { h.ServerError(w, r, err); return }
//	for { select { case <-r.Context().Done(): return
//	               case ev := <-updates: if es.Send("job-row", "job_row", ev) != nil { return } } }
type EventStream struct {
	t  *Templates
	w  http.ResponseWriter
	rc *http.ResponseController
}

// NewEventStream starts an event stream response. It fails when the
// response cannot be flushed (a middleware that hides http.Flusher).
func NewEventStream(w http.ResponseWriter, t *Templates) (*EventStream, error) {
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, fmt.Errorf("web: event stream: %w", err)
	}
	return &EventStream{t: t, w: w, rc: rc}, nil
}

// Send renders the partial called name with data and sends it as one event
// of type event (the name an sse-swap attribute listens for).
func (s *EventStream) Send(event, name string, data any) error {
	if strings.ContainsAny(event, "\r\n") {
		return errors.New("web: event name contains a line break")
	}
	buf := Buffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); Buffers.Put(buf) }()
	if err := s.t.ExecutePartial(buf, name, data); err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("event: " + event + "\n")
	// Each line of the fragment is its own data: line; the browser joins
	// them with newlines again.
	for _, line := range strings.Split(strings.ReplaceAll(buf.String(), "\r\n", "\n"), "\n") {
		b.WriteString("data: " + strings.TrimSuffix(line, "\r") + "\n")
	}
	b.WriteString("\n")
	if _, err := s.w.Write(b.Bytes()); err != nil {
		return err
	}
	return s.rc.Flush()
}

// Ping sends a comment, which keeps proxies from closing an idle stream.
func (s *EventStream) Ping() error {
	if _, err := s.w.Write([]byte(": ping\n\n")); err != nil {
		return err
	}
	return s.rc.Flush()
}
