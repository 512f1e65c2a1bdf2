package orders_test

import (
	"encoding/json"
	"net/http"
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
	httpxtest.Seed(f, "ticketId",
		`{"ticketId":"`+listed+`"}`,
		`{"ticketId":"`+listed+`"}`, // reserved by now
		`{"ticketId":"`+own+`"}`,
		`{"ticketId":"`+strings.ToUpper(listed)+`"}`,
		`{"ticketId":"unknown"}`,
		`{"ticketId":"a/b"}`,
		`{"ticketId":"__x__"}`,
		`{"ticketId":"."}`,
		`{"ticketId":"\u0000"}`,
		`{"ticketId":"`+strings.Repeat("t", 501)+`"}`,
		`{"ticketId":""}`,
		`{"ticketId":" "}`,
		`{"ticketId":5}`,
		`{"ticketId":null}`,
		`{"ticketId":"`+listed+`","userId":"seller"}`,
		`{"ticketId":"x","ticketId":"`+listed+`"}`,
	)
	cookie := authtest.SessionCookie(f, fn.tokens, "buyer")
	f.Fuzz(httpxtest.FuzzPost{
		What: "order", Handler: fn.f.Handler(), Path: "/api/orders", Writes: db.Writes,
		Prepare: func(req *http.Request) { req.AddCookie(cookie) },
		Taken:   http.StatusCreated,
		CheckTaken: func(t testing.TB, body []byte, res httpxtest.Response) {
			var o orderBody
			if err := json.Unmarshal(res.Body, &o); err != nil || o.ID == "" || o.Ticket.ID != listed {
				t.Fatalf("order %q answered 201 %s", body, res.Body)
			}
		},
	}.Fuzz)
}
