package prikke

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Organization owns projects, members, API keys and a tier. Every user gets a
// personal organization at sign-up.
type Organization struct {
	ID   ID
	Name string
	// Tier is the tier the engine enforces: BaseTier raised by a
	// subscription that grants Pro (TierOf). The service keeps it equal to
	// the computed tier, moving it at the instant a subscription ends.
	Tier Tier
	// BaseTier is the tier without a subscription: PRIKKE_DEFAULT_TIER when
	// the organization was made, or what an operator set.
	BaseTier Tier
	Personal bool
	// SuspendedAt is set while an operator has the organization suspended:
	// its jobs and monitors are paused (PauseForSuspension), its API keys
	// answer 403 with SuspendReason, and its members can read but change
	// nothing.
	SuspendedAt   *time.Time
	SuspendReason string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Suspended reports whether an operator has the organization suspended.
func (o *Organization) Suspended() bool { return o.SuspendedAt != nil }

// Role is a member's role in an organization.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleMember || r == RoleViewer
}

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// AtLeast reports whether r has at least the rights of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

// Permission is something a role may do. The table is documented in /docs.
type Permission string

// Permissions.
const (
	PermRead           Permission = "read"            // viewer
	PermManageJobs     Permission = "manage_jobs"     // member: jobs and executions
	PermManageProjects Permission = "manage_projects" // admin: projects, channels, status pages
	PermManageKeys     Permission = "manage_keys"     // admin: API keys
	PermManageInvites  Permission = "manage_invites"  // admin: invitations
	PermReadAudit      Permission = "read_audit"      // admin
	PermManageRoles    Permission = "manage_roles"    // owner
	PermManageBilling  Permission = "manage_billing"  // admin: upgrade, manage billing, claim a subscription
	PermDeleteOrg      Permission = "delete_org"      // owner
	PermRevealSecret   Permission = "reveal_secret"   // admin: project signing secret
)

// Can reports whether role r grants p.
func (r Role) Can(p Permission) bool {
	switch p {
	case PermRead:
		return r.AtLeast(RoleViewer)
	case PermManageJobs:
		return r.AtLeast(RoleMember)
	case PermManageProjects, PermManageKeys, PermManageInvites, PermReadAudit, PermRevealSecret, PermManageBilling:
		return r.AtLeast(RoleAdmin)
	case PermManageRoles, PermDeleteOrg:
		return r.AtLeast(RoleOwner)
	}
	return false
}

// Membership places a user in an organization with a role.
type Membership struct {
	OrganizationID ID
	UserID         ID
	Role           Role
	CreatedAt      time.Time
	// Filled by list queries.
	UserEmail            string
	OrganizationName     string
	OrganizationTier     Tier
	OrganizationPersonal bool
}

// Invitation asks someone, by email, to join an organization.
type Invitation struct {
	ID             ID
	OrganizationID ID
	Email          string
	Role           Role
	TokenHash      []byte
	InvitedBy      ID
	ExpiresAt      time.Time
	AcceptedAt     *time.Time
	DeclinedAt     *time.Time
	CreatedAt      time.Time
	// Filled by lookups.
	OrganizationName string
}

// Pending reports whether the invitation can still be accepted at now.
func (i *Invitation) Pending(now time.Time) bool {
	return i.AcceptedAt == nil && i.DeclinedAt == nil && now.Before(i.ExpiresAt)
}

// ValidateName checks a display name (organization, project, job, channel).
func ValidateName(v *Validation, field, name string, required bool) {
	switch {
	case name == "" && required:
		v.Add(field, "is required")
	case !utf8.ValidString(name):
		v.Add(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(name) > 200:
		v.Add(field, "is too long: max 200 characters")
	case strings.ContainsFunc(name, isControl):
		v.Add(field, "contains an invalid character (control characters are not allowed)")
	case strings.ContainsFunc(name, isFormat):
		r, _ := utf8.DecodeRuneInString(name[strings.IndexFunc(name, isFormat):])
		v.Add(field, "contains an invisible formatting character (U+%04X); remove it: characters that reorder or hide text are not allowed", r)
	case required && strings.TrimSpace(name) == "":
		v.Add(field, "must not be blank")
	}
}

// isFormat reports whether r is a Unicode format character (category Cf):
// bidirectional overrides and isolates (U+202A–202E, U+2066–2069), marks
// (U+200E, U+200F), the BOM, soft hyphens … They make a name read
// differently from what it is (U+202E turns "gpj.exe" around), so names
// refuse them. ZERO WIDTH (NON-)JOINER stay allowed: emoji sequences and
// scripts such as Persian need them.
func isFormat(r rune) bool {
	return r != 0x200c && r != 0x200d && unicode.Is(unicode.Cf, r)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
