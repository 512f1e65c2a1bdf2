package server_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
)

// start serves h on a free loopback port and returns its base URL, the
// cancel that stops it, and a channel with ServeListener's result.
func start(tb testing.TB, h http.Handler) (string, context.CancelFunc, <-chan error) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), logging.New(io.Discard, "info")))
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- server.ServeListener(ctx, ln, h)
		close(finished)
	}()
	tb.Cleanup(func() {
		cancel()
		<-finished
	})
	return "http://" + ln.Addr().String(), cancel, done
}

func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("reading %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestHealthAnswersOK(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", server.Health())
	url, _, _ := start(t, mux)

	status, body := get(t, url+"/healthz")
	if status != http.StatusOK || body != `{"status":"ok"}`+"\n" {
		t.Errorf("GET /healthz = %d %q, want 200 {\"status\":\"ok\"}", status, body)
	}
}

func TestServeListenerReturnsNilWhenContextIsCancelled(t *testing.T) {
	t.Parallel()
	url, cancel, done := start(t, server.Health())
	if status, _ := get(t, url); status != http.StatusOK {
		t.Fatalf("status = %d before shutdown", status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeListener did not return after cancel")
	}
	if _, err := http.Get(url); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestShutdownLetsAnInFlightRequestFinish(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	requestCancelled := make(chan bool, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		requestCancelled <- r.Context().Err() != nil
		io.WriteString(w, "finished")
	})
	url, cancel, done := start(t, h)

	type result struct {
		status int
		body   string
	}
	answered := make(chan result, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			answered <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answered <- result{resp.StatusCode, string(body)}
	}()
	<-started
	cancel()

	select {
	case err := <-done:
		t.Fatalf("ServeListener returned %v while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)

	if got := <-answered; got.status != http.StatusOK || got.body != "finished" {
		t.Errorf("in-flight request got %d %q, want 200 finished", got.status, got.body)
	}
	if <-requestCancelled {
		t.Error("the in-flight request's context was cancelled by the shutdown")
	}
	if err := <-done; err != nil {
		t.Errorf("ServeListener = %v, want nil", err)
	}
}

func TestServeCarriesTheContextLoggerIntoRequests(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := logging.New(&logs, "info").With("function", "orders")
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), logger))
	defer cancel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sameLogger := make(chan bool, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.ServeListener(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sameLogger <- logging.FromContext(r.Context()) == logger
		}))
	}()
	get(t, "http://"+ln.Addr().String())
	if !<-sameLogger {
		t.Error("the request's context does not carry the server's logger")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeListener = %v", err)
	}
}

func TestServeFailsOnABadAddress(t *testing.T) {
	t.Parallel()
	err := server.Serve(t.Context(), "not-an-address", server.Health())
	if err == nil {
		t.Fatal("Serve on a bad address returned nil")
	}
}

func TestServeServesOnAnAddress(t *testing.T) {
	t.Parallel()
	// Find a free port, then give it back for Serve to listen on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(logging.WithLogger(t.Context(), logging.New(io.Discard, "info")))
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, addr, server.Health()) }()

	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + addr)
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Serve never answered on %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

func TestBackgroundWorkStopsAfterTheServerAndBeforeServeReturns(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var stopped atomic.Bool
	done := make(chan error, 1)
	go func() {
		done <- server.ServeListenerRunning(ctx, ln, server.Health(), func(ctx context.Context) {
			close(started)
			<-ctx.Done()
			stopped.Store(true)
		})
	}()
	<-started
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeListenerRunning = %v", err)
	}
	if !stopped.Load() {
		t.Error("ServeListenerRunning returned before its background work stopped")
	}
}

func TestBackgroundWorkRunsThroughTheDrainAndStopsAfterIt(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A request in flight when ctx ends, which the drain waits for.
	inFlight, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inFlight)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	workCtx := make(chan context.Context, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.ServeListenerRunning(ctx, ln, h, func(ctx context.Context) {
			workCtx <- ctx
			<-ctx.Done()
		})
	}()
	work := <-workCtx
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	<-inFlight
	cancel()
	select {
	case <-work.Done():
		t.Fatal("the background work stopped while a request was still draining")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-answered; err != nil {
		t.Fatalf("the draining request failed: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("ServeListenerRunning = %v", err)
	}
	if work.Err() == nil {
		t.Error("ServeListenerRunning returned with its background work still running")
	}
}
