// Package stripetest stands between a function and stripe-mock in tests:
// a Proxy records every request the function sends to Stripe (stripe-mock
// keeps no log) and can answer some itself, as Stripe would.
package stripetest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/buytickets/buytickets/shared/testenv"
)

// Call is one request the function sent to Stripe.
type Call struct {
	Method, Path string
	Key          string // the Idempotency-Key header
	Form         url.Values
}

// Proxy is a recording proxy in front of stripe-mock.
type Proxy struct {
	// URL is where the function reaches it, its STRIPE_API_BASE.
	URL string

	mu      sync.Mutex
	calls   []Call
	answers []answer
}

// answer is how the proxy answers the requests match selects, in Stripe's
// place; after sending the request on first when forward is set.
type answer struct {
	match   func(Call) bool
	status  int
	body    string
	forward bool
}

// Start serves a Proxy in front of stripe-mock (testenv.StripeMock) until
// the test ends.
func Start(tb testing.TB) *Proxy {
	tb.Helper()
	upstream, err := url.Parse(testenv.StripeMock(tb))
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(upstream) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		call := Call{Method: r.Method, Path: r.URL.Path, Key: r.Header.Get("Idempotency-Key"), Form: form}
		p.mu.Lock()
		p.calls = append(p.calls, call)
		answers := slices.Clone(p.answers)
		p.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		for _, a := range answers {
			if !a.match(call) {
				continue
			}
			if a.forward {
				proxy.ServeHTTP(httptest.NewRecorder(), r)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Request-Id", "req_test")
			w.WriteHeader(a.status)
			io.WriteString(w, a.body)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Answer makes the proxy answer the requests match selects with status
// and body, in Stripe's place, until Clear.
func (p *Proxy) Answer(match func(Call) bool, status int, body string) {
	p.add(answer{match: match, status: status, body: body})
}

// AnswerAfterActing makes the proxy send the requests match selects on to
// stripe-mock and then answer status and body instead of its answer, as a
// Stripe that acted but whose answer was lost, until Clear.
func (p *Proxy) AnswerAfterActing(match func(Call) bool, status int, body string) {
	p.add(answer{match: match, status: status, body: body, forward: true})
}

func (p *Proxy) add(a answer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers = append(p.answers, a)
}

// Clear makes the proxy pass every request on again.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers = nil
}

// Requests returns the POSTs sent to a path that starts with prefix.
func (p *Proxy) Requests(prefix string) []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Call
	for _, c := range p.calls {
		if c.Method == http.MethodPost && strings.HasPrefix(c.Path, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// Keys returns the distinct idempotency keys of the POSTs to prefix, in
// the order first sent: one key is one charge or transfer at Stripe,
// however often it is sent.
func (p *Proxy) Keys(prefix string) []string {
	var keys []string
	for _, c := range p.Requests(prefix) {
		if !slices.Contains(keys, c.Key) {
			keys = append(keys, c.Key)
		}
	}
	return keys
}
