package stack_test

import (
	"net/http"
	"net/http/cookiejar"
	"slices"
	"testing"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// signUpAs creates the account of email and returns its signed-in user.
func signUpAs(t *testing.T, s *stack.Stack, email string) *user {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &user{t: t, base: s.URL(), http: &http.Client{Jar: jar, Timeout: 30 * time.Second}, email: email}
	u.must(http.StatusCreated, "POST", "/api/users/signup", map[string]string{"email": email, "password": "correct horse"}, nil)
	return u
}

// signIn starts a new session of the account of email in a fresh cookie
// jar, and returns its user with the answer's status and body.
func signIn(t *testing.T, s *stack.Stack, email string) (*user, int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &user{t: t, base: s.URL(), http: &http.Client{Jar: jar, Timeout: 30 * time.Second}, email: email}
	status, raw := u.do("POST", "/api/users/signin", map[string]string{"email": email, "password": "correct horse"}, nil)
	return u, status, raw
}

func TestAnAdminsBanStopsTheUserEverywhereAndFreesWhatTheyHeld(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{AdminEmails: []string{"admin@example.com"}})
	admin := signUpAs(t, s, "admin@example.com")
	fraud, seller := signUp(t, s, "fraud"), signUp(t, s, "seller")

	listing := fraud.sell("Too good to be true", 5)
	held := seller.sell("Front row", 40)
	hold := fraud.order(held.ID)

	var found []struct {
		ID     string `json:"id"`
		Banned bool   `json:"banned"`
	}
	admin.must(http.StatusOK, "GET", "/api/users?email="+fraud.email, nil, &found)
	if len(found) != 1 || found[0].Banned {
		t.Fatalf("the admin's lookup found %+v", found)
	}
	admin.must(http.StatusOK, "POST", "/api/users/"+found[0].ID+"/ban", map[string]string{"reason": "Selling fakes"}, nil)
	banned := time.Now()

	// Every function refuses the session the fraud still holds.
	for _, ask := range []struct{ method, path string }{
		{"GET", "/api/tickets?seller=me"},
		{"POST", "/api/tickets"},
		{"GET", "/api/orders"},
		{"DELETE", "/api/orders/" + hold.ID},
		{"POST", "/api/payments"},
		{"GET", "/api/etickets"},
	} {
		eventually(t, ask.method+" "+ask.path+" refused", func() bool {
			status, raw := fraud.do(ask.method, ask.path, map[string]any{"orderId": hold.ID, "token": "tok_visa", "title": "More", "price": 5}, nil)
			return status == http.StatusForbidden && errorMessage(raw) == "Account suspended"
		})
	}
	t.Logf("every function refused the banned user within %v of the ban", time.Since(banned).Round(time.Millisecond))
	if status, _ := fraud.do("POST", "/api/users/refresh", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("the banned user's refresh answered %d, want 401", status)
	}
	if _, status, raw := signIn(t, s, fraud.email); status != http.StatusForbidden || errorMessage(raw) != "Account suspended" {
		t.Errorf("the banned user's sign-in answered %d %s, want 403 Account suspended", status, raw)
	}

	// What they held is free again; what they listed is gone.
	eventually(t, "the held ticket is on sale again", func() bool { return seller.ticket(held.ID).Status == "available" })
	eventually(t, "the listing is withdrawn", func() bool { return seller.ticket(listing.ID).Status == "withdrawn" })
	var onSale []ticket
	seller.must(http.StatusOK, "GET", "/api/tickets", nil, &onSale)
	if slices.ContainsFunc(onSale, func(tk ticket) bool { return tk.ID == listing.ID }) || !slices.ContainsFunc(onSale, func(tk ticket) bool { return tk.ID == held.ID }) {
		t.Errorf("the shop lists %+v: want the freed ticket and not the withdrawn listing", onSale)
	}
	buyer := signUp(t, s, "buyer")
	buyer.order(held.ID)
	if status, raw := buyer.do("POST", "/api/orders", map[string]string{"ticketId": listing.ID}, nil); status != http.StatusBadRequest {
		t.Errorf("ordering the withdrawn listing answered %d %s, want 400", status, raw)
	}

	admin.must(http.StatusOK, "DELETE", "/api/users/"+found[0].ID+"/ban", nil, nil)
	again, status, raw := signIn(t, s, fraud.email)
	if status != http.StatusOK {
		t.Fatalf("sign-in after the ban was lifted answered %d %s", status, raw)
	}
	eventually(t, "the lifted ban reaches orders", func() bool {
		status, _ := again.do("GET", "/api/orders", nil, nil)
		return status != http.StatusForbidden
	})
	var mine []order
	again.must(http.StatusOK, "GET", "/api/orders", nil, &mine)
	if len(mine) != 1 || mine[0].Status != "cancelled" || mine[0].CancelReason != "banned" {
		t.Errorf("the unbanned user's orders %+v, want theirs cancelled for the ban", mine)
	}
	noDeadLetters(t, s)
}
