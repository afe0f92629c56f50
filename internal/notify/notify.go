// Package notify tells people when a job's health flips: from healthy to
// failing, back to healthy, and when Prikke disables a job whose endpoint
// answered 410 Gone; likewise when a workflow's runs start failing or
// succeed again (workflow.go), and when a monitor misses a ping. It also mails organization owners and admins when
// they reach 80% and 100% of their monthly request quota.
//
// The pipeline follows Healthchecks: the worker writes a flip (an outbox
// row) in the same transaction as the result that caused it; a notifier on
// any node claims each flip exactly once, sends it to every active channel
// of the job (the project's, the job's own list, or none when muted),
// records every send, and disables a channel that fails permanently (a 404
// or 410 from its webhook, a rejected address) or keeps failing, telling
// the project's owners by email.
//
// Channels are email addresses (confirmed by their owner first), webhook
// URLs that get a signed JSON payload, and Slack and Discord incoming
// webhooks, which get messages in their own formats. Every outgoing
// request goes through the delivery client: the same SSRF guard and the
// same Standard Webhooks signing as job deliveries.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
)

// Notifier sends notifications. Start and Stop are safe to call twice.
type Notifier struct {
	store   store.Store
	mailer  mail.Mailer
	client  *delivery.Client
	baseURL string
	logger  *slog.Logger
	metrics *metrics.Metrics
	// NowFunc is the clock (tests replace it).
	NowFunc func() time.Time
	// Timeout bounds one webhook send.
	Timeout time.Duration
	// Billing says this Prikke sells plans: only then does the quota mail
	// suggest upgrading (a self-hosted Prikke has nothing to buy).
	Billing bool

	loop startstop.Loop
}

// New returns a stopped notifier.
func New(s store.Store, mailer mail.Mailer, client *delivery.Client, baseURL string, m *metrics.Metrics, logger *slog.Logger) *Notifier {
	return &Notifier{store: s, mailer: mailer, client: client, baseURL: strings.TrimRight(baseURL, "/"), metrics: m,
		logger: logger.With("service", "notify"), NowFunc: time.Now, Timeout: 10 * time.Second}
}

func (n *Notifier) now() time.Time { return n.NowFunc().UTC() }

// Start begins processing flips as they are written (and every few seconds).
func (n *Notifier) Start(ctx context.Context) { n.loop.Start(ctx, n.run) }

// Stop stops the notifier and waits for the send in progress.
func (n *Notifier) Stop() { n.loop.Stop() }

// run processes flips as they are written, and every 5 seconds, until
// Stop.
func (n *Notifier) run(ctx context.Context) {
	sub := n.store.Subscribe(store.TopicFlips)
	defer sub.Close()
	for {
		if _, err := n.Drain(ctx); err != nil && ctx.Err() == nil {
			n.logger.Warn("processing flips failed", "error", err)
		}
		t := time.NewTimer(5 * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-sub.C:
		case <-t.C:
		}
		t.Stop()
	}
}

// Drain processes every flip waiting (monitors' first: their alerts are
// due within a second; then jobs', then workflows') and returns how many
// it processed.
func (n *Notifier) Drain(ctx context.Context) (int, error) {
	total, err := n.drainMonitors(ctx)
	if err != nil {
		return total, err
	}
	for {
		flips, err := n.store.FlipClaim(ctx, n.now(), 50)
		if err != nil {
			return total, err
		}
		for _, f := range flips {
			n.process(ctx, f)
		}
		total += len(flips)
		if len(flips) < 50 {
			break
		}
	}
	wf, err := n.drainWorkflows(ctx)
	return total + wf, err
}

// event is one flip with everything a message needs.
type event struct {
	flip      *prikke.Flip
	job       *prikke.Job
	project   *prikke.Project
	execution *prikke.Execution // may be nil
}

