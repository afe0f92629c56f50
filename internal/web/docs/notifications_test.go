package docs

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/notify"
)

// TestNotificationPayloadExample: the webhook payload on
// /docs/notifications is what the notifier sends, field for field: it
// decodes into notify.WebhookPayload with no unknown field, and encodes
// back to the same JSON.
func TestNotificationPayloadExample(t *testing.T) {
	w := &Docs{deps: Deps{BaseURL: "https://prikke.example"}}
	example := w.withIDs(exampleWebhookPayload)
	dec := json.NewDecoder(strings.NewReader(example))
	dec.DisallowUnknownFields()
	var p notify.WebhookPayload
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("the example does not decode strictly: %v", err)
	}
	if p.Execution == nil || p.Type != string(prikke.EventJobFailing) || p.Job.ID != exampleJobID {
		t.Errorf("decoded %+v", p)
	}
	var want, got any
	b, _ := json.Marshal(p)
	if err := json.Unmarshal([]byte(example), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	wb, _ := json.Marshal(want)
	gb, _ := json.Marshal(got) // both with sorted keys
	if string(wb) != string(gb) {
		t.Errorf("the example has fields the payload does not send, or lacks some:\nexample %s\npayload %s", wb, gb)
	}
	// The Slack and Discord examples are valid JSON.
	for name, ex := range map[string]string{"slack": exampleSlackPayload, "discord": exampleDiscordPayload} {
		if !json.Valid([]byte(w.withIDs(ex))) {
			t.Errorf("the %s example is not JSON", name)
		}
	}
}
