package prikke

import (
	"net/url"
	"strings"
	"time"
)

// ChannelKind is where a channel sends notifications.
type ChannelKind string

// Channel kinds. Slack and Discord are webhook URLs recognised by their host
// and sent payloads in those services' own formats.
const (
	ChannelEmail   ChannelKind = "email"
	ChannelWebhook ChannelKind = "webhook"
	ChannelSlack   ChannelKind = "slack"
	ChannelDiscord ChannelKind = "discord"
)

// Channel is a destination for a project's notifications.
type Channel struct {
	ID        ID
	ProjectID ID
	Kind      ChannelKind
	Name      string
	Target    string // email address or URL
	// ConfirmedAt is set when the owner of an email address confirmed it;
	// unconfirmed email channels receive nothing but the confirmation.
	ConfirmedAt      *time.Time
	ConfirmTokenHash []byte
	Enabled          bool
	DisabledReason   string
	FailureCount     int // consecutive failed sends
	LastError        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Active reports whether the channel may receive alerts.
func (c *Channel) Active() bool {
	if !c.Enabled {
		return false
	}
	return c.Kind != ChannelEmail || c.ConfirmedAt != nil
}

// ShownTarget is where the channel sends, as the API and the dashboard
// show it. Slack and Discord webhook URLs carry their secret in the path:
// anyone with it can post to the team's channel, so only the host is
// shown, to every role.
func (c *Channel) ShownTarget() string {
	switch c.Kind {
	case ChannelSlack, ChannelDiscord:
		if u, err := url.Parse(c.Target); err == nil && u.Host != "" {
			return u.Host + "/…"
		}
		return "…"
	}
	return c.Target
}

// DetectChannelKind recognises Slack and Discord incoming-webhook URLs.
func DetectChannelKind(rawURL string) ChannelKind {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ChannelWebhook
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "hooks.slack.com" && strings.HasPrefix(u.Path, "/services/"):
		return ChannelSlack
	case (host == "discord.com" || host == "discordapp.com" || host == "canary.discord.com" || host == "ptb.discord.com") &&
		strings.HasPrefix(u.Path, "/api/webhooks/"):
		return ChannelDiscord
	}
	return ChannelWebhook
}

// ChannelFailuresBeforeDisable is how many consecutive transient failures
// disable a channel; a permanent failure (404, 410, a rejected address)
// disables it at once.
const ChannelFailuresBeforeDisable = 10

// NotificationEvent is what a notification is about.
type NotificationEvent string

// Notification events.
const (
	EventJobFailing   NotificationEvent = "job.failing"
	EventJobRecovered NotificationEvent = "job.recovered"
	EventJobDisabled  NotificationEvent = "job.disabled"
	// A workflow's runs: a failed run flips a healthy workflow, a
	// succeeded one flips it back.
	EventWorkflowFailing   NotificationEvent = "workflow.failing"
	EventWorkflowRecovered NotificationEvent = "workflow.recovered"
	EventTest              NotificationEvent = "test"
	EventQuota80           NotificationEvent = "quota.80"
	EventQuota100          NotificationEvent = "quota.100"
	EventChannelOff        NotificationEvent = "channel.disabled"
)

// Notification records one send to one channel (or one email to a person).
type Notification struct {
	ID          ID
	ProjectID   ID
	ChannelID   *ID
	JobID       *ID
	MonitorID   *ID
	ExecutionID *ID
	Event       NotificationEvent
	Recipient   string // email address or URL host, for the record
	OK          bool
	Error       string
	CreatedAt   time.Time
}

// Flip is a change of a job's health that notifications are sent for. The
// worker writes it with the execution that caused it; the notifier claims
// and processes it exactly once.
type Flip struct {
	ID          ID
	JobID       ID
	ProjectID   ID
	ExecutionID *ID
	Event       NotificationEvent
	// Muted: written while the job's alerts were snoozed or inside its
	// window; recorded, not sent.
	Muted       bool
	CreatedAt   time.Time
	ProcessedAt *time.Time
}
