package service

import (
	"context"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/redact"
)

func (s *Service) newProject(ctx context.Context, orgID prikke.ID, name string) (*prikke.Project, error) {
	now := s.now()
	p := &prikke.Project{ID: prikke.NewID(), OrganizationID: orgID, Name: name, SigningSecret: delivery.NewSecret(),
		AlertAfter: 1, CreatedAt: now, UpdatedAt: now}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, s.store.ProjectCreate(ctx, p)
}

// Projects lists an organization's projects (an API key limited to one
// project sees only that one).
func (s *Service) Projects(ctx context.Context, a *Actor, orgID prikke.ID) ([]*prikke.Project, error) {
	if _, err := s.can(ctx, a, orgID, prikke.PermRead, "see projects"); err != nil {
		return nil, err
	}
	ps, err := s.store.ProjectListByOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if a.APIKey != nil && a.APIKey.ProjectID != nil {
		var out []*prikke.Project
		for _, p := range ps {
			if p.ID == *a.APIKey.ProjectID {
				out = append(out, p)
			}
		}
		return out, nil
	}
	return ps, nil
}

// Project returns one project.
func (s *Service) Project(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Project, error) {
	return s.project(ctx, a, id, prikke.PermRead, "see this project")
}

// DefaultProject is where jobs go when no project is named: an API key's
// project, or the organization's first.
func (s *Service) DefaultProject(ctx context.Context, a *Actor) (*prikke.Project, error) {
	if a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil {
		return s.store.ProjectGet(ctx, *a.APIKey.ProjectID)
	}
	o, err := s.DefaultOrganization(ctx, a)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ProjectListByOrganization(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, prikke.Errorf(prikke.ENOTFOUND, "This organization has no project; create one first.")
	}
	return ps[0], nil
}

// ProjectInput are a project's editable fields (nil: unchanged).
type ProjectInput struct {
	Name       *string
	AlertAfter *int
	// Redact replaces the project's redaction (nil pointer: keep; pointer
	// to nil: back to the defaults).
	Redact **prikke.Redaction
}

// CreateProject creates a project (admins).
func (s *Service) CreateProject(ctx context.Context, a *Actor, orgID prikke.ID, in ProjectInput) (*prikke.Project, error) {
	if _, err := s.canOrg(ctx, a, orgID, prikke.PermManageProjects, "create projects"); err != nil {
		return nil, err
	}
	name := ""
	if in.Name != nil {
		name = *in.Name
	}
	now := s.now()
	p := &prikke.Project{ID: prikke.NewID(), OrganizationID: orgID, Name: name, SigningSecret: delivery.NewSecret(),
		AlertAfter: 1, CreatedAt: now, UpdatedAt: now}
	if in.AlertAfter != nil {
		p.AlertAfter = *in.AlertAfter
	}
	if err := validateProject(p, in); err != nil {
		return nil, err
	}
	if err := s.store.ProjectCreate(ctx, p); err != nil {
		return nil, err
	}
	s.record(ctx, a, &orgID, prikke.AuditProjectCreate, "project", p.ID.String(), "")
	return p, nil
}

// validateProject applies in's redaction to p and validates p.
func validateProject(p *prikke.Project, in ProjectInput) error {
	var v prikke.Validation
	if in.Redact != nil {
		p.Redact = *in.Redact
		redact.Validate(&v, "redact", p.Redact)
	}
	if err := p.Validate(); err != nil {
		for _, f := range prikke.ErrorFields(err) {
			v.Add(f.Field, "%s", f.Message)
		}
		if len(prikke.ErrorFields(err)) == 0 {
			return err
		}
	}
	return v.Err()
}

// UpdateProject changes a project's name or alert threshold (admins).
func (s *Service) UpdateProject(ctx context.Context, a *Actor, id prikke.ID, in ProjectInput) (*prikke.Project, error) {
	p, err := s.project(ctx, a, id, prikke.PermManageProjects, "change projects")
	if err != nil {
		return nil, err
	}
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.AlertAfter != nil {
		p.AlertAfter = *in.AlertAfter
	}
	if err := validateProject(p, in); err != nil {
		return nil, err
	}
	p.UpdatedAt = s.now()
	if err := s.store.ProjectUpdate(ctx, p); err != nil {
		return nil, err
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditProjectUpdate, "project", p.ID.String(), "")
	return p, nil
}

// DeleteProject deletes a project with its jobs and history (admins). An
// organization keeps at least one project.
func (s *Service) DeleteProject(ctx context.Context, a *Actor, id prikke.ID) error {
	p, err := s.project(ctx, a, id, prikke.PermManageProjects, "delete projects")
	if err != nil {
		return err
	}
	ps, err := s.store.ProjectListByOrganization(ctx, p.OrganizationID)
	if err != nil {
		return err
	}
	if len(ps) <= 1 {
		return prikke.Errorf(prikke.EINVALID, "An organization needs at least one project; create another before deleting this one.")
	}
	if err := s.store.ProjectDelete(ctx, id); err != nil {
		return err
	}
	s.forgetKeys()
	s.record(ctx, a, &p.OrganizationID, prikke.AuditProjectDelete, "project", p.ID.String(), p.Name)
	return nil
}

// RevealSecret returns a project's signing secrets (admins); each reveal
// is audited.
func (s *Service) RevealSecret(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Project, error) {
	p, err := s.project(ctx, a, id, prikke.PermRevealSecret, "see the signing secret")
	if err != nil {
		return nil, err
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditSecretReveal, "project", p.ID.String(), "")
	return p, nil
}

