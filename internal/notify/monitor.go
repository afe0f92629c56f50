package notify

import (
	"context"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/store"
)

// Monitor flips go through the same pipeline as job flips: the store
// writes each flip with the ping or deadline that caused it, the notifier
// leases it (MonitorFlipClaim), sends it to the monitor's active channels,
// records each send, and then confirms it (MonitorFlipDone). A notifier
// killed between the claim and the confirmation loses nothing: after the
// lease (store.MonitorFlipLease) another notifier claims the flip and
// sends it again, with the same Standard Webhooks id (post derives it from
// the flip's ID), so that a receiver that already has it drops the
// duplicate. A muted flip (snoozed, inside a maintenance window) is
// confirmed at once and sent nowhere: the end of the mute re-evaluates the
// monitor and writes a fresh flip if it is still down.

// monitorEvent is one monitor flip with everything a message needs.
type monitorEvent struct {
	flip    *prikke.MonitorFlip
	monitor *prikke.Monitor
	project *prikke.Project
	// downSince is when the monitor went down, for an up flip (zero when
	// unknown).
	downSince time.Time
}

// drainMonitors processes every monitor flip waiting and returns how many
// it processed. It starts no flip after half its lease has gone (slow
// channels): those are left to the next claim rather than sent while
// another notifier may claim them too.
func (n *Notifier) drainMonitors(ctx context.Context) (int, error) {
	total := 0
	for {
		claimed := n.now()
		flips, err := n.store.MonitorFlipClaim(ctx, claimed, 50)
		if err != nil {
			return total, err
		}
		for _, f := range flips {
			if ctx.Err() != nil || n.now().Sub(claimed) >= store.MonitorFlipLease/2 {
				break
			}
			if n.processMonitor(ctx, f) {
				n.confirm(ctx, f)
			}
		}
		total += len(flips)
		if len(flips) < 50 {
			return total, nil
		}
	}
}

// confirm marks f processed once it has been sent everywhere. A flip
// deleted meanwhile (with its monitor) is fine; any other failure leaves
// it to be claimed and sent again after its lease.
func (n *Notifier) confirm(ctx context.Context, f *prikke.MonitorFlip) {
	if err := n.store.MonitorFlipDone(ctx, f.ID, n.now()); err != nil && prikke.ErrorCode(err) != prikke.ENOTFOUND {
		n.logger.Warn("confirming a monitor flip failed; it will be sent again", "flip_id", f.ID, "error", err)
	}
}

// processMonitor sends f to every active channel of its monitor and
// reports whether the flip is done with: sent (each send recorded, failed
// or not), muted, or about a monitor deleted since. It is not done when
// the store could not be read or ctx ended mid-send: then the flip is
// claimed again after its lease.
func (n *Notifier) processMonitor(ctx context.Context, f *prikke.MonitorFlip) bool {
	if f.Muted {
		return true
	}
	m, err := n.store.MonitorGet(ctx, f.MonitorID)
	if err != nil {
		return prikke.ErrorCode(err) == prikke.ENOTFOUND // deleted since: nobody to tell
	}
	p, err := n.store.ProjectGet(ctx, m.ProjectID)
	if err != nil {
		return prikke.ErrorCode(err) == prikke.ENOTFOUND
	}
	ev := &monitorEvent{flip: f, monitor: m, project: p}
	if f.Event == prikke.EventMonitorUp {
		ev.downSince = n.downSince(ctx, f)
	}
	channels, err := n.store.ChannelListForMonitor(ctx, m.ID)
	if err != nil {
		n.logger.Warn("listing channels failed", "monitor_id", m.ID, "error", err)
		return false
	}
	for _, c := range channels {
		if !c.Active() {
			continue
		}
		res := n.sendMonitor(ctx, c, ev)
		n.recordSend(ctx, c, &prikke.Notification{ProjectID: p.ID, MonitorID: &m.ID, Event: f.Event}, res)
	}
	return ctx.Err() == nil
}

