package httpx_test

import (
	"testing"

	"github.com/buytickets/buytickets/shared/httpx"
)

func TestHTTPURLTakesOnlyAbsoluteHTTPURLs(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"https://buytickets.dev/tasks/expire": true,
		"http://127.0.0.1:12111":              true,
		"/tasks/expire":                       false,
		"localhost:12111":                     false,
		"ftp://buytickets.dev":                false,
		"http://":                             false,
		"http://%zz":                          false,
	} {
		if u, ok := httpx.HTTPURL(s); ok != want || ok && u.String() != s {
			t.Errorf("HTTPURL(%q) = %v, %v; want ok %v", s, u, ok, want)
		}
	}
}
