package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// APIKey is a key as lists show it: never the secret.
type APIKey struct {
	ID         string     `json:"id" doc:"The key's id."`
	KeyID      string     `json:"key_id" doc:"The public part, pk_live_<id>."`
	Name       string     `json:"name" doc:"A name for people, such as where the key is used." example:"deploy script"`
	ProjectID  string     `json:"project_id,omitempty" doc:"Set when the key is limited to one project."`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" doc:"When the key last authenticated a request; absent if never."`
	RevokedAt  *time.Time `json:"revoked_at,omitempty" doc:"When the key was revoked; absent while it works."`
	CreatedAt  time.Time  `json:"created_at" doc:"When the key was created."`
	Key        string     `json:"key,omitempty" doc:"The whole key: returned once, when it is created. Store it now."`
}

func keyOut(k *prikke.APIKey) *APIKey {
	out := &APIKey{ID: k.ID.String(), KeyID: k.KeyID, Name: k.Name, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt, CreatedAt: k.CreatedAt}
	if k.ProjectID != nil {
		out.ProjectID = k.ProjectID.String()
	}
	return out
}

func (a *API) handleKeyList(ctx context.Context, in *orgIDInput) (*struct{ Body []*APIKey }, error) {
	return listFor(ctx, in.OrgID, a.svc.APIKeys, keyOut)
}

type keyRequest struct {
	Name      string  `json:"name" maxLength:"200" example:"deploy script" doc:"A name for the key, such as where it is used."`
	ProjectID *string `json:"project_id,omitempty" doc:"Limit the key to this project."`
}

func (a *API) handleKeyCreate(ctx context.Context, in *orgUpdateInput) (*struct{ Body *APIKey }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	var req keyRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si := service.APIKeyInput{Name: req.Name}
	if req.ProjectID != nil {
		if si.ProjectID, err = optID("project_id", *req.ProjectID); err != nil {
			return nil, err
		}
	}
	full, k, err := a.svc.CreateAPIKey(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, err
	}
	out := keyOut(k)
	out.Key = full
	return &struct{ Body *APIKey }{out}, nil
}

type keyIDInput struct {
	KeyID string `path:"key_id" doc:"The key's id (not its pk_live_ public part)."`
}

func (a *API) handleKeyDelete(ctx context.Context, in *keyIDInput) (*struct{}, error) {
	id, err := parseID(in.KeyID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.RevokeAPIKey(ctx, actorOf(ctx), id)
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opAPIKeys = operation{ID: "api-keys", Tag: "API keys",
		Summary:     "List API keys (admins)",
		Description: "Every key of the organization, revoked ones included. Secrets are never shown again after creation."}

	opAPIKeyCreate = operation{ID: "api-key-create", Tag: "API keys", Status: http.StatusCreated, Body: keyRequest{},
		Summary:     "Create an API key (admins)",
		Description: "The whole key is in the response once; only its public part and a hash are kept."}

	opAPIKeyRevoke = operation{ID: "api-key-revoke", Tag: "API keys", Status: http.StatusNoContent,
		Summary:     "Revoke an API key (admins)",
		Description: "It stops working with the next request."}
)
