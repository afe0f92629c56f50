// Package service holds the operations the REST API and the dashboard
// share. Each method is one user action: it authorizes the actor
// (tenant isolation and roles), validates the input with the domain rules
// and tier limits, writes through the store, records the audit log, and
// sends the mails the action implies. Handlers stay thin: they parse the
// request, call one method, and render the result or the error.
//
// Tenant isolation: anything that belongs to another organization is
// reported as not found, never as forbidden, so ids reveal nothing. Within
// an organization, a role without the right gets EFORBIDDEN.
package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/requestid"
	"github.com/prikke/prikke/internal/store"
)

// Config holds what the service needs from the configuration.
type Config struct {
	BaseURL    string // links in mails
	SignupOpen bool
	// DefaultTier is the base tier of new organizations ("" is Free).
	DefaultTier prikke.Tier
	// Billing is off when its Provider is nil.
	Billing Billing
	// OperatorEmails are PRIKKE_OPERATOR_EMAILS, normalised.
	OperatorEmails []string
}

// Service is the application. It is safe for concurrent use.
type Service struct {
	store  store.Store
	hasher *auth.Hasher
	mailer mail.Mailer
	client *delivery.Client
	cfg    Config
	logger *slog.Logger
	// NowFunc is the clock (tests replace it).
	NowFunc func() time.Time
	// Tester sends test notifications (set when notifications run).
	Tester ChannelTester

	reconcile reconciler // ReconcileTiers' memory
	keys      keyCache   // API keys as read at most KeyCacheTTL ago (queue_auth.go)
	enqueuer  enqueuer   // the enqueue API's group commit (queue_commit.go)
}

// New returns a Service.
func New(s store.Store, hasher *auth.Hasher, mailer mail.Mailer, client *delivery.Client, cfg Config, logger *slog.Logger) *Service {
	return &Service{store: s, hasher: hasher, mailer: mailer, client: client, cfg: cfg,
		logger: logger.With("service", "app"), NowFunc: time.Now}
}

func (s *Service) now() time.Time { return s.NowFunc().UTC().Truncate(time.Microsecond) }

// Actor is who performs an action: a signed-in user, or an API key.
type Actor struct {
	User      *prikke.User
	Session   *prikke.Token
	APIKey    *prikke.APIKey
	IP        string
	RequestID string
}

// audit fills in the audit fields of an actor.
func (a *Actor) audit(e *prikke.AuditEntry) {
	if a == nil {
		return
	}
	if a.User != nil {
		e.ActorUserID, e.ActorEmail = &a.User.ID, a.User.Email
	}
	if a.APIKey != nil {
		e.ActorAPIKeyID = &a.APIKey.ID
		e.ActorEmail = a.APIKey.KeyID
	}
	e.IP, e.RequestID = a.IP, a.RequestID
}

// notFound hides whether something exists.
func notFound() error { return prikke.Errorf(prikke.ENOTFOUND, "Not found.") }

func forbidden(what string) error {
	return prikke.Errorf(prikke.EFORBIDDEN, "Your role does not allow you to %s.", what)
}

// role returns the actor's role in an organization, ENOTFOUND if the actor
// has none. An API key acts as an admin of its own organization: it may
// manage projects, jobs and keys, never members, roles or billing.
func (s *Service) role(ctx context.Context, a *Actor, orgID prikke.ID) (prikke.Role, error) {
	switch {
	case a == nil:
		return "", prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in or send an API key.")
	case a.APIKey != nil:
		if a.APIKey.OrganizationID != orgID {
			return "", notFound()
		}
		return prikke.RoleAdmin, nil
	case a.User != nil:
		m, err := s.store.MembershipGet(ctx, orgID, a.User.ID)
		if prikke.ErrorCode(err) == prikke.ENOTFOUND {
			return "", notFound()
		}
		if err != nil {
			return "", err
		}
		return m.Role, nil
	}
	return "", prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in or send an API key.")
}

// can checks that the actor may do perm in the organization. It is where
// every change an actor makes is authorised, so it is also where a
// suspended organization's changes are refused (SuspendedError): only
// reading, billing (so it can pay) and leaving stay open.
func (s *Service) can(ctx context.Context, a *Actor, orgID prikke.ID, perm prikke.Permission, what string) (prikke.Role, error) {
	r, err := s.canSee(ctx, a, orgID, perm, what)
	if err != nil || !changes(perm) || a.APIKey != nil {
		// An API key's organization was found not suspended when the key
		// was authenticated (AuthenticateKey: read at most KeyCacheTTL
		// ago, at once again after a suspension on this node): not read
		// again on the hot path (POST /queue). The store refuses what
		// must not slip through a suspension committed since (creates,
		// re-enables, retries).
		return r, err
	}
	o, err := s.store.OrganizationGet(ctx, orgID)
	if err != nil {
		return r, err
	}
	if o.Suspended() {
		return r, SuspendedError(o)
	}
	return r, nil
}

