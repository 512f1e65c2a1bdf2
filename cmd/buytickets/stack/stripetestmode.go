package stack

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
)

// stripeDecline is how Stripe's test mode refuses one of its declining
// test cards: a 402 card_error.
type stripeDecline struct {
	code, declineCode, message string
}

// stripeDeclines are Stripe's documented declining test tokens. stripe-mock
// answers every request from Stripe's fixtures, so there a charge with one
// of them succeeds; Stripe's test mode declines it. Nothing else simulates
// this, hence the few lines below.
var stripeDeclines = map[string]stripeDecline{
	"tok_chargeDeclined":                  {"card_declined", "generic_decline", "Your card was declined."},
	"tok_chargeDeclinedInsufficientFunds": {"card_declined", "insufficient_funds", "Your card has insufficient funds."},
	"tok_chargeDeclinedExpiredCard":       {"expired_card", "expired_card", "Your card has expired."},
}

// stripeTestMode serves the Stripe API in front of stripe-mock at upstream
// and declines charges made with a declining test token as Stripe's test
// mode does, so the embedded default's test-card form tells the truth.
// Every other request goes to stripe-mock unchanged.
func stripeTestMode(upstream *url.URL) http.Handler {
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	// stripe-mock answers every new connected account with one fixture id;
	// Stripe gives each its own, and payouts tells sellers apart by it.
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodPost || resp.Request.URL.Path != "/v1/accounts" || resp.StatusCode != http.StatusOK {
			return nil
		}
		return withOwnAccountID(resp)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/charges" {
			proxy.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		form, _ := url.ParseQuery(string(body))
		d, ok := stripeDeclines[form.Get("source")]
		if !ok {
			r.Body = io.NopCloser(bytes.NewReader(body))
			proxy.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusPaymentRequired)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
			"type": "card_error", "code": d.code, "decline_code": d.declineCode, "message": d.message,
		}})
	})
}

// withOwnAccountID gives the account stripe-mock created an id of its own.
func withOwnAccountID(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var account map[string]any
	if err := json.Unmarshal(body, &account); err == nil {
		account["id"] = "acct_" + strings.ToLower(rand.Text())[:16]
		body, _ = json.Marshal(account)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// serveStripeTestMode starts stripeTestMode for upstream on a loopback port
// and returns its URL and the server to close.
func serveStripeTestMode(upstream string) (string, *http.Server, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return "", nil, fmt.Errorf("stripe-mock URL: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for the Stripe test mode: %w", err)
	}
	srv := &http.Server{Handler: stripeTestMode(u)}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), srv, nil
}
