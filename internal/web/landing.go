package web

import "net/http"

// landingView is the landing page's data.
type landingView struct {
	Tester CronTester
}

func (h *Web) showLanding(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "landing", landingView{
		Tester: h.cronTester(r, "/#try", "30 9 * * 1-5", testerZones),
	})
}
