package web

import "net/http"

func (h *Web) showUseCases(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "use_cases", nil)
}
