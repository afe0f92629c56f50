package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// The monitor's one-click actions: pause, resume, snooze and unsnooze.
// Each is a POST from a small form on the monitor's page or the list, and
// returns to the page it came from (the form's "back" field, when it is
// local), with a flash.

func (h *Web) pauseMonitor(w http.ResponseWriter, r *http.Request) {
	h.monitorAction(w, r, func(a actionArgs, _ *page.Form) (string, error) {
		m, err := h.svc.PauseMonitor(a.r.Context(), actorOf(a.r), a.id)
		if err != nil {
			return "", err
		}
		return "Monitor “" + m.Name + "” paused: its pings are recorded, but it does not alert until you resume it.", nil
	})
}

func (h *Web) resumeMonitor(w http.ResponseWriter, r *http.Request) {
	h.monitorAction(w, r, func(a actionArgs, _ *page.Form) (string, error) {
		m, err := h.svc.ResumeMonitor(a.r.Context(), actorOf(a.r), a.id)
		if err != nil {
			return "", err
		}
		return "Monitor “" + m.Name + "” resumed: it waits for its next ping.", nil
	})
}

// snoozeMonitor snoozes the monitor's alerts for a while ("for", a Go
// duration such as 1h) or until an instant ("until", a datetime-local
// value in the viewer's zone).
func (h *Web) snoozeMonitor(w http.ResponseWriter, r *http.Request) {
	h.monitorAction(w, r, func(a actionArgs, f *page.Form) (string, error) {
		until, err := snoozeUntil(f, h.now(), zoneOf(a.r))
		if err != nil {
			return "", err
		}
		m, err := h.svc.SnoozeMonitor(a.r.Context(), actorOf(a.r), a.id, &until)
		if err != nil {
			return "", err
		}
		return "Alerts of “" + m.Name + "” are snoozed until " + until.In(zoneOf(a.r)).Format(page.LayoutFull) + ".", nil
	})
}

func (h *Web) unsnoozeMonitor(w http.ResponseWriter, r *http.Request) {
	h.monitorAction(w, r, func(a actionArgs, _ *page.Form) (string, error) {
		m, err := h.svc.SnoozeMonitor(a.r.Context(), actorOf(a.r), a.id, nil)
		if err != nil {
			return "", err
		}
		return "Alerts of “" + m.Name + "” are on again.", nil
	})
}

// snoozeUntil reads the snooze form: a duration from now, or a local
// date and time in loc.
func snoozeUntil(f *page.Form, now time.Time, loc *time.Location) (time.Time, error) {
	if d := strings.TrimSpace(f.Get("for")); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return time.Time{}, prikke.InvalidField("for", "is not a duration such as 1h")
		}
		return now.Add(dur), nil
	}
	t, err := parseLocal(strings.TrimSpace(f.Get("until")), loc)
	if err != nil {
		return time.Time{}, prikke.InvalidField("until", "%s", err.Error())
	}
	return t, nil
}

// monitorAction runs one action on the URL's monitor, then redirects with
// a flash. A rule the action breaks (EINVALID, ECONFLICT …) becomes an
// error flash on the page the user was on; a role or a missing monitor
// gets its page.
func (h *Web) monitorAction(w http.ResponseWriter, r *http.Request, act func(actionArgs, *page.Form) (string, error)) {
	id, err := pathID(r, "monitor_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	back := localPath(form.Get("back"))
	if back == "" {
		back = "/app/monitors/" + id.String()
	}
	msg, err := act(actionArgs{r: r, id: id}, form)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: prikke.ErrorMessage(err)})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// snoozeProject mutes every alert of the project's jobs and monitors for
// a while ("for") or until an instant ("until"), or ends that snooze
// ("unsnooze"), from the monitors list. Pings and runs are still recorded.
func (h *Web) snoozeProject(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	back := "/app/projects/" + id.String() + "/monitors"
	msg, err := func() (string, error) {
		if form.Get("unsnooze") != "" {
			if _, err := h.svc.SnoozeProject(r.Context(), actorOf(r), id, nil); err != nil {
				return "", err
			}
			return "The project's alerts are on again.", nil
		}
		until, err := snoozeUntil(form, h.now(), zoneOf(r))
		if err != nil {
			return "", err
		}
		p, err := h.svc.SnoozeProject(r.Context(), actorOf(r), id, &until)
		if err != nil {
			return "", err
		}
		return "Every alert of “" + p.Name + "” (jobs and monitors) is snoozed until " + until.In(zoneOf(r)).Format(page.LayoutFull) + ".", nil
	}()
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: prikke.ErrorMessage(err)})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, back, http.StatusSeeOther)
}
