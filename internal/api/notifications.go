package api

import (
	"context"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// Notification is one recorded send.
type Notification struct {
	ID          string    `json:"id" doc:"The notification's id."`
	ChannelID   string    `json:"channel_id,omitempty" doc:"The channel it was sent to; absent if the channel was deleted since."`
	JobID       string    `json:"job_id,omitempty" doc:"The job it was about, if any."`
	ExecutionID string    `json:"execution_id,omitempty" doc:"The execution that caused it, if any."`
	Event       string    `json:"event" enum:"job.failing,job.recovered,job.disabled,test,quota.80,quota.100,channel.disabled" doc:"What it announced."`
	Recipient   string    `json:"recipient" doc:"The address or host it was sent to." example:"ops@example.com"`
	OK          bool      `json:"ok" doc:"Whether the send succeeded." example:"true"`
	Error       string    `json:"error,omitempty" doc:"Why the send failed; absent when it succeeded."`
	CreatedAt   time.Time `json:"created_at" doc:"When it was sent."`
}

func idString(id *prikke.ID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func (a *API) handleNotificationList(ctx context.Context, in *projectIDInput) (*struct{ Body []*Notification }, error) {
	recent := func(ctx context.Context, actor *service.Actor, id prikke.ID) ([]*prikke.Notification, error) {
		return a.svc.Notifications(ctx, actor, id, 100)
	}
	return listFor(ctx, in.ProjectID, recent, func(n *prikke.Notification) *Notification {
		return &Notification{ID: n.ID.String(), ChannelID: idString(n.ChannelID), JobID: idString(n.JobID),
			ExecutionID: idString(n.ExecutionID), Event: string(n.Event), Recipient: n.Recipient, OK: n.OK, Error: n.Error, CreatedAt: n.CreatedAt}
	})
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opNotifications = operation{ID: "notifications", Tag: "Notifications",
		Summary:     "Recent notifications sent for a project",
		Description: "Every send, successful or not."}
)
