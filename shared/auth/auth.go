// Package auth verifies sessions locally in every function: it issues and
// verifies the HS256 access token, sets and clears the session and refresh
// cookies, and carries the signed-in User in the request context.
//
// A request without a valid access token is simply signed out; handlers that
// need a user wrap themselves in RequireUser, which answers 401
// "Not authorized" in the usual error shape.
package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// ErrNotAuthorized is the refusal for a request without a session or from an
// actor who is not the owner. It is an apperr.Unauthorized, answered 401.
var ErrNotAuthorized = apperr.New(apperr.Unauthorized, "Not authorized")

// ErrSuspended refuses every request of a user an admin banned, in every
// function, and their sign-in. It is an apperr.Forbidden, answered 403.
var ErrSuspended = apperr.New(apperr.Forbidden, "Account suspended")

// Role is what a user may do beyond their own business.
type Role string

// The roles. An admin's email is in ADMIN_EMAILS; auth writes the role into
// the access token, so a change takes effect at the next refresh.
const (
	RoleUser  Role = ""
	RoleAdmin Role = "admin"
)

// User is the signed-in user as the access token describes them.
// Its JSON form is {"id","email","iat","exp"}, with the times in Unix
// seconds and "role" for an admin, as GET /api/users/currentuser answers it.
type User struct {
	ID    string
	Email string
	Role  Role
	// TokenID is the access token's own id (jti), by which auth forgets a
	// token signed out before it expires; not part of the JSON form.
	TokenID   string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Admin reports whether u is an admin.
func (u User) Admin() bool { return u.Role == RoleAdmin }

// userJSON is the wire form of User.
type userJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Role      Role   `json:"role,omitempty"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

// MarshalJSON encodes u as {"id","email","iat","exp"} with Unix-second times.
func (u User) MarshalJSON() ([]byte, error) {
	return json.Marshal(userJSON{
		ID:        u.ID,
		Email:     u.Email,
		Role:      u.Role,
		IssuedAt:  u.IssuedAt.Unix(),
		ExpiresAt: u.ExpiresAt.Unix(),
	})
}

// UnmarshalJSON decodes the form MarshalJSON writes, so that clients of
// currentuser can read it back into a User.
func (u *User) UnmarshalJSON(b []byte) error {
	var v userJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("auth.User: %w", err)
	}
	*u = User{
		ID:        v.ID,
		Email:     v.Email,
		Role:      v.Role,
		IssuedAt:  time.Unix(v.IssuedAt, 0).UTC(),
		ExpiresAt: time.Unix(v.ExpiresAt, 0).UTC(),
	}
	return nil
}

type contextKey struct{}

// WithUser returns ctx carrying u as the signed-in user. Middleware uses it;
// tests use it to sign a request in without a token.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, contextKey{}, u)
}

// FromContext returns the signed-in user in ctx and true, or the zero User
// and false when the request is signed out.
func FromContext(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(contextKey{}).(User)
	return u, ok
}
