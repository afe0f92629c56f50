package notify

import (
	"context"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/mail"
)

// Workflow flips go through the same pipeline as job flips: the store
// writes one in the transaction that finishes a run (a failed run flips a
// healthy workflow to failing, a succeeded run flips a failing one back),
// the notifier claims it exactly once (WorkflowFlipClaim), sends it to
// the active channels of the workflow's project and records each send.
// Every message links to the run that caused the flip.

// workflowEvent is one workflow flip with everything a message needs.
type workflowEvent struct {
	flip     *prikke.WorkflowFlip
	workflow *prikke.Workflow
	project  *prikke.Project
	run      *prikke.WorkflowRun // may be nil (deleted since)
}

// drainWorkflows processes every workflow flip waiting and returns how
// many it processed.
func (n *Notifier) drainWorkflows(ctx context.Context) (int, error) {
	total := 0
	for {
		flips, err := n.store.WorkflowFlipClaim(ctx, n.now(), 50)
		if err != nil {
			return total, err
		}
		for _, f := range flips {
			n.processWorkflow(ctx, f)
		}
		total += len(flips)
		if len(flips) < 50 {
			return total, nil
		}
	}
}

// processWorkflow sends f to every active channel of its project.
func (n *Notifier) processWorkflow(ctx context.Context, f *prikke.WorkflowFlip) {
	wf, err := n.store.WorkflowGet(ctx, f.WorkflowID)
	if err != nil {
		return // deleted since: nobody to tell
	}
	p, err := n.store.ProjectGet(ctx, wf.ProjectID)
	if err != nil {
		return
	}
	ev := &workflowEvent{flip: f, workflow: wf, project: p}
	if f.RunID != nil {
		if r, err := n.store.WorkflowRunGet(ctx, *f.RunID); err == nil {
			ev.run = r
		}
	}
	channels, err := n.store.ChannelListByProject(ctx, p.ID)
	if err != nil {
		n.logger.Warn("listing channels failed", "workflow_id", wf.ID, "error", err)
		return
	}
	for _, c := range channels {
		if !c.Active() {
			continue
		}
		res := n.sendWorkflow(ctx, c, ev)
		n.recordSend(ctx, c, &prikke.Notification{ProjectID: p.ID, Event: f.Event}, res)
	}
}

func (n *Notifier) sendWorkflow(ctx context.Context, c *prikke.Channel, ev *workflowEvent) result {
	return n.sendAlert(ctx, c, ev.project, ev.flip.ID, alert{
		mail:    func() mail.Data { return n.workflowMail(ev) },
		slack:   func() any { return n.workflowSlack(ev) },
		discord: func() any { return n.workflowDiscord(ev) },
		webhook: func() any { return n.workflowWebhook(ev) },
	})
}

// workflowFailing reports whether the flip is into failing.
func workflowFailing(ev *workflowEvent) bool { return ev.flip.Event != prikke.EventWorkflowRecovered }

// runURL is the run's page in the dashboard, or the workflow's when the
// run is gone.
func (n *Notifier) runURL(ev *workflowEvent) string {
	if ev.flip.RunID != nil {
		return n.url("/app/runs/" + ev.flip.RunID.String())
	}
	return n.workflowURL(ev.workflow)
}

func (n *Notifier) workflowURL(w *prikke.Workflow) string {
	return n.url("/app/workflows/" + w.ID.String())
}

// finishedAt is when the flip's run finished (the flip's time if unknown).
func (ev *workflowEvent) finishedAt() time.Time {
	if ev.run != nil && ev.run.FinishedAt != nil {
		return *ev.run.FinishedAt
	}
	return ev.flip.CreatedAt
}

func (n *Notifier) workflowMail(ev *workflowEvent) mail.Data {
	d := mail.WorkflowAlert{WorkflowName: ev.workflow.Name, ProjectName: ev.project.Name, Failing: workflowFailing(ev),
		At: ev.finishedAt(), RunURL: n.runURL(ev)}
	if d.Failing && ev.run != nil {
		d.Error = ev.run.Error
	}
	return d
}

// workflowHeadline is the one-line summary of a workflow event.
func workflowHeadline(ev *workflowEvent) string {
	if workflowFailing(ev) {
		return ev.workflow.Name + " is failing"
	}
	return ev.workflow.Name + " has recovered"
}

