package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
)

// SecretRequest is a secret's value as clients send it.
type SecretRequest struct {
	Value string `json:"value" minLength:"1" maxLength:"4096" doc:"The secret's value, 1 byte to 4 KiB of UTF-8 text. It is sealed at rest and never returned by the API or shown in the dashboard." example:"sk_live_51H…"`
}

// Secret is a project secret as the API returns it: never its value.
type Secret struct {
	Name      string    `json:"name" doc:"The secret's name; workflow templates use it as {{ secrets.NAME }}." example:"API_TOKEN"`
	ProjectID string    `json:"project_id" doc:"The project it belongs to."`
	CreatedAt time.Time `json:"created_at" doc:"When it was first set."`
	UpdatedAt time.Time `json:"updated_at" doc:"When its value was last set."`
}

func projectSecretOut(s *prikke.Secret) *Secret {
	return &Secret{Name: s.Name, ProjectID: s.ProjectID.String(), CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

type secretInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
	Name      string `path:"name" doc:"The secret's name: 1 to 64 letters, digits and underscores, not starting with a digit." example:"API_TOKEN"`
}

type secretPutInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
	Name      string `path:"name" doc:"The secret's name: 1 to 64 letters, digits and underscores, not starting with a digit." example:"API_TOKEN"`
	bodyInput
}

type secretListInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
}

type secretPutOutput struct {
	Status int
	Body   *Secret
}

// pathName names the service's field errors about the secret's name as
// the path's.
func pathName(err error) error { return renameFields(err, "path.", "name") }

func (a *API) handleProjectSecretPut(ctx context.Context, in *secretPutInput) (*secretPutOutput, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	var req SecretRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	s, err := a.svc.SecretPut(ctx, actorOf(ctx), pid, in.Name, req.Value)
	if err != nil {
		return nil, pathName(err)
	}
	status := http.StatusOK
	if s.CreatedAt.Equal(s.UpdatedAt) {
		status = http.StatusCreated
	}
	return &secretPutOutput{Status: status, Body: projectSecretOut(s)}, nil
}

func (a *API) handleProjectSecretList(ctx context.Context, in *secretListInput) (*struct{ Body []*Secret }, error) {
	return listFor(ctx, in.ProjectID, a.svc.Secrets, projectSecretOut)
}

func (a *API) handleProjectSecretGet(ctx context.Context, in *secretInput) (*struct{ Body *Secret }, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	s, err := a.svc.Secret(ctx, actorOf(ctx), pid, in.Name)
	if err != nil {
		return nil, pathName(err)
	}
	return &struct{ Body *Secret }{projectSecretOut(s)}, nil
}

func (a *API) handleProjectSecretDelete(ctx context.Context, in *secretInput) (*struct{}, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	return nil, pathName(a.svc.SecretDelete(ctx, actorOf(ctx), pid, in.Name))
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opSecrets = operation{ID: "secrets", Tag: "Secrets",
		Summary:     "List a project's secrets",
		Description: "The project's secrets by name, with when each was set: never their values."}

	opSecret = operation{ID: "secret", Tag: "Secrets",
		Summary:     "Get a secret's name and times",
		Description: "Whether the project has the secret, and when it was set: never its value."}

	opSecretPut = operation{ID: "secret-put", Tag: "Secrets", Status: http.StatusCreated, Body: SecretRequest{},
		Example: map[string]any{"value": "s3cret-passw0rd"},
		Summary: "Set a secret",
		Description: "Creates (201) or replaces (200) a project secret that workflow steps use as {{ secrets.NAME }} in their URL, headers or body. " +
			"The value is sealed at rest, filled in only at the moment a request is sent, and never returned, logged or kept in history (which shows {{ secrets.NAME }}). " +
			"A project has at most 100 secrets. Setting or deleting one is recorded in the audit log (without the value).",
		Responses: func(a *API) map[string]*huma.Response {
			return map[string]*huma.Response{
				"201": {Description: "The secret was created."},
				"200": {Description: "The secret existed; its value was replaced.",
					Content: map[string]*huma.MediaType{"application/json": {Schema: a.schema(Secret{})}}},
			}
		}}

	opSecretDelete = operation{ID: "secret-delete", Tag: "Secrets", Status: http.StatusNoContent,
		Summary:     "Delete a secret",
		Description: "Deletes the secret. Workflows that use it fail at the step that needs it (before any request is sent) until it is set again; saving such a workflow is refused."}
)
