package web_test

import (
	"net/url"
	"testing"
	"time"
)

func TestASuspendedAccountsSignInSaysSo(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"POST /api/users/signin": {status: 403, body: `{"errors":[{"message":"Account suspended"}]}`}}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/auth/signin", url.Values{"email": {"ann@example.com"}, "password": {"correct horse"}})
	if resp.StatusCode != 403 {
		t.Errorf("answered %d, want 403", resp.StatusCode)
	}
	mustContain(t, body(t, resp), `<h1>Your account is suspended</h1>`)
}

func TestAccountFormsShowLimitsAsMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, form string
		status     int
		retryAfter string
		message    string
	}{
		{"too many sign-ins of one account", "signin", 429, "8", "Too many failed sign-ins for this account, please wait before trying again"},
		{"too many attempts from one address", "signup", 429, "6", "Too many attempts, please wait a moment"},
		{"the password check is busy", "signin", 503, "1", "Service is busy, please try again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := &recordedAPI{answers: map[string]answer{"POST /api/users/" + tc.form: {
				status: tc.status, body: `{"errors":[{"message":"` + tc.message + `"}]}`, retryAfter: tc.retryAfter,
			}}}
			s := newStorefront(t, a, "", time.Time{})
			resp := s.post("/auth/"+tc.form, url.Values{"email": {"ann@example.com"}, "password": {"correct horse"}})
			page := body(t, resp)
			if resp.StatusCode != tc.status || resp.Header.Get("Retry-After") != tc.retryAfter {
				t.Errorf("answered %d with Retry-After %q, want %d %q", resp.StatusCode, resp.Header.Get("Retry-After"), tc.status, tc.retryAfter)
			}
			mustContain(t, page, tc.message, `value="ann@example.com"`, `<form method="post" action="/auth/`+tc.form+`"`)
		})
	}
}
