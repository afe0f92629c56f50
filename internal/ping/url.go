package ping

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prikke/prikke"
)

// pingURL is what a ping URL says: which monitor (by token, or by ping
// key and slug), what kind of ping, and the query's rid and create.
type pingURL struct {
	token     string // the token form; lowercase
	key, slug string // the slug form
	kind      prikke.PingKind
	exit      *int
	rid       string
	create    bool
}

// badRequest is a 400 answer's text.
type badRequest string

func (b badRequest) Error() string { return string(b) }

var errNotFound = errors.New("not found")

// parseURL reads r's path and query. A first segment that is a UUID is a
// token (/ping/<token>[/<action>]); anything else is a project ping key
// followed by a slug (/ping/<key>/<slug>[/<action>]). It returns
// errNotFound for a path that names no ping, and a badRequest for an exit
// status over 255 or a rid that is not a UUID.
func parseURL(r *http.Request) (*pingURL, error) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/ping/")
	if !ok {
		return nil, errNotFound
	}
	seg := strings.Split(rest, "/")
	u := &pingURL{kind: prikke.PingSuccess}
	var action []string
	switch {
	case isUUID(seg[0]) && len(seg) <= 2:
		u.token, action = strings.ToLower(seg[0]), seg[1:]
	case !isUUID(seg[0]) && len(seg) >= 2 && len(seg) <= 3 && plain(seg[0]) && plain(seg[1]):
		u.key, u.slug, action = seg[0], seg[1], seg[2:]
	default:
		return nil, errNotFound
	}
	if len(action) == 1 {
		if err := u.setAction(action[0]); err != nil {
			return nil, err
		}
	}
	q := r.URL.Query()
	if rid := q.Get("rid"); rid != "" {
		if !isUUID(rid) {
			return nil, badRequest("rid must be a UUID (like 5f1c2a9e-8a4b-4c1d-9e2f-0a1b2c3d4e5f), to pair a start with its end")
		}
		u.rid = strings.ToLower(rid)
	}
	u.create = u.slug != "" && q.Get("create") == "1"
	return u, nil
}

// plain reports whether a ping key or slug from the path could name
// something: not empty, valid UTF-8 and free of control characters. The
// path is percent-decoded, and bytes such as %FF or %00 are refused by
// the database as text (a 5xx) rather than found missing.
func plain(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// setAction reads the last segment: start, fail, log or an exit status.
func (u *pingURL) setAction(a string) error {
	switch a {
	case "start":
		u.kind = prikke.PingStart
		return nil
	case "fail":
		u.kind = prikke.PingFail
		return nil
	case "log":
		u.kind = prikke.PingLog
		return nil
	}
	if a == "" || strings.Trim(a, "0123456789") != "" {
		return errNotFound
	}
	n, err := strconv.Atoi(a)
	if err != nil || n > 255 {
		return badRequest("the exit status must be between 0 and 255")
	}
	u.exit = &n
	if n != 0 {
		u.kind = prikke.PingFail
	}
	return nil
}

// cacheKey names the monitor u points at in the lookup cache.
func (u *pingURL) cacheKey() string {
	if u.token != "" {
		return u.token
	}
	return u.key + "/" + u.slug
}
