package authtest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

// AdminCookie returns the session cookie of an admin, userID, holding a
// token tokens issue now with the email userID@example.com and the admin
// role, as auth issues it to an account ADMIN_EMAILS names.
func AdminCookie(tb testing.TB, tokens *auth.Tokens, userID string) *http.Cookie {
	tb.Helper()
	token, _, err := tokens.IssueAs(userID, userID+"@example.com", auth.RoleAdmin)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Cookie{Name: auth.SessionCookie, Value: token}
}

// Admin is someone signed in to a function's Handler as an admin, with a
// session issued afresh for every request, as User is for a user.
type Admin struct {
	TB      testing.TB
	Handler http.Handler
	Tokens  *auth.Tokens
	ID      string
}

// Get gets path as the admin.
func (a Admin) Get(path string) httpxtest.Response {
	a.TB.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(AdminCookie(a.TB, a.Tokens, a.ID))
	return httpxtest.Serve(a.Handler, req)
}
