package web

import (
	"net/http"

	"github.com/prikke/prikke/internal/web/docs"
)

// landingView is the landing page's data.
type landingView struct {
	Tester docs.CronTester
}

func (h *Web) showLanding(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "landing", landingView{
		Tester: h.docs.Tester(r, "/#try", "30 9 * * 1-5", docs.TesterZones),
	})
}
