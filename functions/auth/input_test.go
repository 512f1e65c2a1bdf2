package auth_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/functions/auth/internal/session"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestBadInputIsRefusedAndStoresNothing(t *testing.T) {
	t.Parallel()
	huge := `{"email":"bob@example.com","password":"` + strings.Repeat("x", 1<<20) + `"}`
	valid := credentials("bob@example.com", "correct horse")
	tests := []struct {
		name, contentType, body string
		code                    int
	}{
		{"malformed JSON", "application/json", `{"email":`, http.StatusBadRequest},
		{"not JSON at all", "application/json", `email=bob@example.com`, http.StatusBadRequest},
		{"email is a number", "application/json", `{"email":5,"password":"correct horse"}`, http.StatusBadRequest},
		{"password is an object", "application/json", `{"email":"bob@example.com","password":{}}`, http.StatusBadRequest},
		{"body is an array", "application/json", `[]`, http.StatusBadRequest},
		{"body is null", "application/json", `null`, http.StatusBadRequest},
		{"body is a string", "application/json", `"bob@example.com"`, http.StatusBadRequest},
		{"unknown field", "application/json", `{"email":"bob@example.com","password":"correct horse","admin":true}`, http.StatusBadRequest},
		{"empty strings", "application/json", `{"email":"","password":""}`, http.StatusBadRequest},
		{"empty object", "application/json", `{}`, http.StatusBadRequest},
		{"empty body", "application/json", ``, http.StatusBadRequest},
		{"two JSON values", "application/json", valid + `{}`, http.StatusBadRequest},
		{"body over 1 MiB", "application/json", huge, http.StatusRequestEntityTooLarge},
		{"text/plain", "text/plain", valid, http.StatusUnsupportedMediaType},
		{"form", "application/x-www-form-urlencoded", valid, http.StatusUnsupportedMediaType},
		{"no content type", "", valid, http.StatusUnsupportedMediaType},
		{"JSON in Latin-1", "application/json; charset=latin1", valid, http.StatusUnsupportedMediaType},
	}
	for _, path := range []string{"/api/users/signup", "/api/users/signin"} {
		for _, tc := range tests {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				f := newFn(t)
				req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(tc.body))
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				res := f.serve(req)
				if res.Code != tc.code {
					t.Errorf("status %d %s, want %d", res.Code, res.Body, tc.code)
				}
				errorsOf(t, res)
				if len(res.Cookies) > 0 {
					t.Errorf("refused input set cookies %v", res.Header["Set-Cookie"])
				}
				f.wantNothingStored()
			})
		}
	}
}

func TestUnknownFieldIsNamed(t *testing.T) {
	t.Parallel()
	res := newFn(t).browser().post("/api/users/signup", `{"email":"bob@example.com","password":"correct horse","admin":true}`)
	wantError(t, res, http.StatusBadRequest, "Unknown field", "admin")
}

func TestStoreContentionAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	b := newFn(t, withStore(storetest.Unavailable{})).browser()
	b.holding("refresh", strings.Repeat("A", 43))
	for name, res := range map[string]response{
		"signup":  b.post("/api/users/signup", credentials("bob@example.com", "correct horse")),
		"signin":  b.post("/api/users/signin", credentials("bob@example.com", "correct horse")),
		"refresh": b.postEmpty("/api/users/refresh"),
		"signout": b.postEmpty("/api/users/signout"),
	} {
		if res.Code != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: %d Retry-After %q, want 503 with Retry-After", name, res.Code, res.Header.Get("Retry-After"))
			continue
		}
		errorsOf(t, res)
		if len(res.Cookies) > 0 {
			t.Errorf("%s set cookies %v while the store was down", name, res.Header["Set-Cookie"])
		}
	}
}

func TestSecretsNeverReachTheLogs(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	f := newFn(t, withLogs(&logs))
	const pw = "correct horse battery"
	b := f.browser()
	b.signup("bob@example.com", pw)
	secrets := []string{pw, testKey, b.cookie("session"), b.cookie("refresh")}
	b.post("/api/users/signin", credentials("bob@example.com", pw))
	b.post("/api/users/signin", credentials("bob@example.com", pw+" wrong"))
	b.post("/api/users/signin", credentials("nobody@example.com", pw))
	secrets = append(secrets, b.cookie("session"), b.cookie("refresh"))
	stolen := b.cookie("refresh")
	b.postEmpty("/api/users/refresh")
	secrets = append(secrets, b.cookie("session"), b.cookie("refresh"))
	f.clock.Advance(session.Grace) // past the grace two tabs get
	thief := f.browser().holding("refresh", stolen)
	thief.holding("session", "forged.token.value")
	thief.postEmpty("/api/users/refresh") // a reuse, logged as a warning
	thief.get("/api/users/currentuser")   // a bad session, logged at debug
	b.postEmpty("/api/users/signout")

	if !strings.Contains(logs.String(), "refresh refused") {
		t.Fatalf("the reuse was not logged; logs:\n%s", logs.String())
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs.String(), s) {
			t.Errorf("logs contain a secret (%d characters)", len(s))
		}
	}
	if strings.Contains(logs.String(), "forged.token.value") {
		t.Error("logs contain a presented session token")
	}
}
