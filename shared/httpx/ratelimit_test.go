package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func TestAnAddressOverItsBudgetIsToldToWaitAndOthersAreNot(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	l := httpx.NewLimiter(httpx.AddressLimit{Every: 6 * time.Second, Burst: 3}, func() time.Time { return now })
	h := l.Limit(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	from := func(addr string) httpxtest.Response {
		req := httptest.NewRequest(http.MethodPost, "/api/users/signin", nil)
		req.RemoteAddr = addr + ":4000"
		return httpxtest.Serve(h, req)
	}
	for i := range 3 {
		if res := from("203.0.113.7"); res.Code != http.StatusNoContent {
			t.Fatalf("request %d within the burst answered %d", i, res.Code)
		}
	}
	res := from("203.0.113.7")
	httpxtest.WantErrors(t, res, http.StatusTooManyRequests, httpx.ErrorItem{Message: "Too many attempts, please wait a moment"})
	if got := res.Header.Get("Retry-After"); got != "6" {
		t.Errorf("Retry-After %q, want 6", got)
	}
	if res := from("203.0.113.8"); res.Code != http.StatusNoContent {
		t.Errorf("another address answered %d", res.Code)
	}
	now = now.Add(6 * time.Second)
	if res := from("203.0.113.7"); res.Code != http.StatusNoContent {
		t.Errorf("after waiting, the address answered %d", res.Code)
	}
}

func TestClientAddrTrustsOnlyTheHopOurProxyAdded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, peer string
		forwarded  []string
		want       string
	}{
		{"a direct client", "203.0.113.7:4000", nil, "203.0.113.7"},
		{"a direct client forging the header", "203.0.113.7:4000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"through the embedded router", "127.0.0.1:5000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"through the ingress, a forged first hop", "10.8.0.4:5000", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"through a proxy, two header lines", "10.8.0.4:5000", []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{"through a proxy, a hop that is no address", "10.8.0.4:5000", []string{"unknown"}, "10.8.0.4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/", nil)
			req.RemoteAddr = tc.peer
			for _, f := range tc.forwarded {
				req.Header.Add("X-Forwarded-For", f)
			}
			if got := httpx.ClientAddr(req); got != tc.want {
				t.Errorf("ClientAddr = %q, want %q", got, tc.want)
			}
		})
	}
}
