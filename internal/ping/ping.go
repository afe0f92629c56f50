// Package ping is the ping API: the URLs a customer's own cron job calls
// when it starts and when it ends, with Healthchecks' paths so a user can
// switch by changing the host name.
//
//	HEAD|GET|POST /ping/<token>[/start|/fail|/log|/<exit status 0-255>][?rid=<uuid>]
//	HEAD|GET|POST /ping/<project ping key>/<slug>[/…][?rid=<uuid>][&create=1]
//
// There is no authentication: the token (a UUID) or the project's ping key
// is the credential. Answers are plain text ("OK", "Created", "not found"),
// open to every origin (CORS), and carry Ping-Body-Limit, the bytes of
// body the monitor's tier keeps. A flood of pings to one monitor is cut
// with 429 on this node without touching other monitors.
//
// Pings are written by a Recorder, which commits the pings of concurrent
// requests together (group commit) and answers each request after its
// batch is stored: 200 means the ping is in the database and the monitor
// has moved.
package ping

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// Config tunes the ping API. Zero fields take the defaults.
type Config struct {
	// Burst and Rate are each monitor's flood limit on this node: Burst
	// pings at once, refilled at Rate per second. Defaults 100 and 20.
	Burst int
	Rate  float64
	// MissBurst and MissRate limit, per client address on this node, the
	// pings to tokens and slugs that name no monitor: each costs a
	// database read, so past MissBurst at once (refilled at MissRate per
	// second) an address's pings that miss the cache are 429 without
	// one. Pings to monitors already cached pass. Defaults 50 and 5.
	MissBurst int
	MissRate  float64
	// TokenTTL is how long a monitor found by its token is remembered (its
	// ID, project and tier): a token names one monitor for its whole life,
	// and a deleted monitor's pings are dropped by the store anyway, so
	// only a change of tier (the body limit) waits for it. Default 60 s.
	TokenTTL time.Duration
	// SlugTTL is the same for the slug form, kept short because a slug
	// can be renamed and then given to another monitor. Default 5 s.
	SlugTTL time.Duration
	// CountCap is how much of a body past the tier's limit is read to
	// count its size; beyond it BodySize stops growing. Default 10 MB.
	CountCap int64
	// BodyTimeout is how long a client has to send a ping's body once its
	// monitor is found: a body trickled slowly (slowloris) is cut with a
	// 400 rather than holding the connection. Default 30 s.
	BodyTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultBurst       = 100
	DefaultRate        = 20
	DefaultMissBurst   = 50
	DefaultMissRate    = 5
	DefaultTokenTTL    = time.Minute
	DefaultSlugTTL     = 5 * time.Second
	DefaultCountCap    = 10 << 20
	DefaultBodyTimeout = 30 * time.Second
	// MaxUserAgent bounds the user agent kept with a ping, in characters.
	MaxUserAgent = 500
)

// Deps are what the ping API needs.
type Deps struct {
	// Store finds monitors by token, or by ping key and slug.
	Store    store.MonitorStore
	Recorder *Recorder
	// Create makes the monitor a slug URL with ?create=1 names
	// (service.CreateMonitorByPingKey); nil refuses create=1.
	Create func(ctx context.Context, pingKey, slug string) (m *prikke.Monitor, created bool, err error)
	// ClientIP returns the request's client address (trusting only
	// configured proxies).
	ClientIP func(r *http.Request) string
	Now      func() time.Time
	Logger   *slog.Logger
	Config   Config
}

// Handler serves /ping/.
type Handler struct {
	d     Deps
	cache *cache
	flood *limiter[prikke.ID]
	// misses counts the not-found answers of each client address.
	misses *limiter[string]
}

