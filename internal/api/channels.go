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
	ID             string     `json:"id"`
	ProjectID      string     `json:"project_id"`
	Kind           string     `json:"kind" enum:"email,webhook,slack,discord" doc:"Recognised from the target: Slack and Discord webhook URLs get messages in their own format."`
	Name           string     `json:"name"`
	Target         string     `json:"target" doc:"The email address or webhook URL; for Slack and Discord only the host (their path is a secret)."`
	Confirmed      bool       `json:"confirmed" doc:"Email channels receive alerts only once their owner confirmed the address."`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	FailureCount   int        `json:"failure_count"`
	LastError      string     `json:"last_error,omitempty"`
	ConfirmedAt    *time.Time `json:"confirmed_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

func channelOut(c *prikke.Channel) *Channel {
	return &Channel{ID: c.ID.String(), ProjectID: c.ProjectID.String(), Kind: string(c.Kind), Name: c.Name, Target: c.ShownTarget(),
		Confirmed: c.Kind != prikke.ChannelEmail || c.ConfirmedAt != nil, Enabled: c.Enabled, DisabledReason: c.DisabledReason,
		FailureCount: c.FailureCount, LastError: c.LastError, ConfirmedAt: c.ConfirmedAt, CreatedAt: c.CreatedAt}
}

// ChannelRequest creates or changes a channel.
type ChannelRequest struct {
	Name    *string `json:"name,omitempty" maxLength:"200" example:"ops team"`
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
	ChannelID string `path:"channel_id"`
}

type channelUpdateInput struct {
	ChannelID string `path:"channel_id"`
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
	ID          string    `json:"id"`
	ChannelID   string    `json:"channel_id,omitempty"`
	JobID       string    `json:"job_id,omitempty"`
	ExecutionID string    `json:"execution_id,omitempty"`
	Event       string    `json:"event" enum:"job.failing,job.recovered,job.disabled,test,quota.80,quota.100,channel.disabled"`
	Recipient   string    `json:"recipient"`
	OK          bool      `json:"ok"`
	Error       string    `json:"error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
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
	ID        string          `json:"id"`
	ProjectID string          `json:"project_id"`
	Slug      string          `json:"slug" example:"acme-status"`
	Title     string          `json:"title" example:"Acme integrations"`
	Published bool            `json:"published"`
	URL       string          `json:"url" doc:"Where the page is served once published."`
	Jobs      []StatusPageJob `json:"jobs"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// StatusPageJob is one job on a status page.
type StatusPageJob struct {
	JobID       string `json:"job_id"`
	DisplayName string `json:"display_name" maxLength:"200" example:"Invoice sync"`
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
	Title     *string          `json:"title,omitempty" maxLength:"200"`
	Published *bool            `json:"published,omitempty"`
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
	StatusPageID string `path:"status_page_id"`
}

type statusPageUpdateInput struct {
	StatusPageID string `path:"status_page_id"`
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