func (n *Notifier) process(ctx context.Context, f *prikke.Flip) {
	if f.Muted {
		return // snoozed or in the job's window: kept as history, not sent
	}
	j, err := n.store.JobGet(ctx, f.JobID)
	if err != nil {
		return // deleted since: nobody to tell
	}
	p, err := n.store.ProjectGet(ctx, j.ProjectID)
	if err != nil {
		return
	}
	ev := &event{flip: f, job: j, project: p}
	if f.ExecutionID != nil {
		if e, err := n.store.ExecutionGet(ctx, *f.ExecutionID); err == nil {
			ev.execution = e
		}
	}
	channels, err := n.store.ChannelListForJob(ctx, j.ID)
	if err != nil {
		n.logger.Warn("listing channels failed", "job_id", j.ID, "error", err)
		return
	}
	sent := 0
	for _, c := range channels {
		if !c.Active() {
			continue
		}
		n.deliver(ctx, c, ev)
		sent++
	}
	if f.Event == prikke.EventJobDisabled && sent == 0 {
		// Nobody would hear that the job stopped: tell the owners.
		n.mailOwners(ctx, p, func(to string) mail.Data {
			return mail.JobDisabled{JobName: jobName(j), ProjectName: p.Name, URL: j.URL, DisabledAt: f.CreatedAt, JobURL: n.jobURL(j)}
		}, f)
	}
}

// deliver sends one event to one channel and records the outcome.
func (n *Notifier) deliver(ctx context.Context, c *prikke.Channel, ev *event) {
	res := n.send(ctx, c, ev)
	n.recordSend(ctx, c, &prikke.Notification{ProjectID: ev.project.ID, JobID: &ev.job.ID, ExecutionID: ev.flip.ExecutionID, Event: ev.flip.Event}, res)
}

// result is the outcome of one send.
type result struct {
	err       error
	permanent bool // the destination will never accept: disable at once
}

func (n *Notifier) send(ctx context.Context, c *prikke.Channel, ev *event) result {
	switch c.Kind {
	case prikke.ChannelEmail:
		return n.sendMail(ctx, c.Target, n.mailFor(ev, c))
	default:
		body, err := n.payload(c.Kind, ev)
		if err != nil {
			return result{err: err}
		}
		return n.post(ctx, c, ev.project, body, ev.flip.ID)
	}
}

