package service

import (
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// A replay never sends a body as recorded when the record is not what was
// sent: cut at 64 KiB, or with a JSON field redacted. The job's body is
// rendered again; an edited body wins; a whole record is sent as it was.
func TestReplayBodyNotRedacted(t *testing.T) {
	s := &Service{}
	j := &prikke.Job{ID: prikke.NewID(), Method: "POST", URL: "https://example.com/hook", TimeZone: "UTC",
		Body: `{"password":"hunter2","n":1}`}
	orig := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, RequestMethod: "POST", RequestURL: j.URL,
		RequestHeaders: []prikke.Header{}, RequestBody: []byte(`{"password":"[redacted]","n":1}`)}
	now := time.Now().UTC()
	for _, tc := range []struct {
		name      string
		recorded  string
		truncated bool
		edit      *string
		want      string
	}{
		{"redacted field", `{"password":"[redacted]","n":1}`, false, nil, j.Body},
		{"cut", `{"password":"hunter2","n`, true, nil, j.Body},
		{"whole", `{"n":7}`, false, nil, `{"n":7}`},
		{"edited", `{"password":"[redacted]","n":1}`, false, ptr(`{"n":2}`), `{"n":2}`},
		// Sent before bodies were recorded (an older release's history)
		// or with PRIKKE_RECORD_REQUEST_BODY=false: no body is on record,
		// which is not an empty body.
		{"not recorded", "", false, nil, j.Body},
	} {
		o := *orig
		o.RequestBody, o.RequestTruncated = []byte(tc.recorded), tc.truncated
		if tc.recorded == "" {
			o.RequestBody = nil
		}
		e, err := s.replayOf(j, prikke.TierFree, &o, ReplayInput{Body: tc.edit}, now)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(e.RequestBody) != tc.want {
			t.Errorf("%s: replay body %s; want %s", tc.name, e.RequestBody, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
