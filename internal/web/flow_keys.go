package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// Flow control in the dashboard: a project's flow keys (the limits on how
// Prikke calls one destination), listed on the project's overview and on
// /app/projects/{id}/flow-keys with a form to add one, and a page per key
// with its live figures, its limits form and its actions. A key sits in
// the path as it is (keys never hold '/'), escaped as a path segment.

// flowLiveEvery is how often a key page's event stream sends the key's
// figures again. The figures move with every claim and completion of the
// key's executions, which announce nothing per key, so the stream reads
// them on a clock, as the monitor page's state is re-sent at keep-alives.
const flowLiveEvery = 2 * time.Second

// flowKeyPath is the page of a project's key.
func flowKeyPath(projectID prikke.ID, key string) string {
	return "/app/projects/" + projectID.String() + "/flow-keys/" + url.PathEscape(key)
}

// flowLimits says a key's limits in words.
func flowLimits(k *prikke.FlowKey) string {
	var parts []string
	if k.Rate > 0 {
		s := fmt.Sprintf("%s per %s", page.Number(k.Rate), periodWords(k.Period))
		if k.Burst > 1 {
			s += fmt.Sprintf(", burst %s", page.Number(k.Burst))
		}
		parts = append(parts, s)
	}
	if k.Parallelism > 0 {
		parts = append(parts, fmt.Sprintf("at most %s in flight", page.Number(k.Parallelism)))
	}
	if len(parts) == 0 {
		return "No limits"
	}
	return strings.Join(parts, " · ")
}

// periodWords is a period as a rate's unit: "second", "10 seconds".
func periodWords(d time.Duration) string {
	switch d {
	case 0, time.Second:
		return "second"
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	}
	return durationWords(d)
}

// flowKeySummary is the "flow_key_summary" partial: a key's live figures
// at Now, which the key page's event stream sends again every
// flowLiveEvery. Key is nil for a key without a row (unlimited).
type flowKeySummary struct {
	Key  *prikke.FlowKey
	Now  time.Time
	Zone *time.Location
}

// Waiting is the backlog as a number, "100,000+" at the count's cap.
func (s flowKeySummary) Waiting() string { return flowWaiting(s.Key) }

func flowWaiting(k *prikke.FlowKey) string {
	if k == nil {
		return "0"
	}
	if k.Waiting >= prikke.FlowCountCap {
		return page.Number(prikke.FlowCountCap) + "+"
	}
	return page.Number(k.Waiting)
}

// NextSlot is the next free start slot when it is ahead of Now.
func (s flowKeySummary) NextSlot() *time.Time { return flowNextSlot(s.Key, s.Now) }

func flowNextSlot(k *prikke.FlowKey, now time.Time) *time.Time {
	if k == nil || k.NextSlot == nil || !k.NextSlot.After(now) {
		return nil
	}
	return k.NextSlot
}

// HeldUntil is the end of the endpoint's hold when it is ahead of Now.
func (s flowKeySummary) HeldUntil() *time.Time { return flowHeldUntil(s.Key, s.Now) }

func flowHeldUntil(k *prikke.FlowKey, now time.Time) *time.Time {
	if k == nil || !k.Held(now) {
		return nil
	}
	return k.HeldUntil
}

// State is the key's state for its badge.
func (s flowKeySummary) State() page.Badge { return flowState(s.Key, s.Now) }

