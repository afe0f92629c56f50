package service

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/prikke/prikke"
)

// secretName is what a secret may be called: templates name it as
// secrets.NAME.
var secretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// checkSecretName names the field "name".
func checkSecretName(name string) error {
	if !secretName.MatchString(name) {
		return prikke.InvalidField("name", "must be 1 to 64 letters, digits and underscores, not starting with a digit, such as API_TOKEN")
	}
	return nil
}

// SecretPut creates or replaces a project secret. The value is sealed at
// rest and never returned: the secret given back has no Value. A new
// secret has CreatedAt equal to UpdatedAt; a replaced one keeps its
// CreatedAt.
func (s *Service) SecretPut(ctx context.Context, a *Actor, projectID prikke.ID, name, value string) (*prikke.Secret, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermManageJobs, "change secrets")
	if err != nil {
		return nil, err
	}
	if err := checkSecretName(name); err != nil {
		return nil, err
	}
	switch {
	case value == "":
		return nil, prikke.InvalidField("value", "is required: give the secret's value")
	case len(value) > prikke.MaxSecretValueBytes:
		const msg = "is too long: max 4 KiB (4096 bytes)"
		return nil, &prikke.Error{Code: prikke.ETOOLARGE, Message: "value: " + msg, Fields: []prikke.FieldError{{Field: "value", Message: msg}}}
	case !utf8.ValidString(value) || strings.ContainsRune(value, 0):
		return nil, prikke.InvalidField("value", "must be UTF-8 text without NUL characters")
	}
	existing, err := s.store.SecretList(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	var old *prikke.Secret
	for _, x := range existing {
		if x.Name == name {
			old = x
		}
	}
	if old == nil && len(existing) >= prikke.MaxSecretsPerProject {
		return nil, prikke.Errorf(prikke.ECONFLICT, "A project can have at most %d secrets; delete one first.", prikke.MaxSecretsPerProject)
	}
	now := s.now()
	sec := &prikke.Secret{ProjectID: p.ID, Name: name, Value: value, CreatedAt: now, UpdatedAt: now}
	if old != nil {
		sec.CreatedAt = old.CreatedAt
	}
	if err := s.store.SecretPut(ctx, sec); err != nil {
		if isCode(err, prikke.EINVALID) {
			// The store's own count (a secret added in between).
			return nil, prikke.Errorf(prikke.ECONFLICT, "A project can have at most %d secrets; delete one first.", prikke.MaxSecretsPerProject)
		}
		return nil, err
	}
	detail := "created"
	if old != nil {
		detail = "replaced"
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditProjectSecretPut, "secret", p.ID.String()+"/"+name, detail)
	return &prikke.Secret{ProjectID: p.ID, Name: name, CreatedAt: sec.CreatedAt, UpdatedAt: sec.UpdatedAt}, nil
}

// Secrets lists a project's secrets, names and times only.
func (s *Service) Secrets(ctx context.Context, a *Actor, projectID prikke.ID) ([]*prikke.Secret, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermRead, "see secrets")
	if err != nil {
		return nil, err
	}
	ss, err := s.store.SecretList(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for _, x := range ss {
		x.Value = "" // never, whatever a store fills in
	}
	return ss, nil
}

// Secret returns one project secret, name and times only.
func (s *Service) Secret(ctx context.Context, a *Actor, projectID prikke.ID, name string) (*prikke.Secret, error) {
	ss, err := s.Secrets(ctx, a, projectID)
	if err != nil {
		return nil, err
	}
	if err := checkSecretName(name); err != nil {
		return nil, err
	}
	for _, x := range ss {
		if x.Name == name {
			return x, nil
		}
	}
	return nil, noSecret(name)
}

func noSecret(name string) error {
	return prikke.Errorf(prikke.ENOTFOUND, "This project has no secret %q.", name)
}

// SecretDelete deletes a project secret. Workflows that use it fail at
// the step that needs it until it is set again.
func (s *Service) SecretDelete(ctx context.Context, a *Actor, projectID prikke.ID, name string) error {
	p, err := s.project(ctx, a, projectID, prikke.PermManageJobs, "change secrets")
	if err != nil {
		return err
	}
	if err := checkSecretName(name); err != nil {
		return err
	}
	if err := s.store.SecretDelete(ctx, p.ID, name); err != nil {
		if isCode(err, prikke.ENOTFOUND) {
			return noSecret(name)
		}
		return err
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditProjectSecretDelete, "secret", p.ID.String()+"/"+name, "deleted")
	return nil
}
