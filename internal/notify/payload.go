package notify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/mail"
)

// mailFor renders the email of an event.
func (n *Notifier) mailFor(ev *event, c *prikke.Channel) mail.Data {
	j, p, e := ev.job, ev.project, ev.execution
	switch ev.flip.Event {
	case prikke.EventJobRecovered:
		d := mail.JobRecovered{JobName: jobName(j), ProjectName: p.Name, FinishedAt: ev.flip.CreatedAt, ExecutionURL: n.executionURL(j, e)}
		if e != nil {
			d.StatusCode = e.ResponseStatus
			if e.FinishedAt != nil {
				d.FinishedAt = *e.FinishedAt
			}
		}
		return d
	case prikke.EventJobDisabled:
		return mail.JobDisabled{JobName: jobName(j), ProjectName: p.Name, URL: j.URL, DisabledAt: ev.flip.CreatedAt, JobURL: n.jobURL(j)}
	default:
		d := mail.JobFailing{JobName: jobName(j), ProjectName: p.Name, Outcome: mail.OutcomeFailed, ScheduledAt: ev.flip.CreatedAt,
			ExecutionURL: n.executionURL(j, e)}
		if e != nil {
			d.StatusCode, d.Error, d.ScheduledAt = e.ResponseStatus, e.Error, e.ScheduledFor
			if e.Status == prikke.ExecutionStatusTimeout {
				d.Outcome = mail.OutcomeTimeout
			}
		}
		return d
	}
}

// WebhookPayload is the documented JSON body a generic webhook channel
// receives, signed to the Standard Webhooks spec with the project's secret.
type WebhookPayload struct {
	Type       string            `json:"type"` // job.failing, job.recovered, job.disabled, test
	OccurredAt time.Time         `json:"occurred_at"`
	Project    WebhookProject    `json:"project"`
	Job        WebhookJob        `json:"job"`
	Execution  *WebhookExecution `json:"execution,omitempty"`
}

// WebhookProject identifies the project.
type WebhookProject struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// WebhookJob identifies the job.
type WebhookJob struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	URL  string `json:"url"`
	Link string `json:"link"`
}

// WebhookExecution describes the execution that caused the event.
type WebhookExecution struct {
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	StatusCode   int       `json:"status_code"`
	Error        string    `json:"error,omitempty"`
	ScheduledFor time.Time `json:"scheduled_for"`
	Attempt      int       `json:"attempt"`
	Link         string    `json:"link"`
}

// payload renders the body for a webhook, Slack or Discord channel.
func (n *Notifier) payload(kind prikke.ChannelKind, ev *event) ([]byte, error) {
	switch kind {
	case prikke.ChannelSlack:
		return json.Marshal(n.slack(ev))
	case prikke.ChannelDiscord:
		return json.Marshal(n.discord(ev))
	}
	j, p, e := ev.job, ev.project, ev.execution
	out := WebhookPayload{Type: string(ev.flip.Event), OccurredAt: ev.flip.CreatedAt.UTC(),
		Project: WebhookProject{ID: p.ID.String(), Name: p.Name},
		Job:     WebhookJob{Name: jobName(j), URL: j.URL, Link: n.jobURL(j)}}
	if j.ID != prikke.NilID {
		out.Job.ID = j.ID.String()
	}
	if e != nil {
		out.Execution = &WebhookExecution{ID: e.ID.String(), Status: string(e.Status), StatusCode: e.ResponseStatus,
			Error: e.Error, ScheduledFor: e.ScheduledFor.UTC(), Attempt: e.Attempt, Link: n.executionURL(j, e)}
	}
	return json.Marshal(out)
}

// headline is the one-line summary of an event.
func headline(ev *event) string {
	name := jobName(ev.job)
	switch ev.flip.Event {
	case prikke.EventJobFailing:
		if ev.execution != nil && ev.execution.Status == prikke.ExecutionStatusTimeout {
			return name + " is failing: the request timed out"
		}
		return name + " is failing"
	case prikke.EventJobRecovered:
		return name + " has recovered"
	case prikke.EventJobDisabled:
		return name + " was disabled: its endpoint answered 410 Gone"
	case prikke.EventTest:
		return "Test notification from prikke"
	}
	return name + ": " + string(ev.flip.Event)
}

