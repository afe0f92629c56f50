package web

import (
	"net/http"
	"net/url"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// channelsView is the data of a project's Notifications page: its
// channels, a form to add one, and the log of recent sends.
type channelsView struct {
	Project *prikke.Project
	Rows    []channelRow
	Form    *page.Form // a new channel
	Log     []notificationRow
}

// channelRow is one channel in the list.
type channelRow struct {
	Channel *prikke.Channel
	Kind    page.Badge
	State   page.Badge
	Target  string     // as shown: a Slack or Discord URL keeps its secret path to itself
	Rename  *page.Form // the rename form, with its own element ids
	Open    bool       // the rename form failed: show it open
}

// AwaitingConfirmation reports whether an email channel still waits for
// its owner to open the confirmation link.
func (r channelRow) AwaitingConfirmation() bool {
	return r.Channel.Kind == prikke.ChannelEmail && r.Channel.ConfirmedAt == nil
}

// notificationRow is one send in the log.
type notificationRow struct {
	Notification *prikke.Notification
	Channel      string // the channel's name, or who was mailed
	Event        string
	JobID        *prikke.ID // a job of this project, or nil
	JobName      string
	Outcome      page.Badge
}

// notificationLogSize is how many sends the log shows.
const notificationLogSize = 50

// channelKinds are the kinds as the page names them.
var channelKinds = map[prikke.ChannelKind]page.Badge{
	prikke.ChannelEmail:   {Label: "Email", Icon: "mail", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"},
	prikke.ChannelWebhook: {Label: "Webhook", Icon: "globe", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"},
	prikke.ChannelSlack:   {Label: "Slack", Icon: "globe", Class: "bg-violet-50 text-violet-800 ring-violet-600/30"},
	prikke.ChannelDiscord: {Label: "Discord", Icon: "globe", Class: "bg-sky-50 text-sky-800 ring-sky-600/30"},
}

func channelKindBadge(k prikke.ChannelKind) page.Badge {
	if b, ok := channelKinds[k]; ok {
		return b
	}
	return page.Badge{Label: string(k), Icon: "info", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
}

// turnedOffByHand is the reason the service gives a channel turned off
// in the dashboard or the API (service.UpdateChannel).
const turnedOffByHand = "Turned off by hand."

// channelState says whether a channel receives alerts: on, off by hand,
// disabled by Prikke after failures, or waiting for its address to be
// confirmed.
func channelState(c *prikke.Channel) page.Badge {
	switch {
	case !c.Enabled && c.DisabledReason == turnedOffByHand:
		return page.Badge{Label: "Off", Icon: "circle-dashed", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
	case !c.Enabled:
		return page.Badge{Label: "Disabled", Icon: "ban", Class: "bg-red-50 text-red-800 ring-red-600/30"}
	case c.Kind == prikke.ChannelEmail && c.ConfirmedAt == nil:
		return page.Badge{Label: "Awaiting confirmation", Icon: "hourglass", Class: "bg-amber-50 text-amber-800 ring-amber-600/30"}
	}
	return page.Badge{Label: "Active", Icon: "circle-check", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"}
}

// notificationEvents are the events as the log names them.
var notificationEvents = map[prikke.NotificationEvent]string{
	prikke.EventJobFailing:   "Job failing",
	prikke.EventJobRecovered: "Job recovered",
	prikke.EventJobDisabled:  "Job disabled",
	prikke.EventTest:         "Test",
	prikke.EventQuota80:      "Quota at 80%",
	prikke.EventQuota100:     "Quota reached",
	prikke.EventChannelOff:   "Channel disabled",
}

func eventLabel(e prikke.NotificationEvent) string {
	if s, ok := notificationEvents[e]; ok {
		return s
	}
	return string(e)
}

func (h *Web) showChannels(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "channels")
	if !ok {
		return
	}
	v, err := h.channelsView(r, c, page.NewForm(nil), nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "channels", c, v)
}

// channelsView assembles the page around the add form; failed, when set,
// is the rename form that failed, shown open with its errors.
func (h *Web) channelsView(r *http.Request, c *appContext, form *page.Form, failed *renameAttempt) (channelsView, error) {
	a, ctx := actorOf(r), r.Context()
	v := channelsView{Project: c.Project, Form: form}
	cs, err := h.svc.Channels(ctx, a, c.Project.ID)
	if err != nil {
		return v, err
	}
	names := map[prikke.ID]string{}
	for _, ch := range cs {
		names[ch.ID] = ch.Name
		row := channelRow{Channel: ch, Kind: channelKindBadge(ch.Kind), State: channelState(ch), Target: ch.ShownTarget()}
		if failed != nil && failed.id == ch.ID {
			row.Rename, row.Open = failed.form, true
		} else {
			row.Rename = page.NewForm(url.Values{"name": {ch.Name}})
		}
		row.Rename.Prefix = "rename-" + ch.ID.String()
		v.Rows = append(v.Rows, row)
	}
	ns, err := h.svc.Notifications(ctx, a, c.Project.ID, notificationLogSize)
	if err != nil {
		return v, err
	}
	// The jobs the sends were about. The service listed only this
	// project's sends; each job is checked to be the project's anyway.
	jobs := map[prikke.ID]*prikke.Job{}
	for _, n := range ns {
		row := notificationRow{Notification: n, Channel: n.Recipient, Event: eventLabel(n.Event),
			Outcome: page.Badge{Label: "Sent", Icon: "circle-check", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"}}
		if !n.OK {
			row.Outcome = page.Badge{Label: "Failed", Icon: "circle-x", Class: "bg-red-50 text-red-800 ring-red-600/30"}
		}
		if n.ChannelID != nil {
			if name, ok := names[*n.ChannelID]; ok && name != "" {
				row.Channel = name
			}
		}
		if n.JobID != nil {
			j, seen := jobs[*n.JobID]
			if !seen {
				if j, err = h.svc.ProjectJob(ctx, a, c.Project.ID, *n.JobID); err != nil {
					j = nil
				}
				jobs[*n.JobID] = j
			}
			if j != nil {
				row.JobID, row.JobName = &j.ID, jobName(j)
			}
		}
		v.Log = append(v.Log, row)
	}
	return v, nil
}

// renameAttempt is a rename form that failed, for channelsView.
type renameAttempt struct {
	id   prikke.ID
	form *page.Form
}

func (h *Web) createChannel(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "channels")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	name, target := form.Get("name"), form.Get("target")
	ch, err := h.svc.CreateChannel(r.Context(), actorOf(r), c.Project.ID, service.ChannelInput{Name: &name, Target: &target})
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		v, verr := h.channelsView(r, c, form, nil)
		if verr != nil {
			h.fail(w, r, verr)
			return
		}
		h.renderApp(w, r, statusOf(err), "channels", c, v)
		return
	}
	msg := channelKindBadge(ch.Kind).Label + " channel “" + ch.Name + "” added."
	if ch.Kind == prikke.ChannelEmail {
		msg = "We sent a confirmation link to " + ch.Target + ". The address receives alerts once its owner opens it."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, channelsPath(c.Project.ID), http.StatusSeeOther)
}

// renameChannel changes a channel's name (admins).
func (h *Web) renameChannel(w http.ResponseWriter, r *http.Request) {
	ch, c, ok := h.loadChannel(w, r)
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	name := form.Get("name")
	updated, err := h.svc.UpdateChannel(r.Context(), actorOf(r), ch.ID, service.ChannelInput{Name: &name})
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		v, verr := h.channelsView(r, c, page.NewForm(nil), &renameAttempt{id: ch.ID, form: form})
		if verr != nil {
			h.fail(w, r, verr)
			return
		}
		h.renderApp(w, r, statusOf(err), "channels", c, v)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Channel renamed to “" + updated.Name + "”."})
	http.Redirect(w, r, channelsPath(ch.ProjectID), http.StatusSeeOther)
}

// enableChannel turns a channel back on, which forgets its failures.
func (h *Web) enableChannel(w http.ResponseWriter, r *http.Request) {
	h.switchChannel(w, r, true)
}

// disableChannel turns a channel off: it receives nothing until turned on.
func (h *Web) disableChannel(w http.ResponseWriter, r *http.Request) {
	h.switchChannel(w, r, false)
}

func (h *Web) switchChannel(w http.ResponseWriter, r *http.Request, on bool) {
	ch, _, ok := h.loadChannel(w, r)
	if !ok || h.readForm(w, r) == nil {
		return
	}
	updated, err := h.svc.UpdateChannel(r.Context(), actorOf(r), ch.ID, service.ChannelInput{Enabled: &on})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msg := "“" + updated.Name + "” is off: it receives nothing until you turn it on."
	if on {
		msg = "“" + updated.Name + "” is on again."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, channelsPath(ch.ProjectID), http.StatusSeeOther)
}

// testChannel sends a test notification now and shows how it went. A send
// that failed is a message on the page, like the reason it was not sent.
func (h *Web) testChannel(w http.ResponseWriter, r *http.Request) {
	ch, _, ok := h.loadChannel(w, r)
	if !ok || h.readForm(w, r) == nil {
		return
	}
	err := h.svc.TestChannel(r.Context(), actorOf(r), ch.ID)
	switch {
	case err == nil:
		h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Test notification sent to “" + ch.Name + "”."})
	case formError(err) || prikke.ErrorCode(err) == prikke.EUNAVAILABLE:
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: "“" + ch.Name + "”: " + prikke.ErrorMessage(err)})
	default:
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, channelsPath(ch.ProjectID), http.StatusSeeOther)
}

// showChannelDelete asks for confirmation.
func (h *Web) showChannelDelete(w http.ResponseWriter, r *http.Request) {
	ch, c, ok := h.loadChannel(w, r)
	if !ok || h.forbid(w, r, c, prikke.PermManageProjects, "delete channels") {
		return
	}
	h.renderApp(w, r, http.StatusOK, "channel_delete", c, channelRow{Channel: ch, Kind: channelKindBadge(ch.Kind), Target: ch.ShownTarget()})
}

func (h *Web) deleteChannel(w http.ResponseWriter, r *http.Request) {
	ch, _, ok := h.loadChannel(w, r)
	if !ok || h.readForm(w, r) == nil {
		return
	}
	if err := h.svc.DeleteChannel(r.Context(), actorOf(r), ch.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Channel “" + ch.Name + "” is deleted."})
	http.Redirect(w, r, channelsPath(ch.ProjectID), http.StatusSeeOther)
}

// loadChannel loads the channel of the URL's {channel_id} (any role may
// read it; the service checks the role of each action) and its project's
// context; on failure it has answered the request.
func (h *Web) loadChannel(w http.ResponseWriter, r *http.Request) (*prikke.Channel, *appContext, bool) {
	id, err := pathID(r, "channel_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	ch, err := h.svc.Channel(r.Context(), actorOf(r), id, prikke.PermRead)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	c, err := h.projectContext(w, r, ch.ProjectID, "channels")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	return ch, c, true
}

func channelsPath(projectID prikke.ID) string {
	return "/app/projects/" + projectID.String() + "/channels"
}
