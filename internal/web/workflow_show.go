package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// runsShown is how many runs a workflow's page lists.
const runsShown = 50

// workflowView is the data of a workflow's page.
type workflowView struct {
	Workflow *prikke.Workflow
	Health   page.Badge
	Graph    stepGraph
	Runs     []runRow
	Form     *page.Form // "Run now": the payload
	Zone     *time.Location
	Older    string // the runs' next page, or ""
	Newest   string // the runs' first page when this is a later one
}

// runRow is one run of a list.
type runRow struct {
	Run      *prikke.WorkflowRun
	Badge    page.Badge
	Duration string
}

// URL is the run's page.
func (r runRow) URL() string { return runPath(r.Run.ID) }

func newRunRow(run *prikke.WorkflowRun, now time.Time) runRow {
	end := now
	if run.FinishedAt != nil {
		end = *run.FinishedAt
	}
	return runRow{Run: run, Badge: runBadge(string(run.Status)), Duration: page.Duration(int(end.Sub(run.CreatedAt) / time.Millisecond))}
}

// stepGraph is a definition drawn as an SVG: a column per depth (a step
// sits one column right of the deepest step it needs), a box per step,
// and an edge per need.
type stepGraph struct {
	Width, Height int
	Nodes         []graphNode
	Edges         []graphEdge
}

type graphNode struct {
	Key        string
	Label      string // the kind and method, "POST", "delay 24h", "for each"
	X, Y, W, H int
	TextX      int
	TextY      int
	SubY       int
}

type graphEdge struct{ Path string }

// Graph sizes, in SVG units.
const (
	nodeW, nodeH = 168, 48
	colGap       = 56
	rowGap       = 20
	graphPad     = 8
)

// effectiveNeeds is each step's needs as the engine reads them: nil means
// the previous step, empty means none.
func effectiveNeeds(def *prikke.WorkflowDefinition) [][]string {
	out := make([][]string, len(def.Steps))
	for i, s := range def.Steps {
		switch {
		case s.Needs != nil:
			out[i] = s.Needs
		case i > 0:
			out[i] = []string{def.Steps[i-1].Key}
		}
	}
	return out
}

// stepLabel says what a step does in a few words.
func stepLabel(s *prikke.Step) string {
	switch s.Kind() {
	case prikke.StepKindDelay:
		if s.Delay.Duration != "" {
			return "delay " + s.Delay.Duration
		}
		return "delay until"
	case prikke.StepKindForEach:
		return "for each · " + methodOf(s.Method)
	}
	return methodOf(s.Method)
}

func methodOf(m string) string {
	if m == "" {
		return "GET"
	}
	return m
}

// newStepGraph lays a definition out. A saved definition has no cycles;
// depths are found by relaxing at most len(steps) times all the same.
func newStepGraph(def *prikke.WorkflowDefinition) stepGraph {
	n := len(def.Steps)
	index := map[string]int{}
	for i, s := range def.Steps {
		index[s.Key] = i
	}
	needs := effectiveNeeds(def)
	depth := make([]int, n)
	for range n {
		changed := false
		for i := range n {
			for _, k := range needs[i] {
				if j, ok := index[k]; ok && depth[j]+1 > depth[i] {
					depth[i], changed = depth[j]+1, true
				}
			}
		}
		if !changed {
			break
		}
	}
	var g stepGraph
	rows := map[int]int{}
	maxRows, maxDepth := 0, 0
	pos := make([][2]int, n)
	for i, s := range def.Steps {
		d := depth[i]
		row := rows[d]
		rows[d]++
		maxRows, maxDepth = max(maxRows, row+1), max(maxDepth, d)
		x, y := graphPad+d*(nodeW+colGap), graphPad+row*(nodeH+rowGap)
		pos[i] = [2]int{x, y}
		g.Nodes = append(g.Nodes, graphNode{Key: s.Key, Label: stepLabel(&def.Steps[i]), X: x, Y: y, W: nodeW, H: nodeH,
			TextX: x + 12, TextY: y + 20, SubY: y + 38})
	}
	for i := range n {
		for _, k := range needs[i] {
			j, ok := index[k]
			if !ok {
				continue
			}
			x1, y1 := pos[j][0]+nodeW, pos[j][1]+nodeH/2
			x2, y2 := pos[i][0], pos[i][1]+nodeH/2
			mid := (x1 + x2) / 2
			g.Edges = append(g.Edges, graphEdge{Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2-4, y2)})
		}
	}
	g.Width = 2*graphPad + (maxDepth+1)*nodeW + maxDepth*colGap
	g.Height = 2*graphPad + maxRows*nodeH + max(maxRows-1, 0)*rowGap
	return g
}

func (h *Web) showWorkflow(w http.ResponseWriter, r *http.Request) {
	wf, c, ok := h.loadWorkflow(w, r)
	if !ok {
		return
	}
	h.renderWorkflow(w, r, http.StatusOK, c, wf, page.NewForm(nil))
}

func (h *Web) renderWorkflow(w http.ResponseWriter, r *http.Request, status int, c *appContext, wf *prikke.Workflow, form *page.Form) {
	v := workflowView{Workflow: wf, Health: workflowHealth(wf), Graph: newStepGraph(&wf.Definition), Form: form, Zone: zoneOf(r)}
	f := service.RunFilter{WorkflowID: &wf.ID, Limit: runsShown}
	if before, err := prikke.ParseID(r.URL.Query().Get("before")); err == nil {
		f.Before = &before
		v.Newest = workflowPath(wf.ID) + "#runs-title"
	}
	runs, err := h.svc.Runs(r.Context(), actorOf(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	for _, run := range runs {
		v.Runs = append(v.Runs, newRunRow(run, now))
	}
	if len(runs) == runsShown {
		v.Older = workflowPath(wf.ID) + "?before=" + runs[len(runs)-1].ID.String() + "#runs-title"
	}
	h.renderApp(w, r, status, "workflow", c, v)
}

// runWorkflow starts a run from the dashboard with the form's payload.
func (h *Web) runWorkflow(w http.ResponseWriter, r *http.Request) {
	wf, c, ok := h.loadWorkflow(w, r)
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	in := &service.RunInput{Trigger: prikke.RunTriggerDashboard}
	if p := strings.TrimSpace(form.Get("payload")); p != "" {
		if !json.Valid([]byte(p)) {
			form.SetError("payload", "must be JSON")
			h.renderWorkflow(w, r, http.StatusUnprocessableEntity, c, wf, form)
			return
		}
		in.Payload = json.RawMessage(p)
	}
	run, _, err := h.svc.RunStart(r.Context(), actorOf(r), wf.ID, in)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderWorkflow(w, r, statusOf(err), c, wf, form)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Run started."})
	http.Redirect(w, r, runPath(run.ID), http.StatusSeeOther)
}
