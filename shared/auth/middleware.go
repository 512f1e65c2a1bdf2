package auth

import (
	"log/slog"
	"net/http"

	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// Verifier checks an access token and returns the user it describes.
// *Tokens is the implementation; tests may pass a fake.
type Verifier interface {
	Verify(token string) (User, error)
}

var _ Verifier = (*Tokens)(nil)

// Middleware reads the session cookie, verifies it with v and, when it is
// valid, puts the User in the request context. A missing or invalid token
// means the request is signed out: it is passed on unchanged, never refused.
func Middleware(v Verifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token := SessionToken(r)
			if token == "" {
				next.ServeHTTP(w, r)
				return
			}
			u, err := v.Verify(token)
			if err != nil {
				// The reason only, never the token.
				logging.FromContext(r.Context()).DebugContext(r.Context(), "session rejected",
					slog.Any("error", err))
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithUser(r.Context(), u)))
		})
	}
}

// RequireUser passes signed-in requests to h and answers the others 401
// {"errors":[{"message":"Not authorized"}]}. It expects Middleware to have run.
func RequireUser(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := FromContext(r.Context()); !ok {
			httpx.Error(w, r, ErrNotAuthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// RequireAdmin passes to h the requests of a signed-in admin (put it
// behind Middleware) and answers the others 401 Not authorized, as an
// admin's routes answer everyone else, their own users included.
func RequireAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, ok := FromContext(r.Context()); !ok || !u.Admin() {
			httpx.Error(w, r, ErrNotAuthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// SignedIn returns the wrapper of a handler that needs a signed-in user:
// Middleware with v, then RequireUser.
func SignedIn(v Verifier) func(http.Handler) http.Handler {
	session := Middleware(v)
	return func(h http.Handler) http.Handler { return session(RequireUser(h)) }
}

// Mutation returns the wrapper of a handler that changes a signed-in user's
// data: cross-site requests are refused (the session is a cookie), then
// SignedIn with v.
func Mutation(v Verifier) func(http.Handler) http.Handler {
	signedIn := SignedIn(v)
	return func(h http.Handler) http.Handler { return httpx.CrossOriginProtection(signedIn(h)) }
}
