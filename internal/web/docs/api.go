package docs

import (
	"net/http"
	"sync"
)

// apiDocsView is the data of /docs/api and its resource pages,
// /docs/api/<group>. Reference is nil when the document is not available;
// Note then says why. Group is the resource shown, nil on the index.
type apiDocsView struct {
	Reference *APIReference
	Group     *APIGroup
	Note      string
	BaseURL   string
}

// ShowAPI renders the API reference's index: the basics and every
// resource with its operations, each linking to the resource's page.
func (h *Docs) ShowAPI(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_api", h.apiDocs(w))
}

// ShowAPIGroup renders one resource's operations (/docs/api/jobs). The
// reference is split so that each page stays small.
func (h *Docs) ShowAPIGroup(w http.ResponseWriter, r *http.Request) {
	v := h.apiDocs(w)
	if v.Reference != nil {
		if v.Group = v.Reference.Group(r.PathValue("group")); v.Group == nil {
			h.deps.NotFound(w, r)
			return
		}
	}
	h.deps.Render(w, r, http.StatusOK, "docs_api_group", v)
}

// apiRefCache holds the API reference, built from the OpenAPI document on
// the first request: the document does not change while the process runs,
// and building it on every request to these public pages would let anyone
// keep the CPU busy.
type apiRefCache struct {
	once sync.Once
	ref  *APIReference
	err  error
}

// apiDocs returns the view of the reference, which matches the running
// API: it is built from the API's own OpenAPI document.
func (h *Docs) apiDocs(w http.ResponseWriter) apiDocsView {
	v := apiDocsView{BaseURL: h.deps.BaseURL}
	if h.deps.OpenAPI == nil {
		v.Note = "This Prikke was started without its API, so there is no reference to show."
		return v
	}
	c := &h.apiRef
	c.once.Do(func() {
		raw, err := h.deps.OpenAPI()
		if err == nil {
			c.ref, err = ParseAPIReference(raw)
		}
		if err != nil {
			c.ref, c.err = nil, err
			h.deps.Logger.Error("web: API reference", "error", err, "request_id", w.Header().Get("X-Request-Id"))
		}
	})
	if c.err != nil {
		v.Note = "The API reference could not be built. The API itself is not affected; the OpenAPI document is at /api/v1/openapi.json."
		return v
	}
	v.Reference = c.ref
	return v
}
