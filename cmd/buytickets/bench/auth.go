package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
	return signInUnderFlood(ctx, w, tmp)
}

// signInUnderFlood times a real user's sign-ins while 20 clients send
// bogus ones (unknown emails, each costing a hash) as fast as they are
// answered, first from one address with the per-address budget on (make
// run's default), then with it off, as a flood from many addresses would
// look: the queue of hashes is bounded, so the real user then gets a quick
// 503 to retry rather than a wait behind the flood.
func signInUnderFlood(ctx context.Context, w *bytes.Buffer, tmp string) error {
	for _, limits := range []bool{true, false} {
		s, err := startStack(ctx, filepath.Join(tmp, fmt.Sprintf("auth-flood-%v", limits)), stack.Options{RateLimits: limits})
		if err != nil {
			return err
		}
		row, err := floodRow(ctx, s.URL(), limits)
		s.Close()
		if err != nil {
			return err
		}
		fmt.Fprint(w, row)
	}
	return nil
}

// floodRow runs one flood against the stack at base and returns its row.
func floodRow(ctx context.Context, base string, limits bool) (string, error) {
	// Eight real sign-ins: within one address's budget of ten.
	const flood, real = 20, 8
	// The flood comes from 127.0.0.2, the real user from 127.0.0.1: two
	// client addresses on one machine's loopback.
	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: d.DialContext}}
	}
	post := func(c *http.Client, ctx context.Context, email, password string) (int, error) {
		body, _ := json.Marshal(map[string]string{"email": email, "password": password})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/users/signin", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	real1 := from("127.0.0.1")
	signup, _ := json.Marshal(map[string]string{"email": "real@example.com", "password": "correct horse battery"})
	if resp, err := real1.Post(base+"/api/users/signup", "application/json", bytes.NewReader(signup)); err != nil {
		return "", err
	} else {
		resp.Body.Close()
	}
	floodCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	bogus := from("127.0.0.2")
	for c := range flood {
		wg.Go(func() {
			for i := 0; floodCtx.Err() == nil; i++ {
				post(bogus, floodCtx, fmt.Sprintf("bogus-%d-%d@example.com", c, i), "wrong horse battery")
			}
		})
	}
	defer func() { stop(); wg.Wait() }()
	time.Sleep(3 * time.Second) // the flood has spent its budget, or filled the queue
	var lat []time.Duration
	answered := map[int]int{}
	for range real {
		start := time.Now()
		status, err := post(real1, ctx, "real@example.com", "correct horse battery")
		if err != nil {
			return "", err
		}
		lat = append(lat, time.Since(start))
		answered[status]++
	}
	budget := "on (the flood from one address)"
	if !limits {
		budget = "off (as from many addresses)"
	}
	return fmt.Sprintf("| POST /api/users/signin, a real user while %d clients send bogus sign-ins, RATE_LIMITS %s | 1 | %s | %s | %d of %d answered 200, %d 503 to retry, %d 429 |\n",
		flood, budget, ms(percentile(lat, 50)), ms(percentile(lat, 99)), answered[http.StatusOK], real,
		answered[http.StatusServiceUnavailable], answered[http.StatusTooManyRequests]), nil
}

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