func flowState(k *prikke.FlowKey, now time.Time) page.Badge {
	switch {
	case k == nil:
		return page.Badge{Label: "Unlimited", Icon: "circle-dashed", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
	case k.Paused:
		return page.Badge{Label: "Paused", Icon: "ban", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
	case k.Held(now):
		return page.Badge{Label: "Held", Icon: "hourglass", Class: "bg-amber-50 text-amber-800 ring-amber-600/30"}
	case k.Rate == 0 && k.Parallelism == 0:
		return page.Badge{Label: "Unlimited", Icon: "circle-dashed", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
	}
	return page.Badge{Label: "Limited", Icon: "timer", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"}
}

// InFlight is the in-flight count, with the parallelism it may reach.
func (s flowKeySummary) InFlight() string {
	if s.Key == nil {
		return "0"
	}
	if s.Key.Parallelism > 0 {
		return page.Number(s.Key.InFlight) + " of " + page.Number(s.Key.Parallelism)
	}
	return page.Number(s.Key.InFlight)
}

// flowKeyRow is one key of a project's list: its limits and backlog.
type flowKeyRow struct {
	flowKeySummary
	ProjectID prikke.ID
}

// URL is the key's page.
func (r flowKeyRow) URL() string { return flowKeyPath(r.ProjectID, r.Key.Key) }

// Limits are the key's limits in words.
func (r flowKeyRow) Limits() string { return flowLimits(r.Key) }

func (h *Web) flowKeyRows(keys []*prikke.FlowKey, projectID prikke.ID, loc *time.Location) []flowKeyRow {
	now := h.now()
	rows := make([]flowKeyRow, len(keys))
	for i, k := range keys {
		rows[i] = flowKeyRow{flowKeySummary: flowKeySummary{Key: k, Now: now, Zone: loc}, ProjectID: projectID}
	}
	return rows
}

// flowKeysView is the data of a project's flow control page: its keys
// and the form that sets the limits of a key (a new one, or one listed).
type flowKeysView struct {
	Project *prikke.Project
	Keys    []flowKeyRow
	Form    *page.Form
}

// flowKeyView is the data of a key's page.
type flowKeyView struct {
	Project *prikke.Project
	Name    string          // the key
	Key     *prikke.FlowKey // nil: the key has no row, so no limits
	Summary flowKeySummary
	Form    *page.Form // its limits
}

// EventsURL is the page's event stream (the key's figures); a key without
// a row has none to follow.
func (v flowKeyView) EventsURL() string {
	if v.Key == nil {
		return ""
	}
	return flowKeyPath(v.Project.ID, v.Name) + "/events"
}

// URL is the key's page, where its forms post.
func (v flowKeyView) URL() string { return flowKeyPath(v.Project.ID, v.Name) }

// Limits are the key's limits in words.
func (v flowKeyView) Limits() string {
	if v.Key == nil {
		return "No limits"
	}
	return flowLimits(v.Key)
}

// flowKeyForm fills the limits form from a key ("" for what it leaves
// unlimited).
func flowKeyForm(k *prikke.FlowKey) *page.Form {
	f := page.NewForm(nil)
	if k == nil {
		return f
	}
	if k.Rate > 0 {
		f.Values.Set("rate", strconv.Itoa(k.Rate))
		f.Values.Set("period", service.FormatDuration(k.Period))
		f.Values.Set("burst", strconv.Itoa(k.Burst))
	}
	if k.Parallelism > 0 {
		f.Values.Set("parallelism", strconv.Itoa(k.Parallelism))
	}
	return f
}

// flowKeyInput reads the limits form. An empty field is left out (no
// limit); a number that is not one is sent as 0, so that the service
// refuses it with the message the API gives for that field.
func flowKeyInput(f *page.Form) *service.FlowKeyInput {
	num := func(name string) *int {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			n = 0
		}
		return &n
	}
	in := &service.FlowKeyInput{Rate: num("rate"), Burst: num("burst"), Parallelism: num("parallelism")}
	if p := strings.TrimSpace(f.Get("period")); p != "" {
		in.Period = &p
	}
	return in
}

func (h *Web) showFlowKeys(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "flow")
	if !ok {
		return
	}
	h.renderFlowKeys(w, r, http.StatusOK, c, page.NewForm(nil))
}

func (h *Web) renderFlowKeys(w http.ResponseWriter, r *http.Request, status int, c *appContext, form *page.Form) {
	keys, err := h.svc.FlowKeys(r.Context(), actorOf(r), c.Project.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, status, "flow_keys", c, flowKeysView{Project: c.Project, Keys: h.flowKeyRows(keys, c.Project.ID, zoneOf(r)), Form: form})
}

// createFlowKey sets the limits of the key the form names: a new key, or
// one whose limits it replaces.
func (h *Web) createFlowKey(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "flow")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	key := strings.TrimSpace(form.Get("key"))
	k, created, err := h.svc.PutFlowKey(r.Context(), actorOf(r), c.Project.ID, key, flowKeyInput(form))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderFlowKeys(w, r, statusOf(err), c, form)
		return
	}
	msg := "Flow key “" + k.Key + "” created: " + flowLimits(k) + "."
	if !created {
		msg = "The limits of flow key “" + k.Key + "” are replaced: " + flowLimits(k) + "."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, flowKeyPath(c.Project.ID, k.Key), http.StatusSeeOther)
}

// loadFlowKey reads the URL's project and key; k is nil for a key without
// a row (its page offers to set limits). On failure it has answered.
func (h *Web) loadFlowKey(w http.ResponseWriter, r *http.Request) (c *appContext, key string, k *prikke.FlowKey, ok bool) {
	c, ok = h.loadProject(w, r, "flow")
	if !ok {
		return nil, "", nil, false
	}
	key = r.PathValue("key")
	if prikke.ValidFlowKey(key) != "" {
		h.fail(w, r, prikke.Errorf(prikke.ENOTFOUND, "Not found."))
		return nil, "", nil, false
	}
	k, err := h.svc.FlowKey(r.Context(), actorOf(r), c.Project.ID, key)
	switch prikke.ErrorCode(err) {
	case prikke.ENOTFOUND:
		return c, key, nil, true
	case prikke.EINVALID: // a name no key can have
		h.fail(w, r, prikke.Errorf(prikke.ENOTFOUND, "Not found."))
		return nil, "", nil, false
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, "", nil, false
	}
	return c, key, k, true
}

