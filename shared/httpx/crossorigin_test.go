package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/buytickets/buytickets/shared/httpx"
)

func TestCrossOriginProtectionRefusesCrossSiteMutations(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpx.JSON(w, http.StatusOK, struct{}{}) })
	protection, err := httpx.NewCrossOriginProtection("https://web.buytickets.dev")
	if err != nil {
		t.Fatal(err)
	}
	trusting := protection.Handler(ok)
	plain := httpx.CrossOriginProtection(ok)

	tests := []struct {
		name       string
		h          http.Handler
		method     string
		headers    map[string]string
		wantStatus int
	}{
		{"cross-site POST by Sec-Fetch-Site", plain, http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site POST from another subdomain", plain, http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"cross-site POST by Origin", plain, http.MethodPost, map[string]string{"Origin": "https://evil.example"}, 403},
		{"cross-site DELETE", plain, http.MethodDelete, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-origin POST", plain, http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"same-origin POST by Origin", plain, http.MethodPost, map[string]string{"Origin": "http://example.com"}, 200},
		{"non-browser POST", plain, http.MethodPost, nil, 200},
		{"cross-site GET", plain, http.MethodGet, map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
		{"trusted origin POST", trusting, http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://web.buytickets.dev"}, 200},
		{"untrusted origin POST", trusting, http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "http://example.com/api/orders", nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == http.StatusForbidden {
				want := []httpx.ErrorItem{{Message: "Cross-site request refused"}}
				if got := decodeErrors(t, rec).Errors; !reflect.DeepEqual(got, want) {
					t.Errorf("errors = %+v, want %+v", got, want)
				}
			}
		})
	}
}

func TestNewCrossOriginProtectionRejectsMalformedOrigins(t *testing.T) {
	t.Parallel()
	if _, err := httpx.NewCrossOriginProtection("not an origin"); err == nil {
		t.Error("want an error for a malformed trusted origin")
	}
}

func TestThePublicOriginIsTrustedThoughTheIngressRewroteHost(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tests := []struct {
		name, publicURL, origin string
		want                    int
	}{
		{"the public origin, trusted", "https://buytickets.dev/", "https://buytickets.dev", http.StatusNoContent},
		{"the public origin, no setting", "", "https://buytickets.dev", http.StatusForbidden},
		{"another site", "https://buytickets.dev", "https://evil.example", http.StatusForbidden},
		{"the public host over plain http", "https://buytickets.dev", "http://buytickets.dev", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			protect, err := httpx.CrossOriginProtectionFor(tc.publicURL)
			if err != nil {
				t.Fatal(err)
			}
			// As the ingress forwards it: Host rewritten to the function's
			// cluster-local name; a browser that sends Origin but not
			// Sec-Fetch-Site (Safari before 16.4).
			req := httptest.NewRequest(http.MethodPost, "http://orders.buytickets.svc.cluster.local/api/orders", nil)
			req.Header.Set("Origin", tc.origin)
			rec := httptest.NewRecorder()
			protect(ok).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("answered %d, want %d", rec.Code, tc.want)
			}
		})
	}
	if _, err := httpx.CrossOriginProtectionFor("buytickets.dev"); err == nil {
		t.Error("a public address without a scheme was taken")
	}
}
