package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// The current organization and project are in the URL of every dashboard
// page: /app/projects/{project_id}/… for a project's pages, /app/jobs/{id}
// and /app/executions/{id} for a job's (the job names its project), and
// /app/orgs/{org_id}/… for an organization's. Every id goes through the
// service, which reports other tenants' ids as not found. A cookie
// remembers the last project visited, only so that /app (and pages that
// belong to no project, such as the account) know where to return; it is
// checked through the service every time it is read.

// appContext is what the dashboard's layout shows around a page: who is
// signed in, the organization and project switcher, the navigation, and
// the user's role, which decides the buttons a page offers (the service
// checks the role again on every action).
type appContext struct {
	User     *prikke.User
	Org      *prikke.Organization
	Role     prikke.Role
	Project  *prikke.Project
	Orgs     []*prikke.Membership
	Projects []*prikke.Project
	Section  string // the navigation item to mark as current (see nav)
	// Operator: the user is one of PRIKKE_OPERATOR_EMAILS; the navigation
	// links to the operator console.
	Operator bool
}

// Can reports whether the user's role allows a permission, by name:
// {{if .App.Can "manage_jobs"}}.
func (c *appContext) Can(perm string) bool { return c.Role.Can(prikke.Permission(perm)) }

// navItem is one link of the dashboard's sidebar.
type navItem struct {
	Label   string
	Href    string
	Icon    string
	Current bool
}

// navGroup is a titled group of sidebar links.
type navGroup struct {
	Title string
	Items []navItem
}

// Nav returns the sidebar: the project's pages, the organization's and
// the user's.
func (c *appContext) Nav() []navGroup {
	item := func(section, label, href, icon string) navItem {
		return navItem{Label: label, Href: href, Icon: icon, Current: c.Section == section}
	}
	var groups []navGroup
	if c.Project != nil {
		p := "/app/projects/" + c.Project.ID.String()
		groups = append(groups, navGroup{Title: "Project", Items: []navItem{
			item("overview", "Overview", p, "layers"),
			item("jobs", "Jobs", p+"/jobs", "calendar-clock"),
			item("monitors", "Monitors", p+"/monitors", "heart-pulse"),
			item("workflows", "Workflows", p+"/workflows", "rocket"),
			item("executions", "Executions", p+"/executions", "history"),
			item("flow", "Flow control", p+"/flow-keys", "timer"),
			item("channels", "Notifications", p+"/channels", "mail"),
			item("status-pages", "Status pages", p+"/status-pages", "globe"),
			item("project", "Project settings", p+"/settings", "shield-check"),
		}})
	}
	if c.Org != nil {
		o := "/app/orgs/" + c.Org.ID.String()
		items := []navItem{item("projects", "Projects", o+"/projects", "building-2"), item("members", "Members", o+"/members", "users")}
		if c.Can(string(prikke.PermManageKeys)) {
			items = append(items, item("keys", "API keys", o+"/api-keys", "key-round"))
		}
		items = append(items, item("usage", "Usage and plan", o+"/usage", "scale"), item("billing", "Billing", o+"/billing", "landmark"))
		groups = append(groups, navGroup{Title: "Organization", Items: items})
	}
	you := []navItem{item("account", "Account", "/app/account", "lock"), item("docs", "Docs", "/docs", "book-open")}
	if c.Operator {
		you = append(you, item("operator", "Operator console", "/operator", "server"))
	}
	groups = append(groups, navGroup{Title: "You", Items: you})
	return groups
}

// RoleLabel is the role as a word for the switcher.
func (c *appContext) RoleLabel() string { return roleLabel(c.Role) }

func roleLabel(r prikke.Role) string {
	switch r {
	case prikke.RoleOwner:
		return "Owner"
	case prikke.RoleAdmin:
		return "Admin"
	case prikke.RoleMember:
		return "Member"
	case prikke.RoleViewer:
		return "Viewer"
	}
	return string(r)
}

const projectCookie = "prikke_project"

