package docs

import (
	"net/http"

	"github.com/prikke/prikke"
)

// roleRow is one line of the roles table: what a permission allows, and
// whether each role has it — read from prikke.Role.Can, so the table is
// the code's own.
type roleRow struct {
	What  string
	Roles []bool // viewer, member, admin, owner
}

// Roles are the columns of the roles table, least to most.
var Roles = []prikke.Role{prikke.RoleViewer, prikke.RoleMember, prikke.RoleAdmin, prikke.RoleOwner}

// Permissions are the rows of the roles table: a permission and what it
// allows, in words.
var Permissions = []struct {
	Perm prikke.Permission
	What string
}{
	{prikke.PermRead, "See projects, jobs, executions, channels, status pages, members and usage"},
	{prikke.PermManageJobs, "Create, change, pause, run and delete jobs; enqueue requests; send test requests and test notifications"},
	{prikke.PermManageProjects, "Create, rename and delete projects; manage notification channels and status pages; project settings"},
	{prikke.PermRevealSecret, "Reveal and rotate a project's signing secret"},
	{prikke.PermManageKeys, "Create and revoke API keys"},
	{prikke.PermManageInvites, "Invite members and revoke invitations"},
	{prikke.PermReadAudit, "Read the audit log"},
	{prikke.PermManageRoles, "Rename the organization; change members' roles and remove members"},
	{prikke.PermManageBilling, "Upgrade to Pro, manage billing and attach a subscription bought with your email (where this Prikke sells plans)"},
	{prikke.PermDeleteOrg, "Delete the organization"},
}

type teamsDocsView struct {
	Roles []prikke.Role
	Rows  []roleRow
}

func (h *Docs) ShowTeams(w http.ResponseWriter, r *http.Request) {
	v := teamsDocsView{Roles: Roles}
	for _, p := range Permissions {
		row := roleRow{What: p.What}
		for _, role := range Roles {
			row.Roles = append(row.Roles, role.Can(p.Perm))
		}
		v.Rows = append(v.Rows, row)
	}
	h.deps.Render(w, r, http.StatusOK, "docs_teams", v)
}
