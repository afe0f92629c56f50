package page

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// FlashKind says how a flash message is styled and announced.
type FlashKind string

// Flash kinds.
const (
	FlashSuccess FlashKind = "success"
	FlashError   FlashKind = "error"
	FlashInfo    FlashKind = "info"
)

// Flash is a one-time message shown at the top of the next page, such as
// "Job saved." after a redirect.
type Flash struct {
	Kind    FlashKind `json:"k"`
	Message string    `json:"m"`
}

// FlashCookie is the cookie that carries flash messages to the next page.
const FlashCookie = "prikke_flash"

// maxFlashes keeps the cookie small whatever a handler does.
const maxFlashes = 5

// SetFlash stores messages for the next page the browser loads, typically
// right before a redirect (post/redirect/get); secure sets the cookie's
// Secure flag (over https).
// A second call in the same response replaces the first. The cookie is not
// signed: it only ever shows visitors text that their own browser sent, and
// templates escape it.
func SetFlash(w http.ResponseWriter, secure bool, flashes ...Flash) {
	if len(flashes) > maxFlashes {
		flashes = flashes[:maxFlashes]
	}
	b, _ := json.Marshal(flashes)
	http.SetCookie(w, &http.Cookie{
		Name:     FlashCookie,
		Value:    base64.RawURLEncoding.EncodeToString(b),
		Path:     "/",
		MaxAge:   60,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// TakeFlashes returns the messages the previous response left and clears
// the cookie.
func TakeFlashes(w http.ResponseWriter, r *http.Request, secure bool) []Flash {
	flashes := readFlashes(r)
	if _, err := r.Cookie(FlashCookie); err == nil {
		http.SetCookie(w, &http.Cookie{Name: FlashCookie, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	}
	return flashes
}

func readFlashes(r *http.Request) []Flash {
	c, err := r.Cookie(FlashCookie)
	if err != nil {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var flashes []Flash
	if json.Unmarshal(b, &flashes) != nil || len(flashes) > maxFlashes {
		return nil
	}
	out := flashes[:0]
	for _, f := range flashes {
		switch f.Kind {
		case FlashSuccess, FlashError, FlashInfo:
			out = append(out, f)
		}
	}
	return out
}
