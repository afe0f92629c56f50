package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// nodeStaleAfter is how long a node may go without a heartbeat before the
// console marks it stale: nodes beat every few seconds, so a few missed
// beats mean it is stopped, stuck or cut off from the database.
const nodeStaleAfter = 30 * time.Second

// operatorNodesView is the data of the console's nodes tab.
type operatorNodesView struct {
	Tabs  []operatorTab
	Nodes []nodeRow
}

// nodeRow is one node with its heartbeat's age as words.
type nodeRow struct {
	*prikke.NodeInfo
	Ago   string // "3 s ago"
	Stale bool
	Heap  string // "12.5 MiB"
	Load  string // "0.42"
}

func (h *Web) showOperatorNodes(w http.ResponseWriter, r *http.Request) {
	c, ok := h.operatorContext(w, r)
	if !ok {
		return
	}
	nodes, err := h.svc.Nodes(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	v := operatorNodesView{Tabs: operatorTabs("/operator/nodes")}
	for _, n := range nodes {
		age := now.Sub(n.BeatAt)
		v.Nodes = append(v.Nodes, nodeRow{NodeInfo: n, Ago: agoWords(age), Stale: age > nodeStaleAfter,
			Heap: byteWords(n.HeapBytes), Load: strconv.FormatFloat(n.Load1, 'f', 2, 64)})
	}
	h.renderApp(w, r, http.StatusOK, "operator_nodes", c, v)
}

// agoWords is an age as the console shows it: "3 s ago", "4 min ago",
// "2 h ago".
func agoWords(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	}
	return fmt.Sprintf("%d h ago", int(d/time.Hour))
}

// byteWords is a size in binary units: "512 B", "12.5 MiB".
func byteWords(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// operatorAuditPage is how many entries one page of the audit log shows.
const operatorAuditPage = 100

// operatorAuditView is the data of the console's audit tab: operator
// actions, newest first.
type operatorAuditView struct {
	Tabs    []operatorTab
	Entries []*prikke.AuditEntry
	Next    string
}

func (h *Web) showOperatorAudit(w http.ResponseWriter, r *http.Request) {
	c, ok := h.operatorContext(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := service.AuditQuery{Limit: operatorAuditPage + 1}
	if id, err := prikke.ParseID(q.Get("before")); err == nil {
		if at, err := time.Parse(time.RFC3339Nano, q.Get("before_at")); err == nil {
			f.BeforeID, f.BeforeCreatedAt = id, at
		}
	}
	entries, err := h.svc.OperatorAudit(r.Context(), operatorOf(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := operatorAuditView{Tabs: operatorTabs("/operator/audit"), Entries: entries}
	if len(entries) > operatorAuditPage {
		last := entries[operatorAuditPage-1]
		v.Entries = entries[:operatorAuditPage]
		v.Next = "/operator/audit?" + url.Values{"before": {last.ID.String()},
			"before_at": {last.CreatedAt.UTC().Format(time.RFC3339Nano)}}.Encode()
	}
	h.renderApp(w, r, http.StatusOK, "operator_audit", c, v)
}
