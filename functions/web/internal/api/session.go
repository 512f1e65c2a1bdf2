package api

import (
	"net/http"
	"sync"
)

// Cookie names of the session (DESIGN §4), as auth sets them: the seed's
// over plain HTTP, and with the __Host- prefix over HTTPS.
const (
	// SessionCookie holds the access token.
	SessionCookie = "session"
	// RefreshCookie holds the refresh token.
	RefreshCookie = "refresh"
	// SecureSessionCookie and SecureRefreshCookie are their names over
	// HTTPS.
	SecureSessionCookie = "__Host-session"
	SecureRefreshCookie = "__Host-refresh"
)

// Session is one browser request as the API sees it: the cookies the
// browser sent, kept up to date with every Set-Cookie the API answers, and
// those Set-Cookie lines, to be passed back to the browser. The web
// function makes one per request and calls the API through it, as the
// browser itself would. It is safe for concurrent use, but the calls of
// one request are meant to run one after the other, so that a refreshed
// session is used by the calls that follow.
type Session struct {
	requestID string

	mu        sync.Mutex
	cookies   []*http.Cookie // in the order the browser sent them
	set       []setCookie    // one per cookie name, the last the API set
	refreshed bool           // a refresh was tried for this request
}

// setCookie is a Set-Cookie line the API answered, by the cookie it sets.
type setCookie struct {
	name string
	line string
}

// NewSession returns the session of r: every cookie r carries is sent
// with each call. requestID, when not empty, is sent as X-Request-Id so
// the API's logs can be matched with the web function's.
func NewSession(r *http.Request, requestID string) *Session {
	return &Session{requestID: requestID, cookies: r.Cookies()}
}

// SetCookies returns the Set-Cookie lines the API answered during the
// session, the last one for each cookie, in the order they were first set.
func (s *Session) SetCookies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := make([]string, 0, len(s.set))
	for _, sc := range s.set {
		lines = append(lines, sc.line)
	}
	return lines
}

// PassBack adds the Set-Cookie lines the API answered to w's headers,
// unchanged, so the browser keeps the cookies the API meant it to keep.
// Call it before writing the status.
func (s *Session) PassBack(w http.ResponseWriter) {
	for _, line := range s.SetCookies() {
		w.Header().Add("Set-Cookie", line)
	}
}

// Has reports whether the session holds a cookie named name.
func (s *Session) Has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.indexOf(name) >= 0
}

// HasAccess reports whether the session holds an access token, under
// either of its names.
func (s *Session) HasAccess() bool { return s.Has(SessionCookie) || s.Has(SecureSessionCookie) }

// SignedOut reports whether the session holds neither an access nor a
// refresh token, so that no call can be made on anyone's behalf.
func (s *Session) SignedOut() bool {
	return !s.HasAccess() && !s.Has(RefreshCookie) && !s.Has(SecureRefreshCookie)
}

// cookieList returns a copy of the cookies to send.
func (s *Session) cookieList() []*http.Cookie {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Cookie(nil), s.cookies...)
}

// record applies the Set-Cookie lines of resp to the session's cookies and
// keeps them to pass back.
func (s *Session) record(resp *http.Response) {
	lines := resp.Header.Values("Set-Cookie")
	if len(lines) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range lines {
		ck, err := http.ParseSetCookie(line)
		if err != nil {
			continue // nothing a browser would keep either
		}
		s.keep(ck.Name, line)
		i := s.indexOf(ck.Name)
		switch {
		case ck.MaxAge < 0:
			if i >= 0 {
				s.cookies = append(s.cookies[:i], s.cookies[i+1:]...)
			}
		case i >= 0:
			s.cookies[i] = &http.Cookie{Name: ck.Name, Value: ck.Value}
		default:
			s.cookies = append(s.cookies, &http.Cookie{Name: ck.Name, Value: ck.Value})
		}
	}
}

// keep remembers line as the Set-Cookie of name, replacing an earlier one.
func (s *Session) keep(name, line string) {
	for i := range s.set {
		if s.set[i].name == name {
			s.set[i].line = line
			return
		}
	}
	s.set = append(s.set, setCookie{name: name, line: line})
}

// indexOf returns the index of the cookie named name, or -1. The caller
// holds s.mu.
func (s *Session) indexOf(name string) int {
	for i, c := range s.cookies {
		if c.Name == name && c.Value != "" {
			return i
		}
	}
	return -1
}

// startRefresh reports whether a refresh may be tried now, and marks it
// tried: once per session, and only with a refresh cookie.
func (s *Session) startRefresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refreshed || s.indexOf(RefreshCookie) < 0 {
		return false
	}
	s.refreshed = true
	return true
}
