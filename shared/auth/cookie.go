package auth

import (
	"net/http"
	"time"
)

// Cookie names and the refresh token's lifetime (DESIGN §4). Over HTTPS
// the cookies are named with the __Host- prefix, which browsers keep only
// when the cookie is Secure, for Path=/ and without a Domain, so no other
// host (a subdomain, say) can set or shadow them; on the plain-HTTP
// embedded default, where a __Host- cookie cannot be set, they keep the
// seed's names. Readers take either (SessionToken, RefreshToken).
const (
	// SessionCookie holds the access token.
	SessionCookie = "session"
	// RefreshCookie holds the refresh token.
	RefreshCookie = "refresh"
	// SecureSessionCookie and SecureRefreshCookie are their names over
	// HTTPS.
	SecureSessionCookie = "__Host-session"
	SecureRefreshCookie = "__Host-refresh"
	// RefreshLifetime is how long a refresh token, and its cookie, lives.
	RefreshLifetime = 7 * 24 * time.Hour
)

// SessionToken returns the access token r's cookies carry, under either
// name; "" when there is none.
func SessionToken(r *http.Request) string { return cookieValue(r, SecureSessionCookie, SessionCookie) }

// RefreshToken returns the refresh token r's cookies carry, under either
// name; "" when there is none.
func RefreshToken(r *http.Request) string { return cookieValue(r, SecureRefreshCookie, RefreshCookie) }

// cookieValue is the value of the first of names r has a cookie of.
func cookieValue(r *http.Request, names ...string) string {
	for _, name := range names {
		if ck, err := r.Cookie(name); err == nil && ck.Value != "" {
			return ck.Value
		}
	}
	return ""
}

// names are the session and refresh cookies' names as c writes them.
func (c Cookies) names() (session, refresh string) {
	if c.Insecure {
		return SessionCookie, RefreshCookie
	}
	return SecureSessionCookie, SecureRefreshCookie
}

// Cookies writes the session and refresh cookies: HttpOnly, SameSite=Lax,
// Path=/, and Secure unless Insecure is set. The zero value is the production
// setting.
type Cookies struct {
	// Insecure drops the Secure flag, for plain-HTTP loopback
	// (COOKIE_INSECURE=true, set only by the embedded default).
	Insecure bool
	// Now is the clock used to turn an expiry into Max-Age; time.Now when nil.
	Now func() time.Time
}

// SetSession sets the session cookie to the access token, expiring at expires
// (the token's exp, so Max-Age is the token's remaining lifetime).
func (c Cookies) SetSession(w http.ResponseWriter, token string, expires time.Time) {
	session, _ := c.names()
	http.SetCookie(w, c.cookie(session, token, expires))
}

// SetRefresh sets the refresh cookie to the refresh token, expiring at expires.
func (c Cookies) SetRefresh(w http.ResponseWriter, token string, expires time.Time) {
	_, refresh := c.names()
	http.SetCookie(w, c.cookie(refresh, token, expires))
}

// Clear expires both the session and the refresh cookie, signing the browser out.
func (c Cookies) Clear(w http.ResponseWriter) {
	session, refresh := c.names()
	for _, name := range []string{session, refresh} {
		http.SetCookie(w, c.cookie(name, "", time.Time{}))
	}
}

// cookie builds a cookie with the common flags. An expiry that is not in the
// future yields a deleting cookie (Max-Age=0 on the wire).
func (c Cookies) cookie(name, value string, expires time.Time) *http.Cookie {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ck := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   !c.Insecure,
		SameSite: http.SameSiteLaxMode,
	}
	maxAge := int(expires.Sub(now()).Round(time.Second) / time.Second)
	if maxAge <= 0 {
		ck.MaxAge = -1
		ck.Expires = time.Unix(0, 0)
		return ck
	}
	ck.MaxAge = maxAge
	ck.Expires = expires.UTC()
	return ck
}
