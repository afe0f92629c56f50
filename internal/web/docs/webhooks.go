package docs

import "net/http"

// webhooksView holds the signature verification examples.
type webhooksView struct {
	Go, Node, Python string
}

func (h *Docs) ShowWebhooks(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_webhooks", webhooksView{Go: verifyGo, Node: verifyNode, Python: verifyPython})
}