// outcome describes what the execution got.
func outcome(e *prikke.Execution) string {
	if e == nil {
		return ""
	}
	var parts []string
	if e.ResponseStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.ResponseStatus))
	}
	if e.Error != "" && e.Error != fmt.Sprintf("HTTP %d", e.ResponseStatus) {
		parts = append(parts, e.Error)
	}
	if len(parts) == 0 {
		parts = append(parts, string(e.Status))
	}
	return strings.Join(parts, " — ")
}

// slackMessage is an incoming-webhook message (api.slack.com/messaging/webhooks):
// a text fallback and Block Kit blocks.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack's mrkdwn treats as markup.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func (n *Notifier) slack(ev *event) slackMessage {
	j, e := ev.job, ev.execution
	title := headline(ev)
	icon := map[prikke.NotificationEvent]string{prikke.EventJobFailing: ":red_circle:", prikke.EventJobRecovered: ":large_green_circle:",
		prikke.EventJobDisabled: ":no_entry:", prikke.EventTest: ":white_check_mark:"}[ev.flip.Event]
	msg := slackMessage{Text: slackEscape(title + " (" + ev.project.Name + ")")}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "section",
		Text: &slackText{Type: "mrkdwn", Text: strings.TrimSpace(icon + " *" + slackEscape(title) + "*")}})
	fields := []slackText{
		{Type: "mrkdwn", Text: "*Project*\n" + slackEscape(ev.project.Name)},
		{Type: "mrkdwn", Text: "*Job*\n" + slackEscape(jobName(j))},
	}
	if e != nil {
		fields = append(fields,
			slackText{Type: "mrkdwn", Text: "*Outcome*\n" + slackEscape(outcome(e))},
			slackText{Type: "mrkdwn", Text: "*Scheduled for*\n" + e.ScheduledFor.UTC().Format(time.RFC3339)})
	}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Fields: fields})
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "context",
		Elements: []slackText{{Type: "mrkdwn", Text: "<" + n.executionURL(j, e) + "|View in prikke>"}}})
	return msg
}

// discordMessage is an execute-webhook body (discord.com/developers/docs/resources/webhook):
// content plus one embed, with mentions disabled so a job name cannot ping anyone.
type discordMessage struct {
	Content         string          `json:"content"`
	Embeds          []discordEmbed  `json:"embeds"`
	AllowedMentions discordMentions `json:"allowed_mentions"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	URL         string         `json:"url,omitempty"`
	Color       int            `json:"color"`
	Fields      []discordField `json:"fields,omitempty"`
	Timestamp   string         `json:"timestamp"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

type discordMentions struct {
	Parse []string `json:"parse"`
}

func (n *Notifier) discord(ev *event) discordMessage {
	j, e := ev.job, ev.execution
	color := map[prikke.NotificationEvent]int{prikke.EventJobFailing: 0xEF4444, prikke.EventJobRecovered: 0x10B981,
		prikke.EventJobDisabled: 0xF59E0B, prikke.EventTest: 0x0F172A}[ev.flip.Event]
	embed := discordEmbed{Title: truncate(headline(ev), 250), URL: n.executionURL(j, e), Color: color,
		Timestamp: ev.flip.CreatedAt.UTC().Format(time.RFC3339),
		Fields: []discordField{{Name: "Project", Value: truncate(ev.project.Name, 1000), Inline: true},
			{Name: "Job", Value: truncate(jobName(j), 1000), Inline: true}}}
	if e != nil {
		embed.Fields = append(embed.Fields, discordField{Name: "Outcome", Value: truncate(outcome(e), 1000)},
			discordField{Name: "Scheduled for", Value: e.ScheduledFor.UTC().Format(time.RFC3339), Inline: true})
	}
	return discordMessage{Content: truncate(headline(ev), 1900), Embeds: []discordEmbed{embed},
		AllowedMentions: discordMentions{Parse: []string{}}}
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
