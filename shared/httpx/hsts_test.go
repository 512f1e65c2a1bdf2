package httpx_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/buytickets/buytickets/shared/httpx"
)

func TestAnswersOverHTTPSTellBrowsersToStayOnHTTPS(t *testing.T) {
	t.Parallel()
	h := httpx.Standard(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	tests := []struct {
		name string
		req  func() *http.Request
		want string
	}{
		{"over TLS", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.TLS = &tls.ConnectionState{}
			return r
		}, httpx.HSTS},
		{"behind an HTTPS ingress", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("X-Forwarded-Proto", "https")
			return r
		}, httpx.HSTS},
		{"plain HTTP", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) }, ""},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, tc.req())
		if got := rec.Header().Get("Strict-Transport-Security"); got != tc.want {
			t.Errorf("%s: Strict-Transport-Security %q, want %q", tc.name, got, tc.want)
		}
	}
}
