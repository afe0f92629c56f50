package service

import (
	"context"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/store"
)

// ChannelTester sends test notifications (the notifier).
type ChannelTester interface {
	Test(ctx context.Context, c *prikke.Channel, requestedBy string) error
}

// ChannelInput describes a channel. Target is an email address or a URL;
// a URL of a Slack or Discord incoming webhook is recognised and sent
// messages in that service's own format.
type ChannelInput struct {
	Name    *string
	Target  *string
	Enabled *bool
}

// Channels lists a project's channels.
func (s *Service) Channels(ctx context.Context, a *Actor, projectID prikke.ID) ([]*prikke.Channel, error) {
	if _, err := s.project(ctx, a, projectID, prikke.PermRead, "see channels"); err != nil {
		return nil, err
	}
	return s.store.ChannelListByProject(ctx, projectID)
}

// Channel returns one channel.
func (s *Service) Channel(ctx context.Context, a *Actor, id prikke.ID, perm prikke.Permission) (*prikke.Channel, error) {
	c, err := s.store.ChannelGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.project(ctx, a, c.ProjectID, perm, "manage channels"); err != nil {
		return nil, err
	}
	return c, nil
}

// CreateChannel adds a channel (admins). An email address receives nothing
// but a confirmation link until its owner opens it.
func (s *Service) CreateChannel(ctx context.Context, a *Actor, projectID prikke.ID, in ChannelInput) (*prikke.Channel, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermManageProjects, "add channels")
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := &prikke.Channel{ID: prikke.NewID(), ProjectID: p.ID, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Target != nil {
		c.Target = strings.TrimSpace(*in.Target)
	}
	var v prikke.Validation
	prikke.ValidateName(&v, "name", c.Name, false)
	token := ""
	switch {
	case c.Target == "":
		v.Add("target", "is required: an email address or an https:// webhook URL (Slack and Discord webhook URLs are recognised)")
	case strings.Contains(c.Target, "://"):
		prikke.ValidateURL(&v, "target", c.Target)
		if !v.Has("target") {
			s.checkDestination(&v, "target", c.Target)
		}
		if !v.Has("target") && !s.secureEnough(c.Target) {
			v.Add("target", "must be an https:// URL: notifications are not sent over plain http")
		}
		c.Kind = prikke.DetectChannelKind(c.Target)
	default:
		c.Target = prikke.NormalizeEmail(c.Target)
		prikke.ValidateEmail(&v, "target", c.Target)
		c.Kind = prikke.ChannelEmail
		var hash []byte
		token, hash = auth.NewToken()
		c.ConfirmTokenHash = hash
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if c.Name == "" {
		c.Name = channelLabel(c)
	}
	if err := s.store.ChannelCreate(ctx, c); err != nil {
		return nil, err
	}
	if token != "" {
		s.send(ctx, c.Target, mail.ConfirmChannel{ProjectName: p.Name, Email: c.Target, ConfirmURL: s.url("/channels/confirm?token=" + token)})
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditChannelCreate, "channel", c.ID.String(), string(c.Kind))
	return c, nil
}

func channelLabel(c *prikke.Channel) string {
	switch c.Kind {
	case prikke.ChannelEmail:
		return c.Target
	case prikke.ChannelSlack:
		return "Slack"
	case prikke.ChannelDiscord:
		return "Discord"
	}
	if h, err := urlHost(c.Target); err == nil {
		return h
	}
	return "Webhook"
}

// UpdateChannel renames a channel or turns it on or off (admins).
// Turning a disabled channel back on clears its failure count.
func (s *Service) UpdateChannel(ctx context.Context, a *Actor, id prikke.ID, in ChannelInput) (*prikke.Channel, error) {
	c, err := s.Channel(ctx, a, id, prikke.PermManageProjects)
	if err != nil {
		return nil, err
	}
	var v prikke.Validation
	if in.Name != nil {
		c.Name = *in.Name
		prikke.ValidateName(&v, "name", c.Name, true)
	}
	if in.Target != nil && strings.TrimSpace(*in.Target) != c.Target {
		v.Add("target", "cannot be changed; add a new channel and delete this one")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if in.Enabled != nil {
		if *in.Enabled && !c.Enabled {
			c.FailureCount, c.LastError, c.DisabledReason = 0, "", ""
		}
		c.Enabled = *in.Enabled
		if !c.Enabled && c.DisabledReason == "" {
			c.DisabledReason = "Turned off by hand."
		}
	}
	c.UpdatedAt = s.now()
	if err := s.store.ChannelUpdate(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteChannel removes a channel (admins).
func (s *Service) DeleteChannel(ctx context.Context, a *Actor, id prikke.ID) error {
	c, err := s.Channel(ctx, a, id, prikke.PermManageProjects)
	if err != nil {
		return err
	}
	if err := s.store.ChannelDelete(ctx, id); err != nil {
		return err
	}
	p, _ := s.store.ProjectGet(ctx, c.ProjectID)
	if p != nil {
		s.record(ctx, a, &p.OrganizationID, prikke.AuditChannelDelete, "channel", c.ID.String(), string(c.Kind))
	}
	return nil
}

// ConfirmChannel confirms an email channel with the token from its mail.
func (s *Service) ConfirmChannel(ctx context.Context, token string) (*prikke.Channel, error) {
	c, err := s.store.ChannelGetByConfirmHash(ctx, auth.HashToken(token))
	if err != nil {
		return nil, prikke.Errorf(prikke.EINVALID, "This confirmation link is invalid or was already used.")
	}
	now := s.now()
	c.ConfirmedAt, c.ConfirmTokenHash, c.UpdatedAt = &now, nil, now
	if err := s.store.ChannelUpdate(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// TestChannel sends a test notification to a channel now (members may test).
func (s *Service) TestChannel(ctx context.Context, a *Actor, id prikke.ID) error {
	c, err := s.Channel(ctx, a, id, prikke.PermManageJobs)
	if err != nil {
		return err
	}
	if c.Kind == prikke.ChannelEmail && c.ConfirmedAt == nil {
		return prikke.Errorf(prikke.EINVALID, "%s has not confirmed yet; the confirmation link was sent when the channel was added.", c.Target)
	}
	if s.Tester == nil {
		return prikke.Errorf(prikke.EUNAVAILABLE, "Notifications are not running.")
	}
	by := ""
	if a.User != nil {
		by = a.User.Email
	}
	if err := s.Tester.Test(ctx, c, by); err != nil {
		return prikke.Errorf(prikke.EINVALID, "The test notification failed: %s", err.Error())
	}
	return nil
}

// Notifications lists a project's recent sends.
func (s *Service) Notifications(ctx context.Context, a *Actor, projectID prikke.ID, limit int) ([]*prikke.Notification, error) {
	if _, err := s.project(ctx, a, projectID, prikke.PermRead, "see notifications"); err != nil {
		return nil, err
	}
	return s.store.NotificationList(ctx, store.NotificationFilter{ProjectID: &projectID, Limit: limit})
}

// StatusPageInput describes a customer status page.
type StatusPageInput struct {
	Slug      *string
	Title     *string
	Published *bool
	Jobs      *[]prikke.StatusPageJob
	Monitors  *[]prikke.StatusPageMonitor // nil: unchanged
}

// StatusPages lists a project's status pages.
func (s *Service) StatusPages(ctx context.Context, a *Actor, projectID prikke.ID) ([]*prikke.StatusPage, error) {
	if _, err := s.project(ctx, a, projectID, prikke.PermRead, "see status pages"); err != nil {
		return nil, err
	}
	return s.store.StatusPageListByProject(ctx, projectID)
}

// StatusPage returns one status page.
func (s *Service) StatusPage(ctx context.Context, a *Actor, id prikke.ID, perm prikke.Permission) (*prikke.StatusPage, error) {
	p, err := s.store.StatusPageGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.project(ctx, a, p.ProjectID, perm, "manage status pages"); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Service) applyStatusPage(ctx context.Context, p *prikke.StatusPage, in StatusPageInput) error {
	var v prikke.Validation
	if in.Slug != nil {
		p.Slug = strings.ToLower(strings.TrimSpace(*in.Slug))
	}
	if in.Title != nil {
		p.Title = *in.Title
	}
	if in.Published != nil {
		p.Published = *in.Published
	}
	prikke.ValidateSlug(&v, "slug", p.Slug)
	prikke.ValidateName(&v, "title", p.Title, true)
	if in.Jobs != nil {
		p.Jobs = nil
		seen := map[prikke.ID]bool{}
		for i, j := range *in.Jobs {
			field := "jobs[" + itoa(i) + "]"
			job, err := s.store.JobGet(ctx, j.JobID)
			if err != nil || job.ProjectID != p.ProjectID {
				v.Add(field+".job_id", "is not a job of this project")
				continue
			}
			if seen[j.JobID] {
				v.Add(field+".job_id", "is listed twice")
				continue
			}
			seen[j.JobID] = true
			prikke.ValidateName(&v, field+".display_name", j.DisplayName, true)
			p.Jobs = append(p.Jobs, prikke.StatusPageJob{JobID: j.JobID, DisplayName: j.DisplayName, Position: i})
		}
		if len(*in.Jobs) > 50 {
			v.Add("jobs", "at most 50 jobs per page")
		}
	}
	if in.Monitors != nil {
		s.applyStatusPageMonitors(ctx, &v, p, *in.Monitors)
	}
	return v.Err()
}

// applyStatusPageMonitors sets the monitors a page shows: the project's
// own, each once, under a display name.
func (s *Service) applyStatusPageMonitors(ctx context.Context, v *prikke.Validation, p *prikke.StatusPage, in []prikke.StatusPageMonitor) {
	p.Monitors = nil
	seen := map[prikke.ID]bool{}
	for i, pm := range in {
		field := "monitors[" + itoa(i) + "]"
		m, err := s.store.MonitorGet(ctx, pm.MonitorID)
		if err != nil || m.ProjectID != p.ProjectID {
			v.Add(field+".monitor_id", "is not a monitor of this project")
			continue
		}
		if seen[pm.MonitorID] {
			v.Add(field+".monitor_id", "is listed twice")
			continue
		}
		seen[pm.MonitorID] = true
		prikke.ValidateName(v, field+".display_name", pm.DisplayName, true)
		p.Monitors = append(p.Monitors, prikke.StatusPageMonitor{MonitorID: pm.MonitorID, DisplayName: pm.DisplayName})
	}
	if len(in) > 50 {
		v.Add("monitors", "at most 50 monitors per page")
	}
}

// CreateStatusPage creates a customer status page (admins).
func (s *Service) CreateStatusPage(ctx context.Context, a *Actor, projectID prikke.ID, in StatusPageInput) (*prikke.StatusPage, error) {
	pr, err := s.project(ctx, a, projectID, prikke.PermManageProjects, "create status pages")
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &prikke.StatusPage{ID: prikke.NewID(), ProjectID: pr.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.applyStatusPage(ctx, p, in); err != nil {
		return nil, err
	}
	if err := s.store.StatusPageCreate(ctx, p); err != nil {
		if isCode(err, prikke.ECONFLICT) {
			return nil, prikke.InvalidField("slug", "is taken; choose another")
		}
		return nil, err
	}
	s.refreshBars(ctx)
	s.record(ctx, a, &pr.OrganizationID, prikke.AuditStatusPageChange, "status_page", p.ID.String(), p.Slug)
	return p, nil
}

// UpdateStatusPage changes a status page (admins).
func (s *Service) UpdateStatusPage(ctx context.Context, a *Actor, id prikke.ID, in StatusPageInput) (*prikke.StatusPage, error) {
	p, err := s.StatusPage(ctx, a, id, prikke.PermManageProjects)
	if err != nil {
		return nil, err
	}
	if err := s.applyStatusPage(ctx, p, in); err != nil {
		return nil, err
	}
	p.UpdatedAt = s.now()
	if err := s.store.StatusPageUpdate(ctx, p); err != nil {
		if isCode(err, prikke.ECONFLICT) {
			return nil, prikke.InvalidField("slug", "is taken; choose another")
		}
		return nil, err
	}
	s.refreshBars(ctx)
	return p, nil
}

// refreshBars recounts daily outcomes from the history still kept, so a
// job added to a page shows its bars at once rather than from tomorrow.
func (s *Service) refreshBars(ctx context.Context) {
	if err := s.store.JobDaysRollup(ctx, s.now().Add(-31*24*time.Hour)); err != nil {
		s.logger.Warn("status rollup failed", "error", err)
	}
}

// DeleteStatusPage deletes a status page (admins).
func (s *Service) DeleteStatusPage(ctx context.Context, a *Actor, id prikke.ID) error {
	if _, err := s.StatusPage(ctx, a, id, prikke.PermManageProjects); err != nil {
		return err
	}
	return s.store.StatusPageDelete(ctx, id)
}

// PublicStatusPage returns a published page by its slug, for anyone.
func (s *Service) PublicStatusPage(ctx context.Context, slug string) (*prikke.StatusPage, error) {
	p, err := s.store.StatusPageGetBySlug(ctx, strings.ToLower(slug))
	if err != nil || !p.Published {
		return nil, notFound()
	}
	return p, nil
}

// IncidentInput is an operator's post to the public status page.
type IncidentInput struct {
	Title      string
	Message    string
	Status     prikke.IncidentStatus
	Components []string
}

// OpenIncident posts an incident (operators: `prikke incident open`).
func (s *Service) OpenIncident(ctx context.Context, in IncidentInput) (*prikke.Incident, error) {
	var v prikke.Validation
	prikke.ValidateName(&v, "title", in.Title, true)
	if strings.TrimSpace(in.Message) == "" {
		v.Add("message", "is required")
	}
	if in.Status == "" {
		in.Status = prikke.IncidentInvestigating
	}
	if !validIncidentStatus(in.Status) || in.Status == prikke.IncidentResolved {
		v.Add("status", "must be investigating, identified or monitoring")
	}
	for _, c := range in.Components {
		if !validComponent(c) {
			v.Add("components", "%q is not a component; use api, dashboard, scheduler or delivery", c)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	inc := &prikke.Incident{ID: prikke.NewID(), Title: in.Title, Status: in.Status, Components: in.Components, CreatedAt: now, UpdatedAt: now}
	u := &prikke.IncidentUpdate{ID: prikke.NewID(), IncidentID: inc.ID, Status: in.Status, Message: in.Message, CreatedAt: now}
	if err := s.store.IncidentCreate(ctx, inc, u); err != nil {
		return nil, err
	}
	return inc, nil
}

// UpdateIncident adds an update; resolved closes the incident.
func (s *Service) UpdateIncident(ctx context.Context, id prikke.ID, st prikke.IncidentStatus, message string) (*prikke.Incident, error) {
	if !validIncidentStatus(st) {
		return nil, prikke.InvalidField("status", "must be investigating, identified, monitoring or resolved")
	}
	if strings.TrimSpace(message) == "" {
		return nil, prikke.InvalidField("message", "is required")
	}
	if err := s.store.IncidentUpdate(ctx, &prikke.IncidentUpdate{ID: prikke.NewID(), IncidentID: id, Status: st,
		Message: message, CreatedAt: s.now()}); err != nil {
		return nil, err
	}
	return s.store.IncidentGet(ctx, id)
}

func validIncidentStatus(st prikke.IncidentStatus) bool {
	switch st {
	case prikke.IncidentInvestigating, prikke.IncidentIdentified, prikke.IncidentMonitoring, prikke.IncidentResolved:
		return true
	}
	return false
}

func validComponent(c string) bool {
	for _, x := range prikke.Components {
		if c == x {
			return true
		}
	}
	return false
}
