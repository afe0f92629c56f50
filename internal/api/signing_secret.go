package api

import (
	"context"
	"time"

	"github.com/prikke/prikke"
)

// SigningSecret is a project's webhook signing secret.
type SigningSecret struct {
	Secret         string     `json:"secret" doc:"whsec_…: verify webhook-signature with it."`
	PreviousSecret string     `json:"previous_secret,omitempty" doc:"Still signing too, until previous_until."`
	PreviousUntil  *time.Time `json:"previous_until,omitempty" doc:"After a rotation: until when requests also carry a signature made with the previous secret."`
}

func secretOut(p *prikke.Project, now time.Time) *SigningSecret {
	out := &SigningSecret{Secret: p.SigningSecret}
	if p.PreviousUntil != nil && now.Before(*p.PreviousUntil) {
		out.PreviousSecret, out.PreviousUntil = p.PreviousSecret, p.PreviousUntil
	}
	return out
}

func (a *API) handleSecretGet(ctx context.Context, in *projectIDInput) (*struct{ Body *SigningSecret }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.RevealSecret(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *SigningSecret }{secretOut(p, a.svc.NowFunc())}, nil
}

func (a *API) handleSecretRotate(ctx context.Context, in *projectIDInput) (*struct{ Body *SigningSecret }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.RotateSecret(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *SigningSecret }{secretOut(p, a.svc.NowFunc())}, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opSigningSecret = operation{ID: "signing-secret", Tag: "Projects",
		Summary:     "Reveal the webhook signing secret (admins)",
		Description: "Every reveal is in the audit log."}

	opSigningSecretRotate = operation{ID: "signing-secret-rotate", Tag: "Projects",
		Summary:     "Rotate the signing secret (admins)",
		Description: "Requests carry signatures of both secrets for 24 hours, so receivers can switch without dropping any."}
)
