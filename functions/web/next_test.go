package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSignInNeverRedirectsOffTheSite tries the ways a next parameter can
// name another site to a browser once http.Redirect has cleaned it.
func TestSignInNeverRedirectsOffTheSite(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`/./\evil.example`:           "/",
		`/.\evil.example`:            "/",
		`\/evil.example`:             "/",
		`/\/evil.example`:            "/",
		"/%5Cevil.example":           "/",
		"/%5c%5cevil.example":        "/",
		"///evil.example":            "/evil.example",
		"/.//evil.example":           "/evil.example",
		"/%2F%2Fevil.example":        "/evil.example",
		"/a/../../evil.example":      "/evil.example",
		"/\tevil.example":            "/",
		"/\n/evil.example":           "/",
		"/%0d%0aSet-Cookie:x":        "/",
		"/%09/evil.example":          "/",
		"https:evil.example":         "/",
		"/orders/":                   "/orders/",
		"/orders/./abc/../def?x=1#y": "/orders/def?x=1",
		"/tickets?next=//evil":       "/tickets?next=//evil",
	}
	for next, want := range tests {
		got := localPath(next)
		if got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
		// What the browser is sent stays on the site.
		rec := httptest.NewRecorder()
		http.Redirect(rec, httptest.NewRequest(http.MethodGet, "/signin", nil), got, http.StatusSeeOther)
		if loc := rec.Header().Get("Location"); len(loc) > 1 && (loc[1] == '/' || loc[1] == '\\' || loc[0] != '/') {
			t.Errorf("localPath(%q) redirects to %q, which a browser opens on another site", next, loc)
		}
	}
}