func (n *Notifier) sendMail(ctx context.Context, to string, d mail.Data) result {
	m, err := mail.NewMessage(to, d)
	if err != nil {
		return result{err: err}
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n.mailer.Send(sctx, m); err != nil {
		return result{err: err, permanent: mail.IsPermanent(err)}
	}
	return result{}
}

// post sends a JSON body to a webhook channel, signed with the project's
// secret, through the SSRF-guarded delivery client.
func (n *Notifier) post(ctx context.Context, c *prikke.Channel, p *prikke.Project, body []byte, id prikke.ID) result {
	res := n.client.Do(ctx, delivery.Request{
		Method: "POST", URL: c.Target, Body: body, Timeout: n.Timeout,
		Headers:   []prikke.Header{{Name: "Content-Type", Value: "application/json"}},
		WebhookID: "msg_" + strings.ReplaceAll(id.String(), "-", ""), Secrets: p.Secrets(n.now()),
	})
	if res.Status == prikke.ExecutionStatusSuccess {
		return result{}
	}
	err := fmt.Errorf("%s", res.Error)
	// The endpoint is gone for good: a webhook that 404s or 410s will not
	// start working by itself (Standard Webhooks: 410 means stop).
	permanent := res.StatusCode == 404 || res.StatusCode == 410 || res.StatusCode == 401 || res.StatusCode == 403
	return result{err: err, permanent: permanent}
}

// recordSend writes the notification row rec (what it is about: project,
// job or monitor, execution, event) and updates the channel: reset on
// success; count failures, and disable on a permanent one or after
// prikke.ChannelFailuresBeforeDisable in a row.
func (n *Notifier) recordSend(ctx context.Context, c *prikke.Channel, rec *prikke.Notification, r result) {
	now := n.now()
	rec.ID, rec.ChannelID, rec.Recipient, rec.OK, rec.CreatedAt = prikke.NewID(), &c.ID, recipient(c), r.err == nil, now
	if r.err != nil {
		rec.Error = truncate(r.err.Error(), 500)
	}
	if err := n.store.NotificationInsert(ctx, rec); err != nil {
		n.logger.Warn("recording a notification failed", "error", err)
	}
	outcome := "sent"
	if r.err != nil {
		outcome = "failed"
	}
	if n.metrics != nil {
		n.metrics.Notifications.WithLabelValues(outcome).Inc()
	}
	if r.err == nil {
		if c.FailureCount != 0 || c.LastError != "" {
			c.FailureCount, c.LastError, c.UpdatedAt = 0, "", now
			_ = n.store.ChannelUpdate(ctx, c)
		}
		return
	}
	n.logger.Info("notification failed", "channel_id", c.ID, "kind", c.Kind, "error", rec.Error, "permanent", r.permanent)
	c.FailureCount++
	c.LastError, c.UpdatedAt = rec.Error, now
	if r.permanent || c.FailureCount >= prikke.ChannelFailuresBeforeDisable {
		c.Enabled = false
		if r.permanent {
			c.DisabledReason = "Disabled after a permanent failure: " + rec.Error
		} else {
			c.DisabledReason = fmt.Sprintf("Disabled after %d failures in a row; last: %s", c.FailureCount, rec.Error)
		}
	}
	if err := n.store.ChannelUpdate(ctx, c); err != nil {
		n.logger.Warn("updating a channel failed", "channel_id", c.ID, "error", err)
		return
	}
	if !c.Enabled {
		p, err := n.store.ProjectGet(ctx, c.ProjectID)
		if err != nil {
			return
		}
		n.mailOwners(ctx, p, func(string) mail.Data {
			return mail.ChannelDisabled{ProjectName: p.Name, ChannelName: channelName(c), Target: displayTarget(c),
				LastError: rec.Error, ChannelsURL: n.url("/app/projects/" + p.ID.String() + "/channels")}
		}, &prikke.Flip{ProjectID: p.ID, Event: prikke.EventChannelOff})
	}
}

// mailOwners emails every owner of the project's organization (and admins
// when adminsToo), recording each send.
func (n *Notifier) mailOwners(ctx context.Context, p *prikke.Project, data func(to string) mail.Data, f *prikke.Flip) {
	n.mailRoles(ctx, p.OrganizationID, &p.ID, false, data, f.Event, &f.JobID)
}

func (n *Notifier) mailRoles(ctx context.Context, orgID prikke.ID, projectID *prikke.ID, adminsToo bool, data func(to string) mail.Data, ev prikke.NotificationEvent, jobID *prikke.ID) {
	ms, err := n.store.MembershipListByOrganization(ctx, orgID)
	if err != nil {
		n.logger.Warn("listing members failed", "error", err)
		return
	}
	for _, m := range ms {
		if m.Role != prikke.RoleOwner && !(adminsToo && m.Role == prikke.RoleAdmin) {
			continue
		}
		r := n.sendMail(ctx, m.UserEmail, data(m.UserEmail))
		rec := &prikke.Notification{ID: prikke.NewID(), Event: ev, Recipient: m.UserEmail, OK: r.err == nil, CreatedAt: n.now()}
		if projectID != nil {
			rec.ProjectID = *projectID
		}
		if jobID != nil && *jobID != prikke.NilID {
			rec.JobID = jobID
		}
		if r.err != nil {
			rec.Error = truncate(r.err.Error(), 500)
		}
		if err := n.store.NotificationInsert(ctx, rec); err != nil {
			n.logger.Warn("recording a notification failed", "error", err)
		}
	}
}

// Quota mails the owners and admins of an organization that crossed 80% or
// 100% of its monthly quota, once per threshold and month whatever the
// number of nodes that saw it.
func (n *Notifier) Quota(ctx context.Context, q store.QuotaCrossing) {
	pct := 80
	if q.Used >= q.Limit {
		pct = 100
	}
	first, err := n.store.UsageMarkNotified(ctx, q.OrganizationID, q.Month, pct)
	if err != nil || !first {
		return
	}
	if pct == 100 {
		// Crossing straight to 100% also covers the 80% mail.
		_, _ = n.store.UsageMarkNotified(ctx, q.OrganizationID, q.Month, 80)
	}
	o, err := n.store.OrganizationGet(ctx, q.OrganizationID)
	if err != nil {
		return
	}
	ev := prikke.EventQuota80
	if pct == 100 {
		ev = prikke.EventQuota100
	}
	n.mailRoles(ctx, o.ID, nil, true, func(string) mail.Data {
		return mail.Quota{OrganizationName: o.Name, Used: q.Used, Limit: q.Limit, Month: q.Month,
			UsageURL: n.url("/app/orgs/" + o.ID.String() + "/usage"), CanUpgrade: n.Billing && o.Tier != prikke.TierPro}
	}, ev, nil)
}

// Test sends a test notification to one channel now and returns the error,
// if any. It is recorded like any send, and does not disable the channel.
func (n *Notifier) Test(ctx context.Context, c *prikke.Channel, requestedBy string) error {
	p, err := n.store.ProjectGet(ctx, c.ProjectID)
	if err != nil {
		return err
	}
	var r result
	if c.Kind == prikke.ChannelEmail {
		r = n.sendMail(ctx, c.Target, mail.TestNotification{ProjectName: p.Name, ChannelName: channelName(c),
			RequestedBy: requestedBy, ProjectURL: n.url("/app/projects/" + p.ID.String())})
	} else {
		ev := &event{flip: &prikke.Flip{ID: prikke.NewID(), ProjectID: p.ID, Event: prikke.EventTest, CreatedAt: n.now()},
			job: &prikke.Job{Name: "Test notification", URL: "https://example.com/", ProjectID: p.ID}, project: p}
		body, err := n.payload(c.Kind, ev)
		if err != nil {
			return err
		}
		r = n.post(ctx, c, p, body, ev.flip.ID)
	}
	rec := &prikke.Notification{ID: prikke.NewID(), ProjectID: p.ID, ChannelID: &c.ID, Event: prikke.EventTest,
		Recipient: recipient(c), OK: r.err == nil, CreatedAt: n.now()}
	if r.err != nil {
		rec.Error = truncate(r.err.Error(), 500)
	}
	_ = n.store.NotificationInsert(ctx, rec)
	return r.err
}

func (n *Notifier) url(path string) string { return n.baseURL + path }

// jobURL is the job's dashboard page (its project's, for the test
// notification's made-up job).
func (n *Notifier) jobURL(j *prikke.Job) string {
	if j.ID == prikke.NilID {
		return n.url("/app/projects/" + j.ProjectID.String())
	}
	return n.url("/app/jobs/" + j.ID.String())
}

func (n *Notifier) executionURL(j *prikke.Job, e *prikke.Execution) string {
	if e == nil {
		return n.jobURL(j)
	}
	return n.url("/app/executions/" + e.ID.String())
}

func jobName(j *prikke.Job) string {
	if j.Name != "" {
		return j.Name
	}
	return j.Method + " " + j.URL
}

func channelName(c *prikke.Channel) string {
	if c.Name != "" {
		return c.Name
	}
	return string(c.Kind)
}

// recipient is what the notification record keeps of the destination: the
// address for email, the host for URLs (Slack and Discord URLs are secrets).
func recipient(c *prikke.Channel) string {
	if c.Kind == prikke.ChannelEmail {
		return c.Target
	}
	return hostOf(c.Target)
}

// displayTarget is a channel's destination as it may be shown in mail.
func displayTarget(c *prikke.Channel) string {
	if c.Kind == prikke.ChannelSlack || c.Kind == prikke.ChannelDiscord {
		return hostOf(c.Target) + "/…"
	}
	return c.Target
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// alert renders one flip for each kind of channel.
type alert struct {
	mail                    func() mail.Data
	slack, discord, webhook func() any
}

// sendAlert sends a flip's alert to c: an email, or the JSON body of the
// channel's kind posted to it.
func (n *Notifier) sendAlert(ctx context.Context, c *prikke.Channel, p *prikke.Project, flipID prikke.ID, a alert) result {
	render := a.webhook
	switch c.Kind {
	case prikke.ChannelEmail:
		return n.sendMail(ctx, c.Target, a.mail())
	case prikke.ChannelSlack:
		render = a.slack
	case prikke.ChannelDiscord:
		render = a.discord
	}
	body, err := json.Marshal(render())
	if err != nil {
		return result{err: err}
	}
	return n.post(ctx, c, p, body, flipID)
}
