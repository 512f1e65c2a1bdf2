package orders_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// FuzzCreateOrder posts arbitrary bytes as an order body: the answer is
// never a 5xx, and anything but a 201 leaves the store as it was.
func FuzzCreateOrder(f *testing.F) {
	db := &storetest.CountingStore{Store: openSQLite(f)}
	fn := newFn(f, withStore(db), withoutRelay)
	listed := fn.listTicket("seller", "Concert", 20)
	own := fn.listTicket("buyer", "Mine", 20)
	for _, seed := range []string{
		`{"ticketId":"` + listed + `"}`,
		`{"ticketId":"` + listed + `"}`, // reserved by now
		`{"ticketId":"` + own + `"}`,
		`{"ticketId":"` + strings.ToUpper(listed) + `"}`,
		`{"ticketId":"unknown"}`,
		`{"ticketId":"a/b"}`,
		`{"ticketId":"__x__"}`,
		`{"ticketId":"."}`,
		`{"ticketId":"\u0000"}`,
		`{"ticketId":"` + strings.Repeat("t", 501) + `"}`,
		`{"ticketId":""}`,
		`{"ticketId":" "}`,
		`{"ticketId":5}`,
		`{"ticketId":null}`,
		`{"ticketId":"` + listed + `","userId":"seller"}`,
		`{"ticketId":"x","ticketId":"` + listed + `"}`,
		`{}`, `[]`, `null`, `""`, `0`, `{"ticketId":`, `{}{}`, ``, "\xff\xfe", `{"ticketId":{"$ne":null}}`,
	} {
		f.Add([]byte(seed))
	}
	h := fn.f.Handler()
	cookie := authtest.SessionCookie(f, fn.tokens, "buyer")

	f.Fuzz(func(t *testing.T, body []byte) {
		before := db.Writes()
		req := httptest.NewRequest(http.MethodPost, "/api/orders", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := response{Code: rec.Code, Body: rec.Body.Bytes()}

		switch {
		case res.Code >= 500:
			t.Fatalf("order %q answered %d %s", body, res.Code, res.Body)
		case res.Code == http.StatusCreated:
			var o orderBody
			if err := json.Unmarshal(res.Body, &o); err != nil || o.ID == "" || o.Ticket.ID != listed {
				t.Fatalf("order %q answered 201 %s", body, res.Body)
			}
		default:
			if after := db.Writes(); after != before {
				t.Fatalf("order %q answered %d and wrote %d documents", body, res.Code, after-before)
			}
			if !httpxtest.ErrorShaped(res.Body) {
				t.Fatalf("order %q answered %d %s, not the error shape", body, res.Code, res.Body)
			}
		}
	})
}
