package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// Channel is where a project's notifications go.
type Channel struct {
	ID             string     `json:"id" doc:"The channel's id."`
	ProjectID      string     `json:"project_id" doc:"The project whose alerts the channel receives."`
	Kind           string     `json:"kind" enum:"email,webhook,slack,discord" doc:"Recognised from the target: Slack and Discord webhook URLs get messages in their own format."`
	Name           string     `json:"name" doc:"A name for people." example:"ops team"`
	Target         string     `json:"target" doc:"The email address or webhook URL; for Slack and Discord only the host (their path is a secret)." example:"ops@example.com"`
	Confirmed      bool       `json:"confirmed" doc:"Email channels receive alerts only once their owner confirmed the address." example:"true"`
	Enabled        bool       `json:"enabled" doc:"Whether alerts are sent to the channel." example:"true"`
	DisabledReason string     `json:"disabled_reason,omitempty" doc:"Why Prikke turned the channel off (after repeated permanent failures); absent while enabled."`
	FailureCount   int        `json:"failure_count" doc:"Failed sends in a row." example:"0"`
	LastError      string     `json:"last_error,omitempty" doc:"The last send's error; absent when it succeeded."`
	ConfirmedAt    *time.Time `json:"confirmed_at,omitempty" doc:"When the email address was confirmed; absent for webhooks and unconfirmed addresses."`
	CreatedAt      time.Time  `json:"created_at" doc:"When the channel was added."`
}

func channelOut(c *prikke.Channel) *Channel {
	return &Channel{ID: c.ID.String(), ProjectID: c.ProjectID.String(), Kind: string(c.Kind), Name: c.Name, Target: c.ShownTarget(),
		Confirmed: c.Kind != prikke.ChannelEmail || c.ConfirmedAt != nil, Enabled: c.Enabled, DisabledReason: c.DisabledReason,
		FailureCount: c.FailureCount, LastError: c.LastError, ConfirmedAt: c.ConfirmedAt, CreatedAt: c.CreatedAt}
}

// ChannelRequest creates or changes a channel.
type ChannelRequest struct {
	Name    *string `json:"name,omitempty" maxLength:"200" example:"ops team" doc:"A name for people (default: the target)."`
	Target  *string `json:"target,omitempty" doc:"An email address or an https:// webhook URL; cannot be changed later." example:"ops@example.com"`
	Enabled *bool   `json:"enabled,omitempty" doc:"Turn a channel off or back on (which clears its failure count)."`
}

func (a *API) handleChannelList(ctx context.Context, in *projectIDInput) (*struct{ Body []*Channel }, error) {
	return listFor(ctx, in.ProjectID, a.svc.Channels, channelOut)
}

func (a *API) handleChannelCreate(ctx context.Context, in *projectUpdateInput) (*struct{ Body *Channel }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	var req ChannelRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	c, err := a.svc.CreateChannel(ctx, actorOf(ctx), id, service.ChannelInput{Name: req.Name, Target: req.Target, Enabled: req.Enabled})
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Channel }{channelOut(c)}, nil
}

type channelIDInput struct {
	ChannelID string `path:"channel_id" doc:"The channel's id."`
}

type channelUpdateInput struct {
	ChannelID string `path:"channel_id" doc:"The channel's id."`
	bodyInput
}

func (a *API) handleChannelUpdate(ctx context.Context, in *channelUpdateInput) (*struct{ Body *Channel }, error) {
	id, err := parseID(in.ChannelID)
	if err != nil {
		return nil, err
	}
	var req ChannelRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	c, err := a.svc.UpdateChannel(ctx, actorOf(ctx), id, service.ChannelInput{Name: req.Name, Target: req.Target, Enabled: req.Enabled})
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Channel }{channelOut(c)}, nil
}

func (a *API) handleChannelDelete(ctx context.Context, in *channelIDInput) (*struct{}, error) {
	id, err := parseID(in.ChannelID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteChannel(ctx, actorOf(ctx), id)
}

func (a *API) handleChannelTest(ctx context.Context, in *channelIDInput) (*messageBody, error) {
	id, err := parseID(in.ChannelID)
	if err != nil {
		return nil, err
	}
	if err := a.svc.TestChannel(ctx, actorOf(ctx), id); err != nil {
		return nil, err
	}
	return ack("The test notification was sent."), nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opChannels = operation{ID: "channels", Tag: "Notifications",
		Summary:     "List a project's notification channels",
		Description: "Every channel of the project, with whether it is confirmed and enabled."}

	opChannelCreate = operation{ID: "channel-create", Tag: "Notifications", Status: http.StatusCreated, Body: ChannelRequest{},
		Summary:     "Add a notification channel (admins)",
		Description: "An email address (confirmed by its owner through a mailed link before it receives alerts) or a webhook URL. Slack and Discord incoming-webhook URLs are recognised and get messages in their own format; other URLs get a signed JSON payload (see /docs/webhooks)."}

	opChannelUpdate = operation{ID: "channel-update", Tag: "Notifications", Body: ChannelRequest{},
		Summary:     "Rename a channel, or turn it off or on (admins)",
		Description: "Only the fields given change. Turning a channel back on clears its failure count. The target cannot be changed: add a new channel instead."}

	opChannelDelete = operation{ID: "channel-delete", Tag: "Notifications", Status: http.StatusNoContent,
		Summary:     "Delete a channel (admins)",
		Description: "The channel stops receiving alerts at once; the record of what it was sent stays in the notifications list."}

	opChannelTest = operation{ID: "channel-test", Tag: "Notifications",
		Summary:     "Send a test notification",
		Description: "Sends a test message to the channel now, so you can check it arrives. Recorded like any other notification."}
)
