package etickets_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

// adminETicketBody is an e-ticket as an admin reads it.
type adminETicketBody struct {
	eticketBody
	RevokedAt    *time.Time `json:"revokedAt"`
	RevokeReason string     `json:"revokeReason"`
}

// admin is someone signed in as an admin.
func (f *fn) admin() authtest.Admin {
	return authtest.Admin{TB: f.TB, Handler: f.h, Tokens: authtest.NewTokens(f.TB, testenv.JWTKey, f.clock.Now), ID: "support"}
}

// ofOrder reads the e-ticket of orderID as an admin, failing unless the
// answer is 200.
func (f *fn) ofOrder(orderID string) []adminETicketBody {
	f.TB.Helper()
	res := f.admin().Get("/api/etickets?orderId=" + orderID)
	if res.Code != http.StatusOK {
		f.TB.Fatalf("e-ticket of %s: %d %s", orderID, res.Code, res.Body)
	}
	var list []adminETicketBody
	if err := json.Unmarshal(res.Body, &list); err != nil {
		f.TB.Fatalf("e-ticket body %s: %v", res.Body, err)
	}
	return list
}

func TestAnAdminReadsTheETicketOfAnOrder(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	e := f.issue()
	got := f.ofOrder(e.OrderID)
	if len(got) != 1 || got[0].Code != e.Code || got[0].Status != "valid" || !got[0].IssuedAt.Equal(t0) ||
		got[0].CheckedInAt != nil || got[0].RevokedAt != nil {
		t.Fatalf("e-ticket of the order %+v, want the valid one issued at %v", got, t0)
	}

	f.clock.Advance(time.Hour)
	if res := f.checkIn("seller", e.Code); res.Code != http.StatusCreated {
		t.Fatalf("check-in: %d %s", res.Code, res.Body)
	}
	if got := f.ofOrder(e.OrderID); len(got) != 1 || got[0].Status != "used" || got[0].CheckedInAt == nil || !got[0].CheckedInAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("a used e-ticket reads %+v", got)
	}

	revoked := f.issue()
	f.clock.Advance(time.Minute)
	f.MustDeliver(refunded(t, revoked.OrderID))
	if got := f.ofOrder(revoked.OrderID); len(got) != 1 || got[0].Status != "revoked" || got[0].RevokedAt == nil ||
		!got[0].RevokedAt.Equal(f.clock.Now()) || got[0].RevokeReason == "" {
		t.Errorf("a revoked e-ticket reads %+v, want revoked at %v with a reason", got, f.clock.Now())
	}

	for _, id := range []string{newOrderID(), "not%2Fan%20order"} {
		if got := f.ofOrder(id); len(got) != 0 {
			t.Errorf("order %s has e-tickets %+v", id, got)
		}
	}
	if held := f.held("buyer"); len(held) != 2 {
		t.Errorf("the buyer's own list holds %d e-tickets, want 2", len(held))
	}
}

func TestOnlyAnAdminReadsTheETicketOfAnOrder(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	e := f.issue()
	path := "/api/etickets?orderId=" + e.OrderID
	tests := []struct {
		name    string
		res     func() httpxtest.Response
		code    int
		message string
		field   string
	}{
		{"its holder", func() httpxtest.Response { return f.user("buyer").Get(path) }, http.StatusUnauthorized, "Not authorized", ""},
		{"its issuer", func() httpxtest.Response { return f.user("seller").Get(path) }, http.StatusUnauthorized, "Not authorized", ""},
		{"signed out", func() httpxtest.Response { return f.user("").Get(path) }, http.StatusUnauthorized, "Not authorized", ""},
		{"an admin naming no order", func() httpxtest.Response { return f.admin().Get("/api/etickets?orderId=") }, http.StatusBadRequest, "Order id is required", "orderId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			httpxtest.WantError(t, tc.res(), tc.code, tc.message, tc.field)
		})
	}
}
