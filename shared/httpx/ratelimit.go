package httpx

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/buytickets/buytickets/shared/apperr"
)

// ErrTooManyAttempts refuses a client over its rate: 429 with Retry-After.
var ErrTooManyAttempts = apperr.New(apperr.TooMany, "Too many attempts, please wait a moment")

// AddressLimit is a budget of requests per client address: Burst at once,
// refilled at Every.
type AddressLimit struct {
	Every time.Duration
	Burst int
}

// maxAddresses bounds the addresses a Limiter remembers; past it, it
// forgets them all and starts again, so a flood of addresses cannot grow it
// without end (a forgotten address gets a full budget, as after a restart).
const maxAddresses = 10_000

// Limiter keeps an AddressLimit per client address, in memory: a budget
// against bursts from one address needs no store, and a function scaled to
// zero has nobody to limit. x/time/rate's token bucket does the counting.
type Limiter struct {
	limit AddressLimit
	now   func() time.Time
	mu    sync.Mutex
	by    map[string]*rate.Limiter
}

// NewLimiter returns a Limiter of limit on the clock now (time.Now when nil).
func NewLimiter(limit AddressLimit, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{limit: limit, now: now, by: map[string]*rate.Limiter{}}
}

// Allow takes one request from addr's budget, and says how long to wait
// when there is none left.
func (l *Limiter) Allow(addr string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.by[addr]
	if !found {
		if len(l.by) >= maxAddresses {
			clear(l.by)
		}
		b = rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)
		l.by[addr] = b
	}
	now := l.now()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Limit passes to next the requests within their client address's budget
// and answers the others 429 ErrTooManyAttempts with Retry-After.
func (l *Limiter) Limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := l.Allow(ClientAddr(r)); !ok {
			Error(w, r, ErrTooManyAttempts.After(wait))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ClientAddr is the address of the client that sent r: the last address
// of X-Forwarded-For when r came through a proxy on a private or loopback
// address (the ingress, the embedded router), which appends the address
// it received the request from; the connection's peer otherwise. Addresses
// a client wrote itself into the header, earlier in the list, are ignored.
func ClientAddr(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	ip := net.ParseIP(peer)
	forwarded := r.Header.Values("X-Forwarded-For")
	if ip == nil || !(ip.IsLoopback() || ip.IsPrivate()) || len(forwarded) == 0 {
		return peer
	}
	hops := strings.Split(forwarded[len(forwarded)-1], ",")
	if last := strings.TrimSpace(hops[len(hops)-1]); net.ParseIP(last) != nil {
		return last
	}
	return peer
}
