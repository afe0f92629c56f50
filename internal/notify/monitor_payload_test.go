package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/mail"
)

// fixtureMonitorEvent is a fixed monitor event, hostile name included.
func fixtureMonitorEvent(kind prikke.NotificationEvent) *monitorEvent {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	last := at.Add(-70 * time.Minute)
	m := &prikke.Monitor{ID: uuid.MustParse("01931f6e-0000-7000-8000-000000000011"), Name: "nightly <backup> & @everyone",
		Slug: "nightly-backup", PingToken: "5b1f0e1c-7d2a-4b4e-9a57-2f6f3c1d9e80"}
	m.LastPingAt = &last
	p := &prikke.Project{ID: uuid.MustParse("01931f6e-0000-7000-8000-000000000002"), Name: "Acme"}
	f := &prikke.MonitorFlip{ID: uuid.MustParse("01931f6e-0000-7000-8000-000000000014"), MonitorID: m.ID, ProjectID: p.ID,
		Event: kind, From: prikke.MonitorUp, To: prikke.MonitorDown, CreatedAt: at,
		Detail: "expected by 2026-11-26 08:00 UTC, last ping 2026-11-26 07:50 UTC"}
	ev := &monitorEvent{flip: f, monitor: m, project: p}
	switch kind {
	case prikke.EventMonitorUp:
		f.From, f.To, f.Detail = prikke.MonitorDown, prikke.MonitorUp, ""
		ev.downSince = at.Add(-2 * time.Hour)
	case prikke.EventMonitorFailed:
		pid := uuid.MustParse("01931f6e-0000-7000-8000-000000000015")
		f.PingID, f.Detail = &pid, "exit status 3\ndisk full"
	}
	return ev
}

// TestMonitorWebhookPayload pins the documented JSON shape of a monitor
// event.
func TestMonitorWebhookPayload(t *testing.T) {
	n := &Notifier{baseURL: "https://prikke.test"}
	ev := fixtureMonitorEvent(prikke.EventMonitorDown)
	ev.flip.PrikkeDown = true
	var v any
	b, _ := json.Marshal(n.monitorWebhook(ev))
	json.Unmarshal(b, &v)
	golden(t, "webhook_monitor_down.json", v)
	b, _ = json.Marshal(n.monitorWebhook(fixtureMonitorEvent(prikke.EventMonitorUp)))
	v = nil
	json.Unmarshal(b, &v)
	golden(t, "webhook_monitor_up.json", v)
}

// TestMonitorMessages checks each event's headline (the last ping of a
// missing one, how long it was down), the outage note only when Prikke
// was down, and the chat formats' limits and escaping.
func TestMonitorMessages(t *testing.T) {
	n := &Notifier{baseURL: "https://prikke.test"}
	for kind, want := range map[prikke.NotificationEvent]string{
		prikke.EventMonitorDown:    "nightly <backup> & @everyone is down: no ping since 2026-11-26T07:50:00Z",
		prikke.EventMonitorRealert: "nightly <backup> & @everyone is still down: no ping since 2026-11-26T07:50:00Z",
		prikke.EventMonitorFailed:  "nightly <backup> & @everyone failed",
		prikke.EventMonitorTooLong: "nightly <backup> & @everyone ran too long",
		prikke.EventMonitorUp:      "nightly <backup> & @everyone is up again after 2 h down",
	} {
		ev := fixtureMonitorEvent(kind)
		if got := monitorHeadline(ev); got != want {
			t.Errorf("%s headline = %q, want %q", kind, got, want)
		}
		for _, down := range []bool{false, true} {
			ev.flip.PrikkeDown = down
			d := n.monitorDiscord(ev)
			s := n.monitorSlack(ev)
			raw, _ := json.Marshal(s)
			if got := strings.Contains(d.Embeds[0].Description, "lost on our side"); got != down {
				t.Errorf("%s prikke_down=%v: discord note %v", kind, down, got)
			}
			if got := strings.Contains(string(raw), "lost on our side"); got != down {
				t.Errorf("%s prikke_down=%v: slack note %v", kind, down, got)
			}
			if strings.Contains(string(raw), "<backup>") || len(d.Content) > 2000 || len(d.Embeds[0].Title) > 256 ||
				len(d.AllowedMentions.Parse) != 0 || d.AllowedMentions.Parse == nil {
				t.Errorf("%s: unescaped or over the limits: %s", kind, raw)
			}
		}
		if kind == prikke.EventMonitorFailed {
			ev.flip.PrikkeDown = false
			if !strings.Contains(n.monitorDiscord(ev).Embeds[0].Description, "exit status 3\ndisk full") {
				t.Errorf("failed message lacks the exit status and the last lines")
			}
			golden(t, "slack_monitor_failed.json", n.monitorSlack(ev))
			golden(t, "discord_monitor_failed.json", n.monitorDiscord(ev))
		}
	}
	m := n.monitorMail(fixtureMonitorEvent(prikke.EventMonitorUp))
	if subject, text, _, err := mail.Render(m.Kind(), m); err != nil || !strings.Contains(subject, "is up again") ||
		!strings.Contains(text, "down for 2 h") {
		t.Fatalf("up mail: %q %v\n%s", subject, err, text)
	}
}