// downSince finds when the monitor went down before the up flip f: the
// newest earlier flip into down (re-alerts stay down, so they are passed).
func (n *Notifier) downSince(ctx context.Context, f *prikke.MonitorFlip) time.Time {
	flips, err := n.store.MonitorFlipList(ctx, f.MonitorID, 100)
	if err != nil {
		return time.Time{}
	}
	seen := false
	for _, o := range flips { // newest first
		if o.ID == f.ID {
			seen = true
			continue
		}
		if seen && o.To == prikke.MonitorDown && o.From != prikke.MonitorDown {
			return o.CreatedAt
		}
	}
	return time.Time{}
}

func (n *Notifier) sendMonitor(ctx context.Context, c *prikke.Channel, ev *monitorEvent) result {
	return n.sendAlert(ctx, c, ev.project, ev.flip.ID, alert{
		mail:    func() mail.Data { return n.monitorMail(ev) },
		slack:   func() any { return n.monitorSlack(ev) },
		discord: func() any { return n.monitorDiscord(ev) },
		webhook: func() any { return n.monitorWebhook(ev) },
	})
}

// monitorMail renders the email of a monitor event.
func (n *Notifier) monitorMail(ev *monitorEvent) mail.Data {
	f, m := ev.flip, ev.monitor
	d := mail.MonitorAlert{MonitorName: m.Name, ProjectName: ev.project.Name,
		Event: strings.TrimPrefix(string(f.Event), "monitor."), Detail: f.Detail, At: f.CreatedAt,
		PrikkeDown: f.PrikkeDown, MonitorURL: n.monitorURL(m)}
	if m.LastPingAt != nil {
		d.LastPingAt = *m.LastPingAt
	}
	if !ev.downSince.IsZero() {
		d.DownFor = f.CreatedAt.Sub(ev.downSince)
	}
	return d
}

func (n *Notifier) monitorURL(m *prikke.Monitor) string {
	return n.url("/app/monitors/" + m.ID.String())
}

// MonitorWebhookPayload is the documented JSON body a generic webhook
// channel receives for a monitor event, signed like the job events.
type MonitorWebhookPayload struct {
	Type       string         `json:"type"` // monitor.down, monitor.up, monitor.failed, monitor.too_long, monitor.realert
	OccurredAt time.Time      `json:"occurred_at"`
	Message    string         `json:"message"` // the event in one sentence
	Project    WebhookProject `json:"project"`
	Monitor    WebhookMonitor `json:"monitor"`
	Flip       WebhookFlip    `json:"flip"`
	// PrikkeDown: the deadline passed while Prikke itself was down, so
	// the ping may have been lost on Prikke's side.
	PrikkeDown bool `json:"prikke_down"`
}

// WebhookMonitor identifies the monitor. Status is its status after the
// event.
type WebhookMonitor struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Slug       string     `json:"slug"`
	Status     string     `json:"status"`
	PingURL    string     `json:"ping_url,omitempty"`
	LastPingAt *time.Time `json:"last_ping_at,omitempty"`
	Link       string     `json:"link"`
}

// WebhookFlip is the change of status that caused the event.
type WebhookFlip struct {
	ID        string     `json:"id"`
	From      string     `json:"from"`
	To        string     `json:"to"`
	Detail    string     `json:"detail,omitempty"`
	PingID    string     `json:"ping_id,omitempty"`    // the ping that caused it, if any
	DownSince *time.Time `json:"down_since,omitempty"` // monitor.up: when it went down
	CreatedAt time.Time  `json:"created_at"`
}

func (n *Notifier) monitorWebhook(ev *monitorEvent) MonitorWebhookPayload {
	f, m := ev.flip, ev.monitor
	out := MonitorWebhookPayload{Type: string(f.Event), OccurredAt: f.CreatedAt.UTC(), Message: monitorHeadline(ev),
		Project: WebhookProject{ID: ev.project.ID.String(), Name: ev.project.Name},
		Monitor: WebhookMonitor{ID: m.ID.String(), Name: m.Name, Slug: m.Slug, Status: string(f.To), Link: n.monitorURL(m)},
		Flip: WebhookFlip{ID: f.ID.String(), From: string(f.From), To: string(f.To), Detail: f.Detail,
			CreatedAt: f.CreatedAt.UTC()},
		PrikkeDown: f.PrikkeDown}
	if m.PingToken != "" {
		out.Monitor.PingURL = n.url("/ping/" + m.PingToken)
	}
	if m.LastPingAt != nil {
		t := m.LastPingAt.UTC()
		out.Monitor.LastPingAt = &t
	}
	if f.PingID != nil {
		out.Flip.PingID = f.PingID.String()
	}
	if !ev.downSince.IsZero() {
		t := ev.downSince.UTC()
		out.Flip.DownSince = &t
	}
	return out
}