// projectContext builds the context of a project's page. The project id
// comes from the URL (or a job) and goes through the service first.
func (h *Web) projectContext(w http.ResponseWriter, r *http.Request, projectID prikke.ID, section string) (*appContext, error) {
	a := actorOf(r)
	p, err := h.svc.Project(r.Context(), a, projectID)
	if err != nil {
		return nil, err
	}
	c, err := h.orgContextFor(r, p.OrganizationID, section)
	if err != nil {
		return nil, err
	}
	c.Project = p
	h.rememberProject(w, p.ID)
	return c, nil
}

// orgContext builds the context of an organization's page; its project is
// the remembered one when it belongs to the organization, else the first.
func (h *Web) orgContext(w http.ResponseWriter, r *http.Request, orgID prikke.ID, section string) (*appContext, error) {
	c, err := h.orgContextFor(r, orgID, section)
	if err != nil {
		return nil, err
	}
	remembered, _ := readIDCookie(r, projectCookie)
	for _, p := range c.Projects {
		if p.ID == remembered {
			c.Project = p
		}
	}
	if c.Project == nil && len(c.Projects) > 0 {
		c.Project = c.Projects[0]
	}
	return c, nil
}

// userContext builds the context of a page that belongs to no project
// (the account): the remembered project, or the user's default one.
func (h *Web) userContext(w http.ResponseWriter, r *http.Request, section string) (*appContext, error) {
	p, err := h.currentProject(r)
	if err != nil {
		return nil, err
	}
	return h.projectContext(w, r, p.ID, section)
}

// currentProject is the remembered project if the user may still see it,
// else their default project.
func (h *Web) currentProject(r *http.Request) (*prikke.Project, error) {
	a := actorOf(r)
	if id, ok := readIDCookie(r, projectCookie); ok {
		if p, err := h.svc.Project(r.Context(), a, id); err == nil {
			return p, nil
		}
	}
	return h.svc.DefaultProject(r.Context(), a)
}

func (h *Web) orgContextFor(r *http.Request, orgID prikke.ID, section string) (*appContext, error) {
	a := actorOf(r)
	ctx := r.Context()
	o, role, err := h.svc.Organization(ctx, a, orgID)
	if err != nil {
		return nil, err
	}
	orgs, err := h.svc.Memberships(ctx, a)
	if err != nil {
		return nil, err
	}
	ps, err := h.svc.Projects(ctx, a, orgID)
	if err != nil {
		return nil, err
	}
	return &appContext{User: a.User, Org: o, Role: role, Orgs: orgs, Projects: ps, Section: section,
		Operator: h.svc.IsOperator(a.User)}, nil
}

func (h *Web) rememberProject(w http.ResponseWriter, id prikke.ID) {
	http.SetCookie(w, &http.Cookie{Name: projectCookie, Value: id.String(), Path: "/app", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

func readIDCookie(r *http.Request, name string) (prikke.ID, bool) {
	c, err := r.Cookie(name)
	if err != nil {
		return prikke.NilID, false
	}
	id, err := prikke.ParseID(c.Value)
	return id, err == nil
}

// pathID parses the id in the URL's {name} segment; a malformed id is
// ENOTFOUND, like an unknown one.
func pathID(r *http.Request, name string) (prikke.ID, error) {
	return prikke.ParseID(r.PathValue(name))
}

// renderApp renders a dashboard page with its context.
func (h *Web) renderApp(w http.ResponseWriter, r *http.Request, status int, name string, c *appContext, data any) {
	h.renderView(w, r, status, name, h.appView(w, r, c, data))
}

// appView is view for a dashboard page: the View with its context, its
// event stream and Prikke's open incidents. A handler that amends the View
// before renderView (a flash, say) starts from it.
func (h *Web) appView(w http.ResponseWriter, r *http.Request, c *appContext, data any) *page.View {
	v := h.view(w, r, data)
	v.App = c
	if es, ok := data.(interface{ EventsURL() string }); ok {
		v.Events = es.EventsURL()
	}
	v.Incidents = h.status.OpenIncidents(r)
	v.SSRFAllow = h.deps.SSRFAllow
	return v
}
