package httpx_test

import (
	"testing"

	"github.com/buytickets/buytickets/shared/httpx"
)

func TestHTTPURLTakesOnlyAbsoluteHTTPURLs(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"https://buytickets.dev/tasks/expire", "http://127.0.0.1:12111"} {
		if u, ok := httpx.HTTPURL(s); !ok || u.String() != s {
			t.Errorf("HTTPURL(%q) = %v, %v; want the URL", s, u, ok)
		}
	}
	for _, s := range []string{"/tasks/expire", "localhost:12111", "ftp://buytickets.dev", "http://", "http://%zz"} {
		if u, ok := httpx.HTTPURL(s); ok {
			t.Errorf("HTTPURL(%q) = %v; want it refused", s, u)
		}
	}
}
