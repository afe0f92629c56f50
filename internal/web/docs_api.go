package web

import "net/http"

// apiDocsView is the data of /docs/api. Reference is nil when the document
// is not available; Note then says why.
type apiDocsView struct {
	Reference *APIReference
	Note      string
	BaseURL   string
}

// showDocsAPI renders the API reference from the OpenAPI document at
// request time, so it always matches the running API.
func (h *Web) showDocsAPI(w http.ResponseWriter, r *http.Request) {
	v := apiDocsView{BaseURL: h.baseURL}
	if h.deps.OpenAPI == nil {
		v.Note = "This Prikke was started without its API, so there is no reference to show."
		h.render(w, r, http.StatusOK, "docs_api", v)
		return
	}
	raw, err := h.deps.OpenAPI()
	if err == nil {
		v.Reference, err = parseAPIReference(raw)
	}
	if err != nil {
		h.log.Error("web: API reference", "error", err, "request_id", w.Header().Get("X-Request-Id"))
		v.Note = "The API reference could not be built right now. The API itself is not affected; the OpenAPI document is at /api/v1/openapi.json."
	}
	h.render(w, r, http.StatusOK, "docs_api", v)
}
