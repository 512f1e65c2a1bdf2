package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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

func newSession(base, email string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	s := &session{base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	status, _, err := s.call("POST", "/api/users/signup", map[string]string{"email": email, "password": "correct horse"})
	if err == nil && status != http.StatusCreated {
		err = fmt.Errorf("signup %s answered %d", email, status)
	}
	return s, err
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
	s, err := stack.Start(ctx, stack.Options{
		DataDir:      filepath.Join(tmp, "market"),
		PasswordCost: 1 << 10, // sign-ups are set-up here, measured elsewhere
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer s.Close()

	const clients, n = 8, 800
	sellers := make([]*session, clients)
	for i := range sellers {
		if sellers[i], err = newSession(s.URL(), fmt.Sprintf("seller%d@example.com", i)); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n## Tickets and orders on the embedded default\n\n")
	fmt.Fprintf(w, "One replica each, through the router on loopback, %d concurrent clients, %d requests per row; orders are placed by 80 buyers (at most 10 open orders each) on tickets orders' replica already holds.\n\n", clients, n)
	fmt.Fprintln(w, "| request | requests/s | p50 | p99 |")
	fmt.Fprintln(w, "|---|---|---|---|")

	ids := make([]string, n)
	lat, elapsed, err := load(clients, n, func(i int) error {
		raw, err := sellers[i%clients].expect(http.StatusCreated, "POST", "/api/tickets", map[string]any{"title": fmt.Sprintf("Ticket %d", i), "price": 19.99})
		if err != nil {
			return err
		}
		var tk struct{ ID string }
		if err := json.Unmarshal(raw, &tk); err != nil {
			return err
		}
		ids[i] = tk.ID
		return nil
	})
	if err != nil {
		return err
	}
	row(w, "POST /api/tickets", n, elapsed, lat)

	lat, elapsed, err = load(clients, n, func(i int) error {
		_, err := sellers[i%clients].expect(http.StatusOK, "GET", "/api/tickets?limit=100", nil)
		return err
	})
	if err != nil {
		return err
	}
	row(w, "GET /api/tickets?limit=100 (of 800)", n, elapsed, lat)

	buyers := make([]*session, n/10)
	for i := range buyers {
		if buyers[i], err = newSession(s.URL(), fmt.Sprintf("buyer%d@example.com", i)); err != nil {
			return err
		}
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
	row(w, "POST /api/orders", n, elapsed, lat)
	return convergence(ctx, w, tmp)
}

func row(w *bytes.Buffer, name string, n int, elapsed time.Duration, lat []time.Duration) {
	fmt.Fprintf(w, "| %s | %.0f | %s | %s |\n", name, float64(n)/elapsed.Seconds(), ms(percentile(lat, 50)), ms(percentile(lat, 99)))
}

// convergence times the scenario of the convergence test: 200 tickets each
// created at 5 and updated to 10 and 15, four replicas each of tickets and
// orders, a chaotic broker, until orders' replica holds every last version.
func convergence(ctx context.Context, w *bytes.Buffer, tmp string) error {
	s, err := stack.Start(ctx, stack.Options{
		DataDir:      filepath.Join(tmp, "convergence"),
		Replicas:     map[string]int{"tickets": 4, "orders": 4},
		PasswordCost: 1 << 10,
		Chaos:        broker.Chaos{Duplicate: 0.2, MaxDelay: 20 * time.Millisecond},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
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
		raw, err := seller.expect(http.StatusCreated, "POST", "/api/tickets", map[string]any{"title": "T", "price": 5})
		if err != nil {
			return err
		}
		var tk struct{ ID string }
		json.Unmarshal(raw, &tk)
		mu.Lock()
		ids[i] = tk.ID
		mu.Unlock()
		for _, price := range []float64{10, 15} {
			if _, err := seller.expect(http.StatusOK, "PUT", "/api/tickets/"+tk.ID, map[string]any{"title": "T", "price": price}); err != nil {
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
	fmt.Fprintf(w, "\n## Convergence scenario\n\n")
	fmt.Fprintf(w, "200 tickets created at 5, then updated to 10 and to 15 by 16 concurrent clients; 4 replicas each of tickets and orders; broker chaos (20%% duplicates, up to 20 ms hold-back); production backoff delays.\n\n")
	fmt.Fprintln(w, "| writes done | every replica at the last version |")
	fmt.Fprintln(w, "|---|---|")
	fmt.Fprintf(w, "| %s | %s |\n", ms(written), ms(time.Since(start)))
	return nil
}
