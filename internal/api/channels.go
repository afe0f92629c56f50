package api

import (
	"context"
	"strconv"
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
	return listFor(ctx, a, in.ProjectID, a.svc.Channels, channelOut)
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
		return nil, a.apiError(ctx, err)
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
		return nil, a.apiError(ctx, err)
	}
	return &struct{ Body *Channel }{channelOut(c)}, nil
}

func (a *API) handleChannelDelete(ctx context.Context, in *channelIDInput) (*struct{}, error) {
	id, err := parseID(in.ChannelID)
	if err != nil {
		return nil, err
	}
	return nil, a.errOrNil(ctx, a.svc.DeleteChannel(ctx, actorOf(ctx), id))
}

func (a *API) handleChannelTest(ctx context.Context, in *channelIDInput) (*messageBody, error) {
	id, err := parseID(in.ChannelID)
	if err != nil {
		return nil, err
	}
	if err := a.svc.TestChannel(ctx, actorOf(ctx), id); err != nil {
		return nil, a.apiError(ctx, err)
	}
	return ack("The test notification was sent."), nil
}

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
	return listFor(ctx, a, in.ProjectID, recent, func(n *prikke.Notification) *Notification {
		return &Notification{ID: n.ID.String(), ChannelID: idString(n.ChannelID), JobID: idString(n.JobID),
			ExecutionID: idString(n.ExecutionID), Event: string(n.Event), Recipient: n.Recipient, OK: n.OK, Error: n.Error, CreatedAt: n.CreatedAt}
	})
}

// StatusPage is a customer-facing status page, served at /s/<slug> when
// published. It shows only the chosen jobs' display names, states and
// uptime: never URLs, headers, bodies or errors.
type StatusPage struct {
	ID        string          `json:"id" doc:"The status page's id."`
	ProjectID string          `json:"project_id" doc:"The project the page belongs to."`
	Slug      string          `json:"slug" example:"acme-status" doc:"The page's address: /s/<slug>."`
	Title     string          `json:"title" example:"Acme integrations" doc:"The page's heading."`
	Published bool            `json:"published" doc:"Whether the page is served; unpublished pages answer 404." example:"true"`
	URL       string          `json:"url" doc:"Where the page is served once published."`
	Jobs      []StatusPageJob `json:"jobs" doc:"The jobs shown, in order."`
	CreatedAt time.Time       `json:"created_at" doc:"When the page was created."`
	UpdatedAt time.Time       `json:"updated_at" doc:"When the page last changed."`
}

// StatusPageJob is one job on a status page.
type StatusPageJob struct {
	JobID       string `json:"job_id" doc:"The job's id; it must be in the page's project."`
	DisplayName string `json:"display_name" maxLength:"200" example:"Invoice sync" doc:"The name visitors see instead of the job's own."`
}

func statusPageOut(p *prikke.StatusPage) *StatusPage {
	out := &StatusPage{ID: p.ID.String(), ProjectID: p.ProjectID.String(), Slug: p.Slug, Title: p.Title, Published: p.Published,
		URL: "/s/" + p.Slug, Jobs: []StatusPageJob{}, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	for _, j := range p.Jobs {
		out.Jobs = append(out.Jobs, StatusPageJob{JobID: j.JobID.String(), DisplayName: j.DisplayName})
	}
	return out
}

// StatusPageRequest creates or changes a status page.
type StatusPageRequest struct {
	Slug      *string          `json:"slug,omitempty" doc:"3-63 lower-case letters, digits or dashes." example:"acme-status"`
	Title     *string          `json:"title,omitempty" maxLength:"200" doc:"The page's heading." example:"Acme integrations"`
	Published *bool            `json:"published,omitempty" doc:"Whether the page is served at /s/<slug> (default false)." example:"true"`
	Jobs      *[]StatusPageJob `json:"jobs,omitempty" doc:"The jobs shown, in order, under their display names (replaces the list)."`
}

func (r *StatusPageRequest) input() (service.StatusPageInput, error) {
	in := service.StatusPageInput{Slug: r.Slug, Title: r.Title, Published: r.Published}
	if r.Jobs != nil {
		var v prikke.Validation
		jobs := make([]prikke.StatusPageJob, 0, len(*r.Jobs))
		for i, j := range *r.Jobs {
			id, err := prikke.ParseID(j.JobID)
			if err != nil {
				v.Add("jobs["+strconv.Itoa(i)+"].job_id", "is not a valid id")
				continue
			}
			jobs = append(jobs, prikke.StatusPageJob{JobID: id, DisplayName: j.DisplayName})
		}
		if err := v.Err(); err != nil {
			return in, err
		}
		in.Jobs = &jobs
	}
	return in, nil
}

func (a *API) handleStatusPageList(ctx context.Context, in *projectIDInput) (*struct{ Body []*StatusPage }, error) {
	return listFor(ctx, a, in.ProjectID, a.svc.StatusPages, statusPageOut)
}

func (a *API) handleStatusPageCreate(ctx context.Context, in *projectUpdateInput) (*struct{ Body *StatusPage }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	var req StatusPageRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si, err := req.input()
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	p, err := a.svc.CreateStatusPage(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	return &struct{ Body *StatusPage }{statusPageOut(p)}, nil
}

type statusPageIDInput struct {
	StatusPageID string `path:"status_page_id" doc:"The status page's id."`
}

type statusPageUpdateInput struct {
	StatusPageID string `path:"status_page_id" doc:"The status page's id."`
	bodyInput
}

func (a *API) handleStatusPageGet(ctx context.Context, in *statusPageIDInput) (*struct{ Body *StatusPage }, error) {
	id, err := parseID(in.StatusPageID)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.StatusPage(ctx, actorOf(ctx), id, prikke.PermRead)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	return &struct{ Body *StatusPage }{statusPageOut(p)}, nil
}

func (a *API) handleStatusPageUpdate(ctx context.Context, in *statusPageUpdateInput) (*struct{ Body *StatusPage }, error) {
	id, err := parseID(in.StatusPageID)
	if err != nil {
		return nil, err
	}
	var req StatusPageRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si, err := req.input()
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	p, err := a.svc.UpdateStatusPage(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	return &struct{ Body *StatusPage }{statusPageOut(p)}, nil
}

func (a *API) handleStatusPageDelete(ctx context.Context, in *statusPageIDInput) (*struct{}, error) {
	id, err := parseID(in.StatusPageID)
	if err != nil {
		return nil, err
	}
	return nil, a.errOrNil(ctx, a.svc.DeleteStatusPage(ctx, actorOf(ctx), id))
}
