package stack

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/buytickets/buytickets/shared/httpx"
)

// backend is one function: its service address and its replicas.
type backend struct {
	name string
	addr *url.URL

	mu       sync.Mutex
	replicas []*url.URL
	next     atomic.Uint64
}

// set puts replicas behind the backend in place of those it had; none
// takes the function down, so that pick finds nothing and the proxy
// answers as for a service that is down.
func (b *backend) set(replicas []*url.URL) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.replicas = replicas
}

// pick returns the next replica, round robin, as a Knative Service's
// activator and queue proxies spread requests; nil while none runs.
func (b *backend) pick() *url.URL {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.replicas) == 0 {
		return nil
	}
	return b.replicas[b.next.Add(1)%uint64(len(b.replicas))]
}

// router sends each request to the function whose path prefix it matches,
// as the production ingress's HTTPRoutes do, the API's through the gate.
// The storefront's pages pass it: their work is the API requests they
// make through the router, which the gate counts, and a page holding a
// place while it waits for one would hold up its own requests.
func (s *Stack) router() http.Handler { return s.routerWith(newGate(s.opts.APIConcurrency)) }

// routerWith is the router with the gate g.
func (s *Stack) routerWith(g *gate) http.Handler {
	forward := s.forwarder()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn, b := s.route(r.URL.Path)
		switch {
		case b == nil:
			httpx.NotFound(w, r)
		case fn.frontend:
			forward(w, r, b)
		default:
			g.serve(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { forward(w, r, b) }))
		}
	})
}

// service forwards every request to a replica of b, as its service
// address does.
func (s *Stack) service(b *backend) http.Handler {
	forward := s.forwarder()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { forward(w, r, b) })
}

// forwarder returns what forwards a request to a replica of a backend,
// answering 503 while none runs.
func (s *Stack) forwarder() func(http.ResponseWriter, *http.Request, *backend) {
	// Keep connections to busy replicas open, as many as a burst of
	// clients needs: the default keeps two per host and closes the rest
	// after each request.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	proxy := &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(r.In.Context().Value(replicaKey{}).(*url.URL))
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.logger.WarnContext(r.Context(), "router: function unreachable", "path", r.URL.Path, "error", err)
			w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
			httpx.JSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Service unavailable"}}})
		},
	}
	return func(w http.ResponseWriter, r *http.Request, b *backend) {
		replica := b.pick()
		if replica == nil {
			proxy.ErrorHandler(w, r, fmt.Errorf("%s has no replica running", b.name))
			return
		}
		proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), replicaKey{}, replica)))
	}
}

// route finds the function serving path by the longest matching prefix,
// and its backend; nil when none does.
func (s *Stack) route(path string) (*function, *backend) {
	best := ""
	var found *function
	for i, fn := range functions {
		for _, prefix := range fn.routes {
			if matches(path, prefix) && len(prefix) > len(best) {
				best, found = prefix, &functions[i]
			}
		}
	}
	if found == nil {
		return nil, nil
	}
	return found, s.backends[found.name]
}

// matches reports whether path is prefix or lies below it, as a
// PathPrefix match of the Gateway API does.
func matches(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, strings.TrimSuffix(prefix, "/")+"/")
}

type replicaKey struct{}
