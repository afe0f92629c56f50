package store

import (
	"encoding/hex"
	"slices"

	"github.com/prikke/prikke"
)

// LinesPerEvent is the most "<id> <id>" lines (74 bytes each) one event
// of TopicExecutions or TopicPings carries: PostgreSQL refuses a NOTIFY
// payload of 8000 bytes or more, so more lines go in several events.
const LinesPerEvent = 100

// ExecutionEvents are the TopicExecutions payloads that tell dashboards
// es changed: a "<job_id> <execution_id>" line each, LinesPerEvent to a
// payload.
func ExecutionEvents(es []*prikke.Execution) []string {
	payloads := make([]string, 0, (len(es)+LinesPerEvent-1)/LinesPerEvent)
	buf := make([]byte, 0, 74*min(len(es), LinesPerEvent))
	for chunk := range slices.Chunk(es, LinesPerEvent) {
		buf = buf[:0]
		for _, e := range chunk {
			buf = appendID(buf, e.JobID)
			buf = append(buf, ' ')
			buf = appendID(buf, e.ID)
			buf = append(buf, '\n')
		}
		payloads = append(payloads, string(buf))
	}
	return payloads
}

// appendID appends id's canonical text (what ID.String returns) without
// allocating.
func appendID(b []byte, id prikke.ID) []byte {
	var t [36]byte
	hex.Encode(t[0:8], id[0:4])
	t[8] = '-'
	hex.Encode(t[9:13], id[4:6])
	t[13] = '-'
	hex.Encode(t[14:18], id[6:8])
	t[18] = '-'
	hex.Encode(t[19:23], id[8:10])
	t[23] = '-'
	hex.Encode(t[24:], id[10:])
	return append(b, t[:]...)
}
