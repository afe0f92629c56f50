package api

import (
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestRunStepOut: a step's response body is shown inline only when it is
// small UTF-8 text; its size always; a running delay says until when.
func TestRunStepOut(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	job := prikke.NewID()
	run := prikke.NewID()
	for _, tc := range []struct {
		name     string
		step     prikke.RunStep
		body     *string
		bytes    int
		waiting  bool
		item     bool
		itemsSet bool
	}{
		{"small JSON", prikke.RunStep{Key: "a", Item: prikke.NoItem, Items: -1, JobID: &job, ResponseStatus: 200, ResponseBody: []byte(`{"ok":true}`)}, strPtr(`{"ok":true}`), 11, false, false, false},
		{"8 KiB exactly", prikke.RunStep{Key: "a", Item: prikke.NoItem, Items: -1, JobID: &job, ResponseStatus: 200, ResponseBody: []byte(strings.Repeat("x", 8<<10))}, strPtr(strings.Repeat("x", 8<<10)), 8 << 10, false, false, false},
		{"over 8 KiB", prikke.RunStep{Key: "a", Item: prikke.NoItem, Items: -1, JobID: &job, ResponseStatus: 200, ResponseBody: []byte(strings.Repeat("x", 8<<10+1))}, nil, 8<<10 + 1, false, false, false},
		{"binary", prikke.RunStep{Key: "a", Item: prikke.NoItem, Items: -1, JobID: &job, ResponseStatus: 200, ResponseBody: []byte{0xff, 0x00, 0x01}}, nil, 3, false, false, false},
		{"an empty 204", prikke.RunStep{Key: "a", Item: prikke.NoItem, Items: -1, JobID: &job, ResponseStatus: 204}, strPtr(""), 0, false, false, false},
		{"not sent yet", prikke.RunStep{Key: "a", Item: prikke.NoItem, Items: -1, Status: prikke.StepStatusWaiting}, nil, 0, false, false, false},
		{"a delay running", prikke.RunStep{Key: "d", Item: prikke.NoItem, Items: -1, Status: prikke.StepStatusSucceeded, FinishedAt: &later}, nil, 0, true, false, false},
		{"a delay over", prikke.RunStep{Key: "d", Item: prikke.NoItem, Items: -1, Status: prikke.StepStatusSucceeded, FinishedAt: &earlier}, nil, 0, false, false, false},
		{"a for_each step", prikke.RunStep{Key: "e", Item: prikke.NoItem, Items: 3}, nil, 0, false, false, true},
		{"an item", prikke.RunStep{Key: "e", Item: 2, Items: -1, ItemValue: []byte(`{"id":7}`)}, nil, 0, false, true, false},
	} {
		tc.step.RunID = run
		out := runStepOut(&tc.step, now)
		switch {
		case (out.ResponseBody == nil) != (tc.body == nil) || (out.ResponseBody != nil && *out.ResponseBody != *tc.body):
			t.Errorf("%s: response_body %v; want %v", tc.name, out.ResponseBody, tc.body)
		case out.ResponseBodyBytes != tc.bytes:
			t.Errorf("%s: response_body_bytes %d; want %d", tc.name, out.ResponseBodyBytes, tc.bytes)
		case (out.WaitingUntil != nil) != tc.waiting:
			t.Errorf("%s: waiting_until %v", tc.name, out.WaitingUntil)
		case (out.Item != nil) != tc.item || (tc.item && (*out.Item != 2 || string(out.ItemValue) != `{"id":7}`)):
			t.Errorf("%s: item %v %s", tc.name, out.Item, out.ItemValue)
		case (out.Items != nil) != tc.itemsSet || (tc.itemsSet && *out.Items != 3):
			t.Errorf("%s: items %v", tc.name, out.Items)
		}
		want := run.String() + "." + tc.step.Key
		if tc.item {
			want += ".2"
		}
		if out.IdempotencyKey != want {
			t.Errorf("%s: idempotency_key %q; want %q", tc.name, out.IdempotencyKey, want)
		}
	}
}

func strPtr(s string) *string { return &s }
