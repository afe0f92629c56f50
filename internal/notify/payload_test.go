package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prikke/prikke"
)

var update = flag.Bool("update", false, "rewrite the golden payload files")

// fixtureEvent is a fixed failing event, hostile name included.
func fixtureEvent(kind prikke.NotificationEvent) *event {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	j := &prikke.Job{ID: uuid.MustParse("01931f6e-0000-7000-8000-000000000001"), Name: "nightly <report> & @everyone",
		URL: "https://example.com/hooks/report", Method: "POST"}
	p := &prikke.Project{ID: uuid.MustParse("01931f6e-0000-7000-8000-000000000002"), Name: "Acme"}
	e := &prikke.Execution{ID: uuid.MustParse("01931f6e-0000-7000-8000-000000000003"), JobID: j.ID, ScheduledFor: at,
		Status: prikke.ExecutionStatusFailed, ResponseStatus: 503, Error: "HTTP 503", Attempt: 1}
	return &event{flip: &prikke.Flip{ID: uuid.MustParse("01931f6e-0000-7000-8000-000000000004"), Event: kind, CreatedAt: at.Add(2 * time.Second)},
		job: j, project: p, execution: e}
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("%s changed:\n%s", name, got)
	}
}

// TestSlackPayload checks the message against Slack's incoming-webhook
// format: a text fallback, and Block Kit section/context blocks whose text
// objects are mrkdwn, at most 10 fields of at most 2000 characters, with
// the three control characters escaped.
func TestSlackPayload(t *testing.T) {
	n := &Notifier{baseURL: "https://prikke.test"}
	msg := n.slack(fixtureEvent(prikke.EventJobFailing))
	golden(t, "slack_failing.json", msg)
	if msg.Text == "" || len(msg.Blocks) == 0 || len(msg.Blocks) > 50 {
		t.Fatalf("message = %+v", msg)
	}
	for _, b := range msg.Blocks {
		switch b.Type {
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				t.Error("section without text or fields")
			}
			if len(b.Fields) > 10 {
				t.Error("more than 10 fields")
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				t.Error("context with 0 or >10 elements")
			}
		default:
			t.Errorf("unexpected block type %q", b.Type)
		}
		texts := append(append([]slackText{}, b.Fields...), b.Elements...)
		if b.Text != nil {
			texts = append(texts, *b.Text)
		}
		for _, x := range texts {
			if x.Type != "mrkdwn" || len(x.Text) > 2000 || x.Text == "" {
				t.Errorf("text object %+v", x)
			}
		}
	}
	// Decoded, every text has the job name's markup characters escaped.
	var all strings.Builder
	all.WriteString(msg.Text)
	for _, b := range msg.Blocks {
		for _, x := range append(append([]slackText{}, b.Fields...), b.Elements...) {
			all.WriteString(x.Text)
		}
		if b.Text != nil {
			all.WriteString(b.Text.Text)
		}
	}
	if strings.Contains(all.String(), "<report>") || !strings.Contains(all.String(), "&lt;report&gt; &amp;") {
		t.Errorf("job name not escaped for mrkdwn: %s", all.String())
	}
}

// TestDiscordPayload checks the message against Discord's execute-webhook
// format and limits: content ≤ 2000, ≤ 10 embeds, title ≤ 256, ≤ 25
// fields with names ≤ 256 and values ≤ 1024, a 24-bit colour, an ISO 8601
// timestamp, and mentions disabled so a job name cannot ping @everyone.
func TestDiscordPayload(t *testing.T) {
	n := &Notifier{baseURL: "https://prikke.test"}
	for _, ev := range []prikke.NotificationEvent{prikke.EventJobFailing, prikke.EventJobRecovered, prikke.EventJobDisabled} {
		msg := n.discord(fixtureEvent(ev))
		if ev == prikke.EventJobFailing {
			golden(t, "discord_failing.json", msg)
		}
		if msg.Content == "" || len(msg.Content) > 2000 || len(msg.Embeds) != 1 || msg.AllowedMentions.Parse == nil || len(msg.AllowedMentions.Parse) != 0 {
			t.Fatalf("message = %+v", msg)
		}
		e := msg.Embeds[0]
		if len(e.Title) > 256 || len(e.Fields) > 25 || e.Color < 0 || e.Color > 0xFFFFFF || !strings.HasPrefix(e.URL, "https://") {
			t.Errorf("embed = %+v", e)
		}
		if _, err := time.Parse(time.RFC3339, e.Timestamp); err != nil {
			t.Errorf("timestamp %q", e.Timestamp)
		}
		for _, f := range e.Fields {
			if f.Name == "" || len(f.Name) > 256 || f.Value == "" || len(f.Value) > 1024 {
				t.Errorf("field %+v", f)
			}
		}
	}
	raw, _ := json.Marshal(n.discord(fixtureEvent(prikke.EventJobFailing)))
	if !strings.Contains(string(raw), `"allowed_mentions":{"parse":[]}`) {
		t.Errorf("mentions not disabled: %s", raw)
	}
}

// TestWebhookPayload pins the documented JSON shape.
func TestWebhookPayload(t *testing.T) {
	n := &Notifier{baseURL: "https://prikke.test"}
	b, err := n.payload(prikke.ChannelWebhook, fixtureEvent(prikke.EventJobFailing))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	json.Unmarshal(b, &v)
	golden(t, "webhook_failing.json", v)
}
