package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// banDelay times a ban end to end on the embedded default: from auth's
// answer to the admin's ban to the first 403 Account suspended from each
// function the banned user still holds a session with. The ban travels as
// user.banned through auth's outbox and the broker to each function's ban
// list.
func banDelay(ctx context.Context, w *bytes.Buffer, tmp string) error {
	const users = 10
	s, err := startStack(ctx, filepath.Join(tmp, "bans"), stack.Options{PasswordCost: setupCost, AdminEmails: []string{"admin@example.com"}})
	if err != nil {
		return err
	}
	defer s.Close()
	admin, err := newSession(s.URL(), "admin@example.com")
	if err != nil {
		return err
	}
	// What each function answers the banned user, asked in turn.
	asks := []struct {
		function, method, path string
		body                   any
	}{
		{"tickets", "GET", "/api/tickets?seller=me", nil},
		{"orders", "GET", "/api/orders", nil},
		{"payments", "POST", "/api/payments", map[string]string{"orderId": "0123456789abcdef01234567", "token": "tok_visa"}},
		{"etickets", "GET", "/api/etickets", nil},
	}
	delays := make([][]time.Duration, len(asks))
	for i := range users {
		email := fmt.Sprintf("user%d@example.com", i)
		u, err := newSession(s.URL(), email)
		if err != nil {
			return err
		}
		raw, err := admin.expect(http.StatusOK, "GET", "/api/users?email="+email, nil)
		if err != nil {
			return err
		}
		var found []struct{ ID string }
		if err := json.Unmarshal(raw, &found); err != nil || len(found) != 1 {
			return fmt.Errorf("admin lookup of %s: %s", email, raw)
		}
		if _, err := admin.expect(http.StatusOK, "POST", "/api/users/"+found[0].ID+"/ban", map[string]string{"reason": "Benchmark"}); err != nil {
			return err
		}
		banned := time.Now()
		for j, ask := range asks {
			for deadline := banned.Add(time.Minute); ; time.Sleep(2 * time.Millisecond) {
				status, _, err := u.call(ask.method, ask.path, ask.body)
				if err != nil {
					return err
				}
				if status == http.StatusForbidden {
					delays[j] = append(delays[j], time.Since(banned))
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("%s still answered %d a minute after the ban", ask.function, status)
				}
			}
		}
	}
	heading(w, "A ban reaching every function",
		fmt.Sprintf("%d users banned one after another by an admin on the embedded default: from auth's 200 to the ban to the first 403 Account suspended the user's session gets from each function (polled every 2 ms, the functions asked in turn, so each figure includes the ones before it).", users),
		"function", "p50", "p99", "max")
	for j, ask := range asks {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", ask.function, ms(percentile(delays[j], 50)), ms(percentile(delays[j], 99)), ms(percentile(delays[j], 100)))
	}
	return nil
}