// RotateSecret gives a project a new signing secret; the old one keeps
// signing too for prikke.SecretRotationOverlap, so receivers can switch
// without dropping requests (admins).
func (s *Service) RotateSecret(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Project, error) {
	p, err := s.project(ctx, a, id, prikke.PermRevealSecret, "rotate the signing secret")
	if err != nil {
		return nil, err
	}
	now := s.now()
	until := now.Add(prikke.SecretRotationOverlap)
	p.PreviousSecret, p.PreviousUntil, p.SigningSecret, p.UpdatedAt = p.SigningSecret, &until, delivery.NewSecret(), now
	if err := s.store.ProjectUpdate(ctx, p); err != nil {
		return nil, err
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditSecretRotate, "project", p.ID.String(), "")
	return p, nil
}

// APIKeyInput describes a new key.
type APIKeyInput struct {
	Name      string
	ProjectID *prikke.ID // limit the key to one project
}

// CreateAPIKey creates a key (admins) and returns it in full: the only time
// it is ever shown.
func (s *Service) CreateAPIKey(ctx context.Context, a *Actor, orgID prikke.ID, in APIKeyInput) (string, *prikke.APIKey, error) {
	if _, err := s.canOrg(ctx, a, orgID, prikke.PermManageKeys, "create API keys"); err != nil {
		return "", nil, err
	}
	var v prikke.Validation
	prikke.ValidateName(&v, "name", in.Name, true)
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	if in.ProjectID != nil {
		p, err := s.store.ProjectGet(ctx, *in.ProjectID)
		if err != nil || p.OrganizationID != orgID {
			return "", nil, prikke.InvalidField("project_id", "is not a project of this organization")
		}
	}
	return s.mintKey(ctx, a, orgID, in)
}

func (s *Service) mintKey(ctx context.Context, a *Actor, orgID prikke.ID, in APIKeyInput) (string, *prikke.APIKey, error) {
	full, keyID, hash := auth.NewAPIKey()
	k := &prikke.APIKey{ID: prikke.NewID(), OrganizationID: orgID, ProjectID: in.ProjectID, Name: in.Name, KeyID: keyID,
		SecretHash: hash, CreatedAt: s.now()}
	if a != nil && a.User != nil {
		k.CreatedBy = &a.User.ID
	}
	if err := s.store.APIKeyCreate(ctx, k); err != nil {
		return "", nil, err
	}
	s.record(ctx, a, &orgID, prikke.AuditAPIKeyCreate, "api_key", k.KeyID, k.Name)
	return full, k, nil
}

// CreateAPIKeyForUser is `prikke apikey create`: a key for the user's
// personal organization.
func (s *Service) CreateAPIKeyForUser(ctx context.Context, email, name string) (string, *prikke.APIKey, error) {
	u, err := s.store.UserGetByEmail(ctx, prikke.NormalizeEmail(email))
	if err != nil {
		if isCode(err, prikke.ENOTFOUND) {
			return "", nil, prikke.Errorf(prikke.ENOTFOUND, "No user with the email %s.", email)
		}
		return "", nil, err
	}
	o, err := s.store.OrganizationGetPersonal(ctx, u.ID)
	if err != nil {
		return "", nil, err
	}
	if name == "" {
		name = "cli"
	}
	return s.mintKey(ctx, &Actor{User: u, IP: "cli"}, o.ID, APIKeyInput{Name: name})
}

// APIKeys lists an organization's keys (admins); a key limited to one
// project sees the keys limited to that project, which it may revoke.
func (s *Service) APIKeys(ctx context.Context, a *Actor, orgID prikke.ID) ([]*prikke.APIKey, error) {
	if _, err := s.canSee(ctx, a, orgID, prikke.PermManageKeys, "see API keys"); err != nil {
		return nil, err
	}
	ks, err := s.store.APIKeyListByOrganization(ctx, orgID)
	if err != nil || a.APIKey == nil || a.APIKey.ProjectID == nil {
		return ks, err
	}
	var out []*prikke.APIKey
	for _, k := range ks {
		if k.ProjectID != nil && *k.ProjectID == *a.APIKey.ProjectID {
			out = append(out, k)
		}
	}
	return out, nil
}

// RevokeAPIKey revokes a key (admins). It stops working at once.
func (s *Service) RevokeAPIKey(ctx context.Context, a *Actor, id prikke.ID) error {
	k, err := s.store.APIKeyGet(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.can(ctx, a, k.OrganizationID, prikke.PermManageKeys, "revoke API keys"); err != nil {
		return err
	}
	if a.APIKey != nil && a.APIKey.ProjectID != nil && (k.ProjectID == nil || *k.ProjectID != *a.APIKey.ProjectID) {
		return notFound()
	}
	if err := s.store.APIKeyRevoke(ctx, id, s.now()); err != nil {
		return err
	}
	s.forgetKeys()
	s.record(ctx, a, &k.OrganizationID, prikke.AuditAPIKeyRevoke, "api_key", k.KeyID, k.Name)
	return nil
}

// APIKey returns one key of an organization the actor may manage keys in
// (admins); another tenant's key, or one outside a project-limited key's
// project, is ENOTFOUND. Revoked keys are returned too, so the dashboard
// can name the key it has just revoked.
func (s *Service) APIKey(ctx context.Context, a *Actor, id prikke.ID) (*prikke.APIKey, error) {
	k, err := s.store.APIKeyGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.canSee(ctx, a, k.OrganizationID, prikke.PermManageKeys, "see API keys"); err != nil {
		return nil, err
	}
	if a.APIKey != nil && a.APIKey.ProjectID != nil && (k.ProjectID == nil || *k.ProjectID != *a.APIKey.ProjectID) {
		return nil, notFound()
	}
	return k, nil
}