func (h *Web) showFlowKey(w http.ResponseWriter, r *http.Request) {
	c, key, k, ok := h.loadFlowKey(w, r)
	if !ok {
		return
	}
	h.renderFlowKey(w, r, http.StatusOK, c, key, k, flowKeyForm(k))
}

func (h *Web) renderFlowKey(w http.ResponseWriter, r *http.Request, status int, c *appContext, key string, k *prikke.FlowKey, form *page.Form) {
	h.renderApp(w, r, status, "flow_key", c, flowKeyView{Project: c.Project, Name: key, Key: k, Form: form,
		Summary: flowKeySummary{Key: k, Now: h.now(), Zone: zoneOf(r)}})
}

// updateFlowKey replaces a key's limits with the form's.
func (h *Web) updateFlowKey(w http.ResponseWriter, r *http.Request) {
	c, key, k, ok := h.loadFlowKey(w, r)
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	got, _, err := h.svc.PutFlowKey(r.Context(), actorOf(r), c.Project.ID, key, flowKeyInput(form))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderFlowKey(w, r, statusOf(err), c, key, k, form)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Limits saved: " + flowLimits(got) + "."})
	http.Redirect(w, r, flowKeyPath(c.Project.ID, key), http.StatusSeeOther)
}

// flowKeyAction is a key page's button: pause, resume, release or delete.
func (h *Web) flowKeyAction(act func(h *Web, r *http.Request, projectID prikke.ID, key string) (string, error), toList bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, key, _, ok := h.loadFlowKey(w, r)
		if !ok {
			return
		}
		to := flowKeyPath(c.Project.ID, key)
		msg, err := act(h, r, c.Project.ID, key)
		if err != nil {
			if !formError(err) && prikke.ErrorCode(err) != prikke.ENOTFOUND {
				h.fail(w, r, err)
				return
			}
			h.setFlash(w, page.Flash{Kind: page.FlashError, Message: prikke.ErrorMessage(err)})
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if toList {
			to = "/app/projects/" + c.Project.ID.String() + "/flow-keys"
		}
		h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

func pauseFlowKey(h *Web, r *http.Request, projectID prikke.ID, key string) (string, error) {
	_, err := h.svc.PauseFlowKey(r.Context(), actorOf(r), projectID, key)
	return "Flow key “" + key + "” is paused: its executions wait, in order, until it is resumed.", err
}

func resumeFlowKey(h *Web, r *http.Request, projectID prikke.ID, key string) (string, error) {
	_, err := h.svc.ResumeFlowKey(r.Context(), actorOf(r), projectID, key)
	return "Flow key “" + key + "” is resumed: its waiting executions start, oldest first.", err
}

func releaseFlowKey(h *Web, r *http.Request, projectID prikke.ID, key string) (string, error) {
	_, err := h.svc.ReleaseFlowKey(r.Context(), actorOf(r), projectID, key)
	return "The hold on “" + key + "” is released.", err
}

func deleteFlowKey(h *Web, r *http.Request, projectID prikke.ID, key string) (string, error) {
	err := h.svc.DeleteFlowKey(r.Context(), actorOf(r), projectID, key)
	return "Flow key “" + key + "” is removed: its executions are unlimited again.", err
}

// flowKeyEvents is a key page's event stream: the key's figures
// ("flow-key-summary") at once and every flowLiveEvery, read through the
// service each time (so the viewer's access is checked). It ends when the
// browser leaves, the session ends or the key is gone.
func (h *Web) flowKeyEvents(w http.ResponseWriter, r *http.Request) {
	c, key, k, ok := h.loadFlowKey(w, r)
	if !ok {
		return
	}
	if k == nil {
		h.fail(w, r, prikke.Errorf(prikke.ENOTFOUND, "Not found."))
		return
	}
	a, ctx, loc := actorOf(r), r.Context(), zoneOf(r)
	es, err := page.NewEventStream(w, h.tpl)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	send := func(k *prikke.FlowKey) error {
		return es.Send("flow-key-summary", "flow_key_summary", flowKeySummary{Key: k, Now: h.now(), Zone: loc})
	}
	if send(k) != nil {
		return
	}
	tick := time.NewTicker(flowLiveEvery)
	defer tick.Stop()
	ping := time.NewTicker(eventsPing)
	defer ping.Stop()
	token := h.cookie.Read(r)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if !h.keepAlive(ctx, token, es) {
				return
			}
		case <-tick.C:
			k, err := h.svc.FlowKey(ctx, a, c.Project.ID, key)
			if err != nil || send(k) != nil {
				return // deleted, the viewer lost access, or the browser left
			}
		}
	}
}