// WorkflowWebhookPayload is the documented JSON body a generic webhook
// channel receives for a workflow event, signed like the job events.
type WorkflowWebhookPayload struct {
	Type       string          `json:"type"` // workflow.failing, workflow.recovered
	OccurredAt time.Time       `json:"occurred_at"`
	Message    string          `json:"message"` // the event in one sentence
	Project    WebhookProject  `json:"project"`
	Workflow   WebhookWorkflow `json:"workflow"`
	Run        *WebhookRun     `json:"run,omitempty"`
}

// WebhookWorkflow identifies the workflow.
type WebhookWorkflow struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Health string `json:"health"` // after the event: failing or healthy
	Link   string `json:"link"`
}

// WebhookRun describes the run that caused the event.
type WebhookRun struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	Error        string     `json:"error,omitempty"` // why it failed: the step and its reason
	ScheduledFor time.Time  `json:"scheduled_for"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	Link         string     `json:"link"`
}

func (n *Notifier) workflowWebhook(ev *workflowEvent) WorkflowWebhookPayload {
	health := prikke.JobHealthy
	if workflowFailing(ev) {
		health = prikke.JobFailing
	}
	out := WorkflowWebhookPayload{Type: string(ev.flip.Event), OccurredAt: ev.flip.CreatedAt.UTC(), Message: workflowHeadline(ev),
		Project:  WebhookProject{ID: ev.project.ID.String(), Name: ev.project.Name},
		Workflow: WebhookWorkflow{ID: ev.workflow.ID.String(), Name: ev.workflow.Name, Health: string(health), Link: n.workflowURL(ev.workflow)}}
	if r := ev.run; r != nil {
		out.Run = &WebhookRun{ID: r.ID.String(), Status: string(r.Status), Error: r.Error, ScheduledFor: r.ScheduledFor.UTC(),
			Link: n.runURL(ev)}
		if r.FinishedAt != nil {
			t := r.FinishedAt.UTC()
			out.Run.FinishedAt = &t
		}
	}
	return out
}

func (n *Notifier) workflowSlack(ev *workflowEvent) slackMessage {
	title := workflowHeadline(ev)
	icon := ":red_circle:"
	if !workflowFailing(ev) {
		icon = ":large_green_circle:"
	}
	msg := slackMessage{Text: slackEscape(title + " (" + ev.project.Name + ")")}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "section",
		Text: &slackText{Type: "mrkdwn", Text: icon + " *" + slackEscape(title) + "*"}})
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Fields: []slackText{
		{Type: "mrkdwn", Text: "*Project*\n" + slackEscape(ev.project.Name)},
		{Type: "mrkdwn", Text: "*Workflow*\n" + slackEscape(ev.workflow.Name)},
	}})
	if ev.run != nil && ev.run.Error != "" && workflowFailing(ev) {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section",
			Text: &slackText{Type: "mrkdwn", Text: slackEscape(truncate(ev.run.Error, 1900))}})
	}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "context",
		Elements: []slackText{{Type: "mrkdwn", Text: "<" + n.runURL(ev) + "|View the run in prikke>"}}})
	return msg
}

func (n *Notifier) workflowDiscord(ev *workflowEvent) discordMessage {
	title := workflowHeadline(ev)
	color := 0xEF4444
	if !workflowFailing(ev) {
		color = 0x10B981
	}
	embed := discordEmbed{Title: truncate(title, 250), URL: n.runURL(ev), Color: color,
		Timestamp: ev.flip.CreatedAt.UTC().Format(time.RFC3339),
		Fields: []discordField{{Name: "Project", Value: truncate(ev.project.Name, 1000), Inline: true},
			{Name: "Workflow", Value: truncate(ev.workflow.Name, 1000), Inline: true}}}
	if ev.run != nil && ev.run.Error != "" && workflowFailing(ev) {
		embed.Description = truncate(ev.run.Error, 2000)
	}
	return discordMessage{Content: truncate(title, 1900), Embeds: []discordEmbed{embed},
		AllowedMentions: discordMentions{Parse: []string{}}}
}
