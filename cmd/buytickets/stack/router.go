package stack

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/buytickets/buytickets/shared/httpx"
)

// backend is one function's replicas behind the router.
type backend struct {
	name     string
	replicas []*url.URL
	next     atomic.Uint64
}

// pick returns the next replica, round robin, as a Knative Service's
// activator and queue proxies spread requests.
func (b *backend) pick() *url.URL {
	return b.replicas[b.next.Add(1)%uint64(len(b.replicas))]
}

// router sends each request to the function whose path prefix it matches,
// as the production ingress's HTTPRoutes do.
func (s *Stack) router() http.Handler {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			b := r.In.Context().Value(backendKey{}).(*backend)
			r.SetURL(b.pick())
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.logger.WarnContext(r.Context(), "router: function unreachable", "path", r.URL.Path, "error", err)
			w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
			httpx.JSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Service unavailable"}}})
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.route(r.URL.Path)
		if b == nil {
			httpx.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r.WithContext(contextWithBackend(r.Context(), b)))
	})
}

// route finds the function serving path by the longest matching prefix.
func (s *Stack) route(path string) *backend {
	best := ""
	var found *backend
	for _, fn := range functions {
		for _, prefix := range fn.routes {
			if matches(path, prefix) && len(prefix) > len(best) {
				best, found = prefix, s.backends[fn.name]
			}
		}
	}
	return found
}

// matches reports whether path is prefix or lies below it, as a
// PathPrefix match of the Gateway API does.
func matches(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, strings.TrimSuffix(prefix, "/")+"/")
}

type backendKey struct{}

func contextWithBackend(ctx context.Context, b *backend) context.Context {
	return context.WithValue(ctx, backendKey{}, b)
}
