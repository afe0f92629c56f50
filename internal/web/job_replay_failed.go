package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// replayFailed replays every failed execution of the job created between
// the form's since and until (date-times in the viewer's zone), at most
// prikke.MaxBulkReplay; the flash says how many, or why none.
func (h *Web) replayFailed(w http.ResponseWriter, r *http.Request) {
	h.jobAction(w, r, func(a actionArgs) (string, error) {
		loc := zoneOf(a.r)
		in := service.BulkReplay{JobID: a.id}
		var err error
		if s := strings.TrimSpace(a.r.PostFormValue("since")); s != "" {
			if in.Since, err = parseLocal(s, loc); err != nil {
				return "", prikke.Errorf(prikke.EINVALID, "Replay failed: since %s", err.Error())
			}
		}
		if s := strings.TrimSpace(a.r.PostFormValue("until")); s != "" {
			if in.Until, err = parseLocal(s, loc); err != nil {
				return "", prikke.Errorf(prikke.EINVALID, "Replay failed: until %s", err.Error())
			}
		}
		es, err := h.svc.ReplayFailed(a.r.Context(), actorOf(a.r), in)
		if err != nil {
			if formError(err) && len(prikke.ErrorFields(err)) > 0 {
				return "", prikke.Errorf(prikke.ErrorCode(err), "Replay failed: %s.", errorSentence(err))
			}
			return "", err
		}
		switch len(es) {
		case 0:
			return "No failed executions in this range: nothing was replayed.", nil
		case 1:
			return "Replayed 1 failed execution; its replay appears below.", nil
		}
		return fmt.Sprintf("Replayed %d failed executions; their replays appear below.", len(es)), nil
	})
}

// MaxBulkReplay is the cap the replay form states.
func (v jobView) MaxBulkReplay() int { return prikke.MaxBulkReplay }
