// Package requestid carries a request's ID in its context, from the HTTP
// middleware that assigns it (internal/httpserver) to the code that records
// it (the audit log in internal/service), so neither imports the other.
// It imports nothing of ours.
package requestid

import "context"

type ctxKey struct{}

// With returns ctx carrying the request ID id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the request ID ctx carries, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}