// changes reports whether perm guards a change a suspended organization
// may not make: everything but reading and billing.
func changes(perm prikke.Permission) bool {
	switch perm {
	case prikke.PermRead, prikke.PermReadAudit, prikke.PermRevealSecret, prikke.PermManageBilling:
		return false
	}
	return true
}

// canSee is can for reading what a managing permission guards (the API
// keys, the invitations): a suspended organization's admins still see
// them.
func (s *Service) canSee(ctx context.Context, a *Actor, orgID prikke.ID, perm prikke.Permission, what string) (prikke.Role, error) {
	r, err := s.role(ctx, a, orgID)
	if err != nil {
		return "", err
	}
	if !r.Can(perm) {
		return r, forbidden(what)
	}
	if a.APIKey != nil && (perm == prikke.PermManageRoles || perm == prikke.PermManageBilling || perm == prikke.PermDeleteOrg || perm == prikke.PermManageInvites) {
		return r, forbidden(what + " with an API key; sign in to the dashboard")
	}
	return r, nil
}

// canOrg is can for what spans the whole organization (members,
// invitations, API keys, the audit log, new projects): an API key limited
// to one project sees and changes nothing beyond that project. (It may
// still read the organization itself and its usage against the tier's
// limits, which bound its own project's jobs.)
func (s *Service) canOrg(ctx context.Context, a *Actor, orgID prikke.ID, perm prikke.Permission, what string) (prikke.Role, error) {
	if err := orgWide(a, orgID, what); err != nil {
		return "", err
	}
	return s.can(ctx, a, orgID, perm, what)
}

// orgWide refuses a key limited to one project what spans the whole
// organization.
func orgWide(a *Actor, orgID prikke.ID, what string) error {
	if a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil {
		if a.APIKey.OrganizationID != orgID {
			return notFound()
		}
		return prikke.Errorf(prikke.EFORBIDDEN, "A key limited to one project cannot %s; use a key for the whole organization.", what)
	}
	return nil
}

// project loads a project the actor may act on with perm.
func (s *Service) project(ctx context.Context, a *Actor, id prikke.ID, perm prikke.Permission, what string) (*prikke.Project, error) {
	p, err := s.store.ProjectGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil && *a.APIKey.ProjectID != p.ID {
		return nil, notFound()
	}
	if _, err := s.can(ctx, a, p.OrganizationID, perm, what); err != nil {
		return nil, err
	}
	return p, nil
}

// job loads a job the actor may act on with perm.
func (s *Service) job(ctx context.Context, a *Actor, id prikke.ID, perm prikke.Permission, what string) (*prikke.Job, error) {
	j, err := s.store.JobGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil && *a.APIKey.ProjectID != j.ProjectID {
		return nil, notFound()
	}
	if _, err := s.can(ctx, a, j.OrganizationID, perm, what); err != nil {
		return nil, err
	}
	return j, nil
}

// record writes an audit entry; failures are logged, never shown.
func (s *Service) record(ctx context.Context, a *Actor, org *prikke.ID, action prikke.AuditAction, targetType, targetID, detail string) {
	e := &prikke.AuditEntry{ID: prikke.NewID(), OrganizationID: org, Action: action, TargetType: targetType,
		TargetID: targetID, Detail: detail, CreatedAt: s.now()}
	a.audit(e)
	if e.RequestID == "" {
		// Actions taken before there is an actor (login, password reset)
		// still name the request they came in.
		e.RequestID = requestid.From(ctx)
	}
	if err := s.store.AuditInsert(context.WithoutCancel(ctx), e); err != nil {
		s.logger.Error("audit write failed", "action", action, "error", err)
	}
}

// send renders and sends one mail; a failure is logged, not returned:
// the action it belongs to has happened either way.
func (s *Service) send(ctx context.Context, to string, d mail.Data) {
	m, err := mail.NewMessage(to, d)
	if err != nil {
		s.logger.Error("render mail failed", "kind", d.Kind(), "error", err)
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.mailer.Send(sctx, m); err != nil {
		s.logger.Error("send mail failed", "kind", d.Kind(), "error", err)
	}
}

// url returns an absolute link to path on this Prikke.
func (s *Service) url(path string) string { return s.cfg.BaseURL + path }

// isCode reports whether err carries code.
func isCode(err error, code string) bool { return err != nil && prikke.ErrorCode(err) == code }

var errNoActor = errors.New("service: no actor")
