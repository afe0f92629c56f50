package docs

import "net/http"

// ShowOperators serves /docs/operators, for the people who run a Prikke:
// who is an operator, the console, what a suspension does, the command
// line's equivalents and the audit log.
func (h *Docs) ShowOperators(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_operators", nil)
}
