package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"sync"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/eventing/broker"
)

// session is a signed-in client of the marketplace.
type session struct {
	base string
	http *http.Client
}

// setupCost is the password cost of the stacks where sign-ups are set-up,
// measured elsewhere (authLatency).
const setupCost = 1 << 10

// newSession signs up email on base and returns its signed-in client.
func newSession(base, email string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	s := &session{base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	status, _, err := s.call("POST", "/api/users/signup", map[string]string{"email": email, "password": "correct horse"})
	if err == nil && status != http.StatusCreated {
		err = fmt.Errorf("signup %s answered %d", email, status)
	}
	return s, err
}

// newSessions signs up n clients, the i-th with the email format makes of
// i.
func newSessions(base, format string, n int) ([]*session, error) {
	ss := make([]*session, n)
	for i := range ss {
		var err error
		if ss[i], err = newSession(base, fmt.Sprintf(format, i)); err != nil {
			return nil, err
		}
	}
	return ss, nil
}

// call sends a JSON request and returns the status and body.
func (s *session) call(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// expect sends a JSON request and returns the body, or an error when the
// status is not want.
func (s *session) expect(want int, method, path string, body any) ([]byte, error) {
	status, raw, err := s.call(method, path, body)
	if err == nil && status != want {
		err = fmt.Errorf("%s %s answered %d %s", method, path, status, raw)
	}
	return raw, err
}

// marketLatency measures the main endpoints of tickets and orders on the
// embedded default under concurrent clients, and the convergence scenario.
func marketLatency(ctx context.Context, w *bytes.Buffer, tmp string) error {
	heading(w, "Tickets and orders on the embedded default",
		fmt.Sprintf("One replica each, through the router on loopback, %d concurrent clients, %d requests per row; orders are placed by 80 buyers (at most 10 open orders each) on tickets orders' replica already holds.", marketClients, marketRequests),
		"request", "requests/s", "p50", "p99")
	if err := marketLoad(ctx, w, filepath.Join(tmp, "market"), ""); err != nil {
		return err
	}
	return convergence(ctx, w, tmp)
}

// The market's load: clients at once, requests per row.
const marketClients, marketRequests = 8, 800

// marketLoad starts a stack on dir and writes the market's rows for it,
// each named with suffix: listing, the list, and ordering.
func marketLoad(ctx context.Context, w *bytes.Buffer, dir, suffix string) error {
	s, err := startStack(ctx, dir, stack.Options{PasswordCost: setupCost})
	if err != nil {
		return err
	}
	defer s.Close()

	const clients, n = marketClients, marketRequests
	sellers, err := newSessions(s.URL(), "seller%d@example.com", clients)
	if err != nil {
		return err
	}
	ids := make([]string, n)
	lat, elapsed, err := load(clients, n, func(i int) (err error) {
		ids[i], err = sellers[i%clients].createTicket(fmt.Sprintf("Ticket %d", i), 19.99)
		return err
	})
	if err != nil {
		return err
	}
	row(w, "POST /api/tickets"+suffix, n, elapsed, lat)

	lat, elapsed, err = load(clients, n, func(i int) error {
		_, err := sellers[i%clients].expect(http.StatusOK, "GET", "/api/tickets?limit=100", nil)
		return err
	})
	if err != nil {
		return err
	}
	row(w, "GET /api/tickets?limit=100 (of 800)"+suffix, n, elapsed, lat)

	buyers, err := newSessions(s.URL(), "buyer%d@example.com", n/10)
	if err != nil {
		return err
	}
	if err := waitReplica(ctx, filepath.Join(s.DataDir(), "orders.db"), ids, 0, 2*time.Minute); err != nil {
		return err
	}
	lat, elapsed, err = load(clients, n, func(i int) error {
		_, err := buyers[i/10].expect(http.StatusCreated, "POST", "/api/orders", map[string]string{"ticketId": ids[i]})
		return err
	})
	if err != nil {
		return err
	}
	row(w, "POST /api/orders"+suffix, n, elapsed, lat)
	return nil
}

// createTicket lists a ticket as s and returns its id.
func (s *session) createTicket(title string, price float64) (string, error) {
	raw, err := s.expect(http.StatusCreated, "POST", "/api/tickets", map[string]any{"title": title, "price": price})
	if err != nil {
		return "", err
	}
	var tk struct{ ID string }
	err = json.Unmarshal(raw, &tk)
	return tk.ID, err
}

// row writes a table row of n requests' throughput and latencies.
func row(w *bytes.Buffer, name string, n int, elapsed time.Duration, lat []time.Duration) {
	fmt.Fprintf(w, "| %s | %.0f | %s | %s |\n", name, float64(n)/elapsed.Seconds(), ms(percentile(lat, 50)), ms(percentile(lat, 99)))
}

// convergence times the scenario of the convergence test: 200 tickets each
// created at 5 and updated to 10 and 15, four replicas each of tickets and
// orders, a chaotic broker, until orders' replica holds every last version.
func convergence(ctx context.Context, w *bytes.Buffer, tmp string) error {
	s, err := startStack(ctx, filepath.Join(tmp, "convergence"), stack.Options{
		Replicas:     map[string]int{"tickets": 4, "orders": 4},
		PasswordCost: setupCost,
		Chaos:        broker.Chaos{Duplicate: 0.2, MaxDelay: 20 * time.Millisecond},
	})
	if err != nil {
		return err
	}
	defer s.Close()
	seller, err := newSession(s.URL(), "seller@example.com")
	if err != nil {
		return err
	}
	const n = 200
	ids := make([]string, n)
	start := time.Now()
	var mu sync.Mutex
	_, _, err = load(16, n, func(i int) error {
		id, err := seller.createTicket("T", 5)
		if err != nil {
			return err
		}
		mu.Lock()
		ids[i] = id
		mu.Unlock()
		for _, price := range []float64{10, 15} {
			if _, err := seller.expect(http.StatusOK, "PUT", "/api/tickets/"+id, map[string]any{"title": "T", "price": price}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	written := time.Since(start)
	if err := waitReplica(ctx, filepath.Join(s.DataDir(), "orders.db"), ids, 2, 3*time.Minute); err != nil {
		return err
	}
	heading(w, "Convergence scenario",
		"200 tickets created at 5, then updated to 10 and to 15 by 16 concurrent clients; 4 replicas each of tickets and orders; broker chaos (20% duplicates, up to 20 ms hold-back); production backoff delays.",
		"writes done", "every replica at the last version")
	fmt.Fprintf(w, "| %s | %s |\n", ms(written), ms(time.Since(start)))
	return nil
}