// New returns the ping API.
func New(d Deps) *Handler {
	c := &d.Config
	if c.Burst <= 0 {
		c.Burst = DefaultBurst
	}
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.MissBurst <= 0 {
		c.MissBurst = DefaultMissBurst
	}
	if c.MissRate <= 0 {
		c.MissRate = DefaultMissRate
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.SlugTTL <= 0 {
		c.SlugTTL = DefaultSlugTTL
	}
	if c.CountCap <= 0 {
		c.CountCap = DefaultCountCap
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.ClientIP == nil {
		d.ClientIP = func(r *http.Request) string { return r.RemoteAddr }
	}
	return &Handler{d: d, cache: newCache(maxEntries), flood: newLimiter[prikke.ID](c.Burst, c.Rate, maxEntries),
		misses: newLimiter[string](c.MissBurst, c.MissRate, maxEntries)}
}

// maxEntries bounds the monitor cache and the flood limiter's buckets.
const maxEntries = 100_000

// Mount adds the ping API to mux.
func (h *Handler) Mount(mux *http.ServeMux) { mux.Handle("/ping/", h) }

// ServeHTTP answers one ping.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Expose-Headers", "Ping-Body-Limit, Retry-After")
	hd.Set("Cache-Control", "no-store")
	switch r.Method {
	case http.MethodOptions:
		hd.Set("Access-Control-Allow-Methods", "GET, HEAD, POST")
		hd.Set("Access-Control-Allow-Headers", "Content-Type")
		hd.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		hd.Set("Allow", "GET, HEAD, POST, OPTIONS")
		answer(w, http.StatusMethodNotAllowed, "method not allowed: ping with GET, HEAD or POST")
		return
	}
	u, err := parseURL(r)
	if err != nil {
		var bad badRequest
		if errors.As(err, &bad) {
			answer(w, http.StatusBadRequest, string(bad))
			return
		}
		answer(w, http.StatusNotFound, "not found")
		return
	}
	t, created, err := h.find(r, u)
	if errors.Is(err, errTooManyMisses) {
		hd.Set("Retry-After", "1")
		answer(w, http.StatusTooManyRequests, "too many pings to unknown monitors from this address: slow down")
		return
	}
	if err != nil {
		h.answerError(w, err)
		return
	}
	limit := t.tier.PingBodyLimit()
	hd.Set("Ping-Body-Limit", strconv.Itoa(limit))
	if ok, wait := h.flood.allow(t.id, time.Now()); !ok {
		hd.Set("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
		answer(w, http.StatusTooManyRequests, "too many pings to this monitor: slow down")
		return
	}
	// Not every ResponseWriter has deadlines (http.ErrNotSupported); the
	// body is then read as the server's own timeouts allow. Once the body
	// is in, the deadline is lifted: past it, the server's read that
	// watches for a closed connection would cancel the request. A body
	// that did not come closes the connection (else the server would wait
	// for the rest of it before answering).
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(h.d.Config.BodyTimeout))
	body, size, truncated, err := readBody(r.Body, limit, h.d.Config.CountCap)
	if err != nil {
		hd.Set("Connection", "close")
		answer(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	p := &prikke.Ping{
		ID: prikke.NewID(), MonitorID: t.id, ProjectID: t.project, Kind: u.kind, ExitStatus: u.exit, RID: u.rid,
		Method: r.Method, SourceIP: h.d.ClientIP(r), UserAgent: userAgent(r.UserAgent()),
		Body: body, BodySize: size, BodyTruncated: truncated, CreatedAt: h.d.Now().UTC().Truncate(time.Microsecond),
	}
	switch err := h.d.Recorder.Record(r.Context(), p); {
	case err == nil && created:
		answer(w, http.StatusCreated, "Created")
	case err == nil:
		answer(w, http.StatusOK, "OK")
	case errors.Is(err, ErrDropped):
		h.cache.forget(u.cacheKey())
		answer(w, http.StatusNotFound, "not found")
	default:
		h.answerError(w, err)
	}
}

// errTooManyMisses is find's answer to an address over its miss limit.
var errTooManyMisses = errors.New("too many pings to unknown monitors")

// find returns the monitor u names, creating it when u asks to. A
// client address whose pings have found no monitor too often is refused
// (errTooManyMisses) before the database is asked.
func (h *Handler) find(r *http.Request, u *pingURL) (target, bool, error) {
	ctx := r.Context()
	key := u.cacheKey()
	now := time.Now()
	if t, ok := h.cache.get(key, now); ok {
		return t, false, nil
	}
	ip := missKey(h.d.ClientIP(r))
	if empty, _ := h.misses.empty(ip, now); empty {
		return target{}, false, errTooManyMisses
	}
	t, created, err := h.findStored(ctx, u, key, now)
	if prikke.ErrorCode(err) == prikke.ENOTFOUND {
		h.misses.allow(ip, now)
	}
	return t, created, err
}

// missKey is the miss limiter's key for a client address: an IPv6
// address counts as its /64 (one host commonly holds all of it, so
// rotating through it would otherwise get a fresh bucket each time).
func missKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		ap, err := netip.ParseAddrPort(ip) // a bare RemoteAddr
		if err != nil {
			return ip
		}
		a = ap.Addr()
	}
	if a = a.Unmap(); a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// findStored is find past the cache: the database, and create=1.
func (h *Handler) findStored(ctx context.Context, u *pingURL, key string, now time.Time) (target, bool, error) {
	m, err := h.lookup(ctx, u)
	created := false
	if prikke.ErrorCode(err) == prikke.ENOTFOUND && u.create && h.d.Create != nil {
		m, created, err = h.d.Create(ctx, u.key, u.slug)
	}
	if err != nil {
		return target{}, false, err
	}
	t := target{id: m.ID, project: m.ProjectID, tier: m.Tier}
	ttl := h.d.Config.TokenTTL
	if u.token == "" {
		ttl = h.d.Config.SlugTTL
	}
	h.cache.put(key, t, now, ttl)
	return t, created, nil
}

func (h *Handler) lookup(ctx context.Context, u *pingURL) (*prikke.Monitor, error) {
	if u.token != "" {
		return h.d.Store.MonitorGetByPingToken(ctx, u.token)
	}
	p, err := h.d.Store.ProjectGetByPingKey(ctx, u.key)
	if err != nil {
		return nil, err
	}
	return h.d.Store.MonitorGetBySlug(ctx, p.ID, u.slug)
}

// answerError answers a failed lookup, create or record.
func (h *Handler) answerError(w http.ResponseWriter, err error) {
	switch prikke.ErrorCode(err) {
	case prikke.ENOTFOUND:
		answer(w, http.StatusNotFound, "not found")
	case prikke.ELIMIT:
		answer(w, http.StatusForbidden, "monitor not created: "+prikke.ErrorMessage(err))
	case prikke.EINVALID:
		answer(w, http.StatusBadRequest, "monitor not created: "+prikke.ErrorMessage(err))
	case prikke.ECONFLICT:
		answer(w, http.StatusConflict, "monitor not created: "+prikke.ErrorMessage(err))
	default:
		if !errors.Is(err, ErrStopped) && !errors.Is(err, context.Canceled) {
			h.d.Logger.Error("ping not recorded", "error", err)
		}
		w.Header().Set("Retry-After", "1")
		answer(w, http.StatusServiceUnavailable, "ping not recorded: Prikke is unavailable, retry shortly")
	}
}

// answer writes a plain-text answer.
func answer(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, text)
}

// userAgent returns ua as valid UTF-8 cut to MaxUserAgent characters.
func userAgent(ua string) string {
	ua = strings.ToValidUTF8(strings.ReplaceAll(ua, "\x00", ""), "\uFFFD")
	if utf8.RuneCountInString(ua) <= MaxUserAgent {
		return ua
	}
	return string([]rune(ua)[:MaxUserAgent])
}

// isUUID reports whether s is a UUID in its 36-character form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}
