package api

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// cursor encodes a page position.
type cursor struct {
	At time.Time
	ID prikke.ID
}

// parseCursor reads a cursor query parameter ("" is the first page).
func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := huma.Error400BadRequest("Invalid cursor: pass back the next_cursor of the previous page unchanged.",
		&huma.ErrorDetail{Location: "query.cursor", Message: "is not a cursor this API returned"})
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	us, id, ok := strings.Cut(string(b), ".")
	if !ok {
		return cursor{}, bad
	}
	n, err1 := strconv.ParseInt(us, 10, 64)
	uid, err2 := prikke.ParseID(id)
	if err1 != nil || err2 != nil {
		return cursor{}, bad
	}
	return cursor{At: time.UnixMicro(n).UTC(), ID: uid}, nil
}

// limit clamps a page size to 1..100 (default 50).
func limit(n int) int {
	if n == 0 {
		return 50
	}
	return min(n, 100)
}

// parseID parses a path id; a malformed one names nothing: 404.
func parseID(s string) (prikke.ID, error) {
	id, err := prikke.ParseID(s)
	if err != nil {
		return prikke.NilID, huma.Error404NotFound("Not found.")
	}
	return id, nil
}

// listFor answers a list operation: the service's items for the id in the
// path, each in its API form (an empty list, never null).
func listFor[T, O any](ctx context.Context, rawID string, list func(context.Context, *service.Actor, prikke.ID) ([]T, error), out func(T) O) (*struct{ Body []O }, error) {
	id, err := parseID(rawID)
	if err != nil {
		return nil, err
	}
	items, err := list(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	body := make([]O, 0, len(items))
	for _, it := range items {
		body = append(body, out(it))
	}
	return &struct{ Body []O }{body}, nil
}

// optID parses an optional id from a query or body field.
func optID(field, s string) (*prikke.ID, error) {
	if s == "" {
		return nil, nil
	}
	id, err := prikke.ParseID(s)
	if err != nil {
		return nil, prikke.InvalidField(field, "is not a valid id")
	}
	return &id, nil
}
