package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/service"
)

type ctxKey int

const (
	actorKey ctxKey = iota
	requestKey
)

// authenticate resolves the actor: a bearer API key, else the session
// cookie. Operations not marked public require one.
func (a *API) authenticate(ctx huma.Context, next func(huma.Context)) {
	r, _ := humago.Unwrap(ctx)
	actor := &service.Actor{IP: a.deps.ClientIP(r), RequestID: httpserver.RequestID(r.Context())}
	isPublic := ctx.Operation().Metadata["public"] == true
	var authErr error
	if h := ctx.Header("Authorization"); h != "" {
		// The scheme is case-insensitive (RFC 9110 §11.1).
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			authErr = prikke.Errorf(prikke.EUNAUTHORIZED, "Send the key as `Authorization: Bearer pk_live_…`.")
		} else if k, err := a.svc.AuthenticateKey(ctx.Context(), strings.TrimSpace(token)); err != nil {
			authErr = err
		} else {
			actor.APIKey = k
		}
	} else if tok := a.deps.Cookie.Read(r); tok != "" {
		u, t, err := a.svc.Authenticate(ctx.Context(), tok)
		if err != nil {
			authErr = err
		} else {
			actor.User, actor.Session = u, t
		}
	} else {
		authErr = prikke.Errorf(prikke.EUNAUTHORIZED, "Authenticate with `Authorization: Bearer pk_live_…` (create one in the dashboard under Organization → API keys).")
	}
	if authErr != nil && !isPublic {
		a.writeError(ctx, authErr)
		return
	}
	ctx = huma.WithValue(ctx, actorKey, actor)
	ctx = huma.WithValue(ctx, requestKey, r)
	next(ctx)
}

func actorOf(ctx context.Context) *service.Actor {
	a, _ := ctx.Value(actorKey).(*service.Actor)
	return a
}

func requestOf(ctx context.Context) *http.Request {
	r, _ := ctx.Value(requestKey).(*http.Request)
	return r
}
