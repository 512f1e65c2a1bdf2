package stack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
)

// seedClient sends requests as the seed's Next.js client does through
// axios 0.19: its Accept header on every request, a JSON body as a string
// with axios's Content-Type, and the cookies a browser keeps.
type seedClient struct {
	t    *testing.T
	base *url.URL
	http *http.Client
}

func newSeedClient(t *testing.T, s *stack.Stack) *seedClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	return &seedClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// send sends method path with body (a JSON text, or "" for none), as axios
// does, and returns the status and the body read.
func (c *seedClient) send(method, path, body string) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base.String()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json, text/plain, */*")
	if body != "" {
		req.Header.Set("Content-Type", "application/json;charset=utf-8")
	}
	resp, raw := roundTrip(c.t, c.http, req)
	return resp.StatusCode, string(raw)
}

// must sends a request, fails the test unless it answers want, and decodes
// the answer into out, if given.
func (c *seedClient) must(want int, method, path, body string, out any) {
	c.t.Helper()
	status, raw := c.send(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s %s = %d %s, want %d", method, path, body, status, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(raw), out); err != nil {
			c.t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
}

// currentUser is what _app.js asks on every page.
func (c *seedClient) currentUser() *sharedauth.User {
	c.t.Helper()
	var body struct {
		CurrentUser *sharedauth.User `json:"currentUser"`
	}
	c.must(http.StatusOK, "GET", "/api/users/currentuser", "", &body)
	return body.CurrentUser
}

// setCookie puts a cookie in the client's jar, as an earlier visit left it.
func (c *seedClient) setCookie(name, value string) {
	c.http.Jar.SetCookies(c.base, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

func TestTheSeedsOwnClientSellsBuysPaysAndOutlivesItsAccessToken(t *testing.T) {
	t.Parallel()
	key := []byte("seed-client-test-key-0123456789abcdef")
	s := marketWith(t, stack.Options{JWTKey: key})
	seller, buyer := newSeedClient(t, s), newSeedClient(t, s)
	stamp := time.Now().Format("150405.000000000")

	// pages/auth/signup.js, then _app.js asks who is signed in.
	var me struct{ ID, Email string }
	seller.must(http.StatusCreated, "POST", "/api/users/signup", `{"email":"seller`+stamp+`@example.com","password":"correct horse"}`, &me)
	if u := seller.currentUser(); u == nil || u.ID != me.ID {
		t.Fatalf("after sign-up currentuser = %+v, want %s", u, me.ID)
	}
	buyer.must(http.StatusCreated, "POST", "/api/users/signup", `{"email":"buyer`+stamp+`@example.com","password":"correct horse"}`, &me)
	buyerID, buyerEmail := me.ID, me.Email

	// pages/tickets/new.js keeps the price as the string its input holds.
	var tk ticket
	seller.must(http.StatusCreated, "POST", "/api/tickets", `{"title":"Concert","price":"10.00"}`, &tk)
	if tk.Price != 10 || tk.Title != "Concert" {
		t.Errorf("listed %+v, want Concert at 10", tk)
	}
	status, raw := seller.send("POST", "/api/tickets", `{"title":"Concert","price":"-5"}`)
	if status != http.StatusBadRequest || errorMessage(raw) != "Price must be between 0.50 and 999999.99" {
		t.Errorf("a negative price string answered %d %s, want the range refusal", status, raw)
	}

	// pages/index.js lists; pages/tickets/[ticketId].js shows and purchases.
	var listed []ticket
	buyer.must(http.StatusOK, "GET", "/api/tickets", "", &listed)
	if len(listed) != 1 || listed[0].ID != tk.ID {
		t.Fatalf("the list = %+v, want the ticket just listed", listed)
	}
	buyer.must(http.StatusOK, "GET", "/api/tickets/"+tk.ID, "", nil)
	var o order
	eventually(t, "orders knows the ticket", func() bool {
		status, raw := buyer.send("POST", "/api/orders", `{"ticketId":"`+tk.ID+`"}`)
		if status == http.StatusCreated {
			return json.Unmarshal([]byte(raw), &o) == nil
		}
		return false
	})

	// The buyer comes back after the access token expired (the reservation
	// window is as long as the token's life): the page load refreshes the
	// session, and the order page's requests work.
	expired, err := sharedauth.NewTokens(sharedauth.TokenConfig{Key: key, Now: func() time.Time { return time.Now().Add(-16 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := expired.Issue(buyerID, buyerEmail)
	if err != nil {
		t.Fatal(err)
	}
	buyer.setCookie("session", token)
	if status, _ := buyer.send("GET", "/api/orders/"+o.ID, ""); status != http.StatusUnauthorized {
		t.Fatalf("with an expired access token the order answered %d, want 401", status)
	}
	if u := buyer.currentUser(); u == nil || u.ID != buyerID || time.Until(u.ExpiresAt) < 14*time.Minute {
		t.Fatalf("a page load with an expired access token: currentuser = %+v, want %s with a fresh token", u, buyerID)
	}
	buyer.must(http.StatusOK, "GET", "/api/orders/"+o.ID, "", nil)

	// pages/orders/[orderId].js pays with the token StripeCheckout gives.
	eventually(t, "payments knows the order", func() bool {
		status, raw := buyer.send("POST", "/api/payments", `{"orderId":"`+o.ID+`","token":"tok_visa"}`)
		if status != http.StatusCreated && status != http.StatusNotFound {
			t.Fatalf("paying answered %d %s", status, raw)
		}
		return status == http.StatusCreated
	})
	eventually(t, "the order is paid", func() bool {
		var orders []order
		buyer.must(http.StatusOK, "GET", "/api/orders", "", &orders)
		return len(orders) == 1 && orders[0].ID == o.ID && orders[0].Status == "complete"
	})

	// pages/auth/signout.js posts an empty object.
	buyer.must(http.StatusOK, "POST", "/api/users/signout", `{}`, nil)
	if u := buyer.currentUser(); u != nil {
		t.Errorf("after sign-out currentuser = %+v, want null", u)
	}
	noDeadLetters(t, s)
}