// prikkeDownNote is what every message of a flip written for a deadline
// that passed while Prikke was down adds.
const prikkeDownNote = "Prikke itself was down when this deadline passed, so the ping may have been lost on our side."

// monitorHeadline is the one-line summary of a monitor event.
func monitorHeadline(ev *monitorEvent) string {
	f, m := ev.flip, ev.monitor
	lastPing := "no ping yet"
	if m.LastPingAt != nil {
		lastPing = "no ping since " + m.LastPingAt.UTC().Format(time.RFC3339)
	}
	var s string
	switch f.Event {
	case prikke.EventMonitorDown:
		s = m.Name + " is down: " + lastPing
	case prikke.EventMonitorRealert:
		s = m.Name + " is still down: " + lastPing
	case prikke.EventMonitorFailed:
		s = m.Name + " failed"
	case prikke.EventMonitorTooLong:
		s = m.Name + " ran too long"
	case prikke.EventMonitorUp:
		s = m.Name + " is up again"
		if d := mail.HumanDuration(f.CreatedAt.Sub(ev.downSince)); !ev.downSince.IsZero() && d != "" {
			s += " after " + d + " down"
		}
	default:
		s = m.Name + ": " + string(f.Event)
	}
	return s
}

// monitorText is the headline, the flip's detail and the outage note, as
// the chat messages show them.
func monitorText(ev *monitorEvent) (headline, detail string) {
	detail = ev.flip.Detail
	if ev.flip.PrikkeDown && !strings.Contains(detail, "on our side") {
		detail = strings.TrimSpace(detail + "\n" + prikkeDownNote)
	}
	return monitorHeadline(ev), detail
}

func monitorDown(ev prikke.NotificationEvent) bool { return ev != prikke.EventMonitorUp }

func (n *Notifier) monitorSlack(ev *monitorEvent) slackMessage {
	title, detail := monitorText(ev)
	icon := ":red_circle:"
	if !monitorDown(ev.flip.Event) {
		icon = ":large_green_circle:"
	}
	msg := slackMessage{Text: slackEscape(title + " (" + ev.project.Name + ")")}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "section",
		Text: &slackText{Type: "mrkdwn", Text: icon + " *" + slackEscape(title) + "*"}})
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Fields: []slackText{
		{Type: "mrkdwn", Text: "*Project*\n" + slackEscape(ev.project.Name)},
		{Type: "mrkdwn", Text: "*Monitor*\n" + slackEscape(ev.monitor.Name)},
	}})
	if detail != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section",
			Text: &slackText{Type: "mrkdwn", Text: slackEscape(truncate(detail, 1900))}})
	}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "context",
		Elements: []slackText{{Type: "mrkdwn", Text: "<" + n.monitorURL(ev.monitor) + "|View in prikke>"}}})
	return msg
}

func (n *Notifier) monitorDiscord(ev *monitorEvent) discordMessage {
	title, detail := monitorText(ev)
	color := 0xEF4444
	if !monitorDown(ev.flip.Event) {
		color = 0x10B981
	}
	embed := discordEmbed{Title: truncate(title, 250), Description: truncate(detail, 2000), URL: n.monitorURL(ev.monitor),
		Color: color, Timestamp: ev.flip.CreatedAt.UTC().Format(time.RFC3339),
		Fields: []discordField{{Name: "Project", Value: truncate(ev.project.Name, 1000), Inline: true},
			{Name: "Monitor", Value: truncate(ev.monitor.Name, 1000), Inline: true}}}
	return discordMessage{Content: truncate(title, 1900), Embeds: []discordEmbed{embed},
		AllowedMentions: discordMentions{Parse: []string{}}}
}
