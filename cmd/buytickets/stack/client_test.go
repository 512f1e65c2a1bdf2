package stack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// user is one person using the marketplace through the router, with the
// cookies a browser would keep.
type user struct {
	t     *testing.T
	base  string
	http  *http.Client
	email string
}

// signUp creates a new account and returns its signed-in user.
func signUp(t *testing.T, s *stack.Stack, name string) *user {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &user{t: t, base: s.URL(), http: &http.Client{Jar: jar, Timeout: 30 * time.Second},
		email: fmt.Sprintf("%s-%d@example.com", name, time.Now().UnixNano())}
	u.must(http.StatusCreated, "POST", "/api/users/signup", map[string]string{"email": u.email, "password": "correct horse"}, nil)
	return u
}

// do sends a JSON request and decodes a JSON answer into out, if given.
func (u *user) do(method, path string, body, out any) (int, string) {
	u.t.Helper()
	resp, raw := u.send(method, path, body)
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			u.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

// send sends a JSON request and returns the answer, its body read.
func (u *user) send(method, path string, body any) (*http.Response, []byte) {
	u.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			u.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u.base+path, rd)
	if err != nil {
		u.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return roundTrip(u.t, u.http, req)
}

// roundTrip sends req with c and returns the answer, its body read; a
// failure to send or to read fails t.
func roundTrip(t *testing.T, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.RequestURI(), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.RequestURI(), err)
	}
	return resp, raw
}

// must sends a request and fails the test unless it answers want.
func (u *user) must(want int, method, path string, body, out any) string {
	u.t.Helper()
	status, raw := u.do(method, path, body, out)
	if status != want {
		u.t.Fatalf("%s %s = %d %s, want %d", method, path, status, raw, want)
	}
	return raw
}

// ordered signs up a seller and a buyer, and has the seller list a
// ticket, title at price, that the buyer then orders.
func ordered(t *testing.T, s *stack.Stack, title string, price float64) (seller, buyer *user, tk ticket, o order) {
	t.Helper()
	seller, buyer = signUp(t, s, "seller"), signUp(t, s, "buyer")
	tk = seller.sell(title, price)
	return seller, buyer, tk, buyer.order(tk.ID)
}

// ticket and order are the API's JSON shapes (DESIGN §3).
type ticket struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Price     float64   `json:"price"`
	UserID    string    `json:"userId"`
	Status    string    `json:"status"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	OrderID   string    `json:"orderId"`
}

type order struct {
	ID           string    `json:"id"`
	UserID       string    `json:"userId"`
	Status       string    `json:"status"`
	ExpiresAt    time.Time `json:"expiresAt"`
	CreatedAt    time.Time `json:"createdAt"`
	Version      int       `json:"version"`
	CancelReason string    `json:"cancelReason"`
	Ticket       struct {
		ID    string  `json:"id"`
		Title string  `json:"title"`
		Price float64 `json:"price"`
	} `json:"ticket"`
}

func (u *user) sell(title string, price float64) ticket {
	u.t.Helper()
	var tk ticket
	u.must(http.StatusCreated, "POST", "/api/tickets", map[string]any{"title": title, "price": price}, &tk)
	return tk
}

func (u *user) ticket(id string) ticket {
	u.t.Helper()
	var tk ticket
	u.must(http.StatusOK, "GET", "/api/tickets/"+id, nil, &tk)
	return tk
}

// order orders the ticket, waiting until orders has learnt of it: a new
// ticket reaches orders' replica through the broker a moment after its sale.
func (u *user) order(ticketID string) order {
	u.t.Helper()
	var o order
	eventually(u.t, "orders knows ticket "+ticketID, func() bool {
		status, _ := u.do("POST", "/api/orders", map[string]string{"ticketId": ticketID}, &o)
		if status != http.StatusNotFound && status != http.StatusCreated {
			u.t.Fatalf("POST /api/orders = %d", status)
		}
		return status == http.StatusCreated
	})
	return o
}

// errorMessage is the first message of an error answer.
func errorMessage(raw string) string {
	var body struct {
		Errors []struct{ Message string } `json:"errors"`
	}
	if json.Unmarshal([]byte(raw), &body) != nil || len(body.Errors) == 0 {
		return ""
	}
	return body.Errors[0].Message
}

// eventually polls cond until it holds, failing the test after a minute:
// events cross the broker a moment after the change that causes them.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
