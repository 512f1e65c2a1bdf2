package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// authLatency starts the embedded default with the production password cost
// and times signups, then sign-ins, one client after another and then four
// at once.
func authLatency(ctx context.Context, w *bytes.Buffer, tmp string) error {
	s, err := startStack(ctx, filepath.Join(tmp, "auth-latency"), stack.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	client := &http.Client{Timeout: 30 * time.Second}

	const perRun = 16
	heading(w, "Sign-up and sign-in on the embedded default",
		fmt.Sprintf("Through the router on loopback, production scrypt cost (N=2^17, r=8, p=1; hashing limited to one per CPU). %d requests per row.", perRun),
		"request", "clients", "p50", "p99", "throughput")
	for _, clients := range []int{1, 4} {
		for _, endpoint := range []string{"signup", "signin"} {
			wantStatus := map[string]int{"signup": http.StatusCreated, "signin": http.StatusOK}[endpoint]
			lat, elapsed, err := load(clients, perRun, func(i int) error {
				body, _ := json.Marshal(map[string]string{
					"email": fmt.Sprintf("bench-%d-%d@example.com", clients, i), "password": "correct horse battery",
				})
				resp, err := client.Post(s.URL()+"/api/users/"+endpoint, "application/json", bytes.NewReader(body))
				if err != nil {
					return err
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != wantStatus {
					return fmt.Errorf("%s answered %d", endpoint, resp.StatusCode)
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "| POST /api/users/%s | %d | %s | %s | %.1f/s |\n", endpoint, clients,
				ms(percentile(lat, 50)), ms(percentile(lat, 99)), float64(perRun)/elapsed.Seconds())
		}
	}
	// An unknown email must cost a hash too, or sign-in times would tell
	// which emails have accounts.
	// Each wrong password is another account's: five in a row for one
	// account would make its sign-ins wait.
	for _, tc := range []struct{ name, email string }{
		{"wrong password", "bench-1-%d@example.com"},
		{"unknown email", "nobody-%d@example.com"},
	} {
		lat, elapsed, err := load(1, perRun, func(i int) error {
			body, _ := json.Marshal(map[string]string{"email": fmt.Sprintf(tc.email, i), "password": "wrong horse battery"})
			resp, err := client.Post(s.URL()+"/api/users/signin", "application/json", bytes.NewReader(body))
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				return fmt.Errorf("signin with %s answered %d", tc.name, resp.StatusCode)
			}
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "| POST /api/users/signin, %s | 1 | %s | %s | %.1f/s |\n", tc.name,
			ms(percentile(lat, 50)), ms(percentile(lat, 99)), float64(perRun)/elapsed.Seconds())
	}
	return signInUnderFlood(ctx, w, s.URL(), client)
}

// signInUnderFlood times a real user's sign-ins while 20 clients send
// bogus ones (unknown emails, each costing a hash) as fast as they are
// answered: the queue of hashes is bounded, so a flood costs the real user
// a wait of at most the queue's, or a 503 to retry, never minutes.
func signInUnderFlood(ctx context.Context, w *bytes.Buffer, base string, client *http.Client) error {
	const flood, real = 20, 16
	ctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for c := range flood {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				body, _ := json.Marshal(map[string]string{"email": fmt.Sprintf("bogus-%d-%d@example.com", c, i), "password": "wrong horse battery"})
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/users/signin", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if resp, err := client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	time.Sleep(2 * time.Second) // the flood fills the queue
	var lat []time.Duration
	refused := 0
	for range real {
		body, _ := json.Marshal(map[string]string{"email": "bench-1-0@example.com", "password": "correct horse battery"})
		start := time.Now()
		resp, err := client.Post(base+"/api/users/signin", "application/json", bytes.NewReader(body))
		if err != nil {
			stop()
			wg.Wait()
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			lat = append(lat, time.Since(start))
		case http.StatusServiceUnavailable:
			refused++
		default:
			stop()
			wg.Wait()
			return fmt.Errorf("the real sign-in answered %d", resp.StatusCode)
		}
	}
	stop()
	wg.Wait()
	fmt.Fprintf(w, "| POST /api/users/signin, a real user while %d clients send bogus sign-ins (RATE_LIMITS=off, as from many addresses) | 1 | %s | %s | %d of %d answered 200, %d refused 503 to retry |\n",
		flood, ms(percentile(lat, 50)), ms(percentile(lat, 99)), len(lat), real, refused)
	return nil
}

// load runs n calls of do spread over clients goroutines and returns each
// call's latency and the wall time of the whole run.
func load(clients, n int, do func(i int) error) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, n)
	errs := make(chan error, n)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				t := time.Now()
				if err := do(i); err != nil {
					errs <- err
					return
				}
				lat[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, 0, err
	}
	return lat, time.Since(start), nil
}
