package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// webRender measures how long the storefront takes to answer GET / on the
// embedded default with 1,000 tickets on sale: the web function's calls to
// the API (who is signed in, the first page of tickets) and its rendering,
// as a browser waits for them, one request at a time.
func webRender(ctx context.Context, w *bytes.Buffer, tmp string) error {
	s, err := startStack(ctx, filepath.Join(tmp, "web"), stack.Options{PasswordCost: setupCost})
	if err != nil {
		return err
	}
	defer s.Close()

	const sellers, tickets, requests = 8, 1000, 200
	seller, err := newSessions(s.URL(), "web-seller%d@example.com", sellers)
	if err != nil {
		return err
	}
	ids := make([]string, tickets)
	if _, _, err := load(sellers, tickets, func(i int) (err error) {
		ids[i], err = seller[i%sellers].createTicket(fmt.Sprintf("Ticket %d", i), 19.99)
		return err
	}); err != nil {
		return err
	}
	// Measure a quiet stack: the ticket events have reached orders.
	if err := waitReplica(ctx, filepath.Join(s.DataDir(), "orders.db"), ids, 0, 2*time.Minute); err != nil {
		return err
	}

	visitor := &http.Client{Timeout: 30 * time.Second}
	jar, _ := cookiejar.New(nil)
	signedIn := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if _, err := newSessionWith(s.URL(), signedIn, "web-buyer@example.com"); err != nil {
		return err
	}

	heading(w, "Storefront render on the embedded default",
		fmt.Sprintf("GET / through the router with %d tickets on sale, %d requests one at a time after 20 to warm up; the page shows the newest 20 tickets. The time includes the web function's calls to the API: the first page of tickets, and for a signed-in visitor who they are.", tickets, requests),
		"request", "requests/s", "p50", "p99")
	for _, v := range []struct {
		name   string
		client *http.Client
	}{{"signed out", visitor}, {"signed in", signedIn}} {
		get := func(int) error { return getPage(v.client, s.URL()+"/") }
		if _, _, err := load(1, 20, get); err != nil {
			return err
		}
		lat, elapsed, err := load(1, requests, get)
		if err != nil {
			return err
		}
		row(w, "GET /, "+v.name, requests, elapsed, lat)
	}
	return nil
}

// newSessionWith signs up email through c, whose jar keeps the cookies.
func newSessionWith(base string, c *http.Client, email string) (*session, error) {
	s := &session{base: base, http: c}
	_, err := s.expect(http.StatusCreated, "POST", "/api/users/signup", map[string]string{"email": email, "password": "correct horse"})
	return s, err
}

// getPage loads a storefront page and checks that it is one.
func getPage(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return fmt.Errorf("GET %s answered %d %s: is the web function in the stack?", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Contains(body, []byte(`class="tickets"`)) {
		return fmt.Errorf("GET %s lists no tickets", url)
	}
	return nil
}
