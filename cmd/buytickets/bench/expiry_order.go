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

// orderExpiry times orders expiring end to end on the embedded default:
// from an order's expiresAt to when GET /api/orders/{id} first shows it
// cancelled, through expiration's scheduler, the broker and orders.
func orderExpiry(ctx context.Context, w *bytes.Buffer, tmp string) error {
	const orders, window = 10, 2 * time.Second
	s, err := startStack(ctx, filepath.Join(tmp, "expiry"), stack.Options{PasswordCost: setupCost, ExpirationWindow: window})
	if err != nil {
		return err
	}
	defer s.Close()
	seller, err := newSession(s.URL(), "seller@example.com")
	if err != nil {
		return err
	}
	buyer, err := newSession(s.URL(), "buyer@example.com")
	if err != nil {
		return err
	}
	var late []time.Duration
	for i := range orders {
		ticket, err := seller.createTicket(fmt.Sprintf("T%d", i), 5)
		if err != nil {
			return err
		}
		var o struct {
			ID        string
			ExpiresAt time.Time
			Status    string
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
			status, raw, err := buyer.call("POST", "/api/orders", map[string]string{"ticketId": ticket})
			if err != nil {
				return err
			}
			if status == http.StatusCreated {
				json.Unmarshal(raw, &o)
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("orders never knew ticket %s (%d)", ticket, status)
			}
		}
		for deadline := o.ExpiresAt.Add(time.Minute); ; time.Sleep(2 * time.Millisecond) {
			raw, err := buyer.expect(http.StatusOK, "GET", "/api/orders/"+o.ID, nil)
			if err != nil {
				return err
			}
			json.Unmarshal(raw, &o)
			if o.Status == "cancelled" {
				late = append(late, time.Since(o.ExpiresAt))
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("order %s did not expire within a minute of its window", o.ID)
			}
		}
	}
	heading(w, "An order expiring end to end",
		fmt.Sprintf("%d orders, one after another, on the embedded default with a %v window: expiresAt to the first GET /api/orders/{id} that shows the order cancelled (expiration's scheduler fires, its event crosses the broker, orders cancels), polled every 2 ms.", orders, window),
		"p50", "p99", "max")
	fmt.Fprintf(w, "| %s | %s | %s |\n", ms(percentile(late, 50)), ms(percentile(late, 99)), ms(percentile(late, 100)))
	return nil
}
