package auth

import (
	"net/http"
	"time"

	"github.com/prikke/prikke"
)

// SessionCookie writes and reads the session cookie. Over https it is
// "__Host-prikke_session": Secure, HttpOnly, SameSite=Lax, Path=/, no
// Domain (ASVS 3.3). A development server on plain http cannot set Secure
// cookies, so there it is "prikke_session" without Secure.
type SessionCookie struct {
	Secure bool
}

// Name is the cookie's name.
func (c SessionCookie) Name() string {
	if c.Secure {
		return "__Host-prikke_session"
	}
	return "prikke_session"
}

// Set writes the session token.
func (c SessionCookie) Set(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: c.Name(), Value: token, Path: "/", Secure: c.Secure, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(prikke.SessionAbsoluteTimeout / time.Second)})
}

// Clear removes the cookie.
func (c SessionCookie) Clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.Name(), Value: "", Path: "/", Secure: c.Secure, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// Read returns the session token of a request ("" when none).
func (c SessionCookie) Read(r *http.Request) string {
	ck, err := r.Cookie(c.Name())
	if err != nil {
		return ""
	}
	return ck.Value
}
