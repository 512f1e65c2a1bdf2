package tickets_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func TestASignedInSellerCreatesATicketAndTicketCreatedIsEmitted(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	res := f.as("seller-1").post("/api/tickets", `{"title":"  Concert  ","price":19.99}`)
	got := ticketOf(t, res, http.StatusCreated)
	want := ticketBody{ID: got.ID, Title: "Concert", Price: "19.99", UserID: "seller-1", Status: "available", Version: 0, CreatedAt: t0}
	if got != want || len(got.ID) != 24 {
		t.Errorf("created %+v, want %+v", got, want)
	}
	var raw map[string]any
	if err := json.Unmarshal(res.Body, &raw); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(raw)); !slices.Equal(keys, []string{"createdAt", "id", "price", "status", "title", "userId", "version"}) {
		t.Errorf("created ticket has fields %v, want no orderId while available", keys)
	}
	if !bytes.Contains(res.Body, []byte(`"price":19.99,`)) || !bytes.Contains(res.Body, []byte(`"createdAt":"2030-01-02T03:04:05.000Z"`)) {
		t.Errorf("body %s does not render price as a number and createdAt in RFC 3339 UTC", res.Body)
	}
	if read := f.ticket(got.ID); read != got {
		t.Errorf("GET = %+v, want %+v", read, got)
	}

	ev := f.sink.await(t, eventing.TypeTicketCreated, got.ID, 0)
	p := eventingtest.Decode[eventing.TicketCreated](t, ev)
	wantEvent := eventing.TicketCreated{ID: got.ID, Version: 0, Title: "Concert", Price: 19.99, UserID: "seller-1", CreatedAt: t0}
	if p != wantEvent || ev.Source() != "/functions/tickets" {
		t.Errorf("ticket.created %+v from %s, want %+v from /functions/tickets", p, ev.Source(), wantEvent)
	}
}

func TestPricesAreKeptToTheCent(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tests := []struct {
		price any
		want  json.Number
	}{
		{0.5, "0.5"},
		{json.Number("0.50"), "0.5"},
		{20, "20"},
		{json.Number("999999.990"), "999999.99"},
		{"10.00", "10"},
		{"0.50", "0.5"},
		{json.Number("2e1"), "20"},
		{json.Number("0.07e1"), "0.7"},
	}
	for _, tc := range tests {
		if got := f.as("seller").create("Concert", tc.price); got.Price != tc.want {
			t.Errorf("price %v is shown as %s, want %s", tc.price, got.Price, tc.want)
		}
	}
}

func TestCreatingATicketNeedsASession(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	httpxtest.WantErrors(t, f.anon().post("/api/tickets", details("Concert", 10)), http.StatusUnauthorized, item("Not authorized", ""))
	forged := client{f: f, session: "not.a.token"}
	httpxtest.WantErrors(t, forged.post("/api/tickets", details("Concert", 10)), http.StatusUnauthorized, item("Not authorized", ""))
	// A token signed with another key is no session either.
	otherKey, err := sharedauth.NewTokens(sharedauth.TokenConfig{Key: []byte(strings.Repeat("o", 32)), Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := otherKey.Issue("seller", "seller@example.com")
	if err != nil {
		t.Fatal(err)
	}
	stolen := client{f: f, session: token}
	httpxtest.WantErrors(t, stolen.post("/api/tickets", details("Concert", 10)), http.StatusUnauthorized, item("Not authorized", ""))
	expired := f.as("seller")
	f.clock.Advance(16 * time.Minute)
	httpxtest.WantErrors(t, expired.post("/api/tickets", details("Concert", 10)), http.StatusUnauthorized, item("Not authorized", ""))
	wantNothingStoredAfter(t, f)
}

// wantNothingStoredAfter checks that the store holds nothing, and that the
// sink received nothing (no event was recorded to send).
func wantNothingStoredAfter(t *testing.T, f *fn) {
	t.Helper()
	f.wantNothingStored()
	if got := f.sink.Events(); len(got) > 0 {
		t.Errorf("sink received %d events, want none", len(got))
	}
}

func TestBadTicketsAreRefusedAndNothingIsStored(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	const (
		titleRequired = "Title is required"
		priceRequired = "Price is required"
		notANumber    = "Price must be a number"
		decimals      = "Price must have at most 2 decimals"
		bounds        = "Price must be between 0.50 and 999999.99"
	)
	tests := []struct {
		name string
		body string
		code int
		want []string // message|field
	}{
		{"empty object", `{}`, 400, []string{titleRequired + "|title", priceRequired + "|price"}},
		{"blank title", `{"title":"   ","price":10}`, 400, []string{titleRequired + "|title"}},
		{"huge title", details(strings.Repeat("x", 201), 10), 400, []string{"Title must be between 1 and 200 characters|title"}},
		{"title of control characters", `{"title":"a\u0000b","price":10}`, 400, []string{"Title must not contain control characters|title"}},
		{"title a number", `{"title":5,"price":10}`, 400, []string{"title must be a string|title"}},
		{"price a string of words", `{"title":"Concert","price":"twelve"}`, 400, []string{notANumber + "|price"}},
		{"price an empty string", `{"title":"Concert","price":""}`, 400, []string{priceRequired + "|price"}},
		{"price a negative string", `{"title":"Concert","price":"-5"}`, 400, []string{bounds + "|price"}},
		{"price a zero string", `{"title":"Concert","price":"0"}`, 400, []string{bounds + "|price"}},
		{"price a string of three decimals", `{"title":"Concert","price":"19.999"}`, 400, []string{decimals + "|price"}},
		{"price true", `{"title":"Concert","price":true}`, 400, []string{notANumber + "|price"}},
		{"price an object", `{"title":"Concert","price":{"amount":12}}`, 400, []string{notANumber + "|price"}},
		{"price null", `{"title":"Concert","price":null}`, 400, []string{priceRequired + "|price"}},
		{"three decimals", `{"title":"Concert","price":19.999}`, 400, []string{decimals + "|price"}},
		{"negative", `{"title":"Concert","price":-10}`, 400, []string{bounds + "|price"}},
		{"zero", `{"title":"Concert","price":0}`, 400, []string{bounds + "|price"}},
		{"under 50 cents", `{"title":"Concert","price":0.49}`, 400, []string{bounds + "|price"}},
		{"a million", `{"title":"Concert","price":1000000}`, 400, []string{bounds + "|price"}},
		{"a million as a string", `{"title":"Concert","price":"1000000.00"}`, 400, []string{bounds + "|price"}},
		{"absurd", `{"title":"Concert","price":1e400}`, 400, []string{bounds + "|price"}},
		{"absurdly small", `{"title":"Concert","price":1e-400}`, 400, []string{decimals + "|price"}},
		{"unknown field", `{"title":"Concert","price":10,"status":"sold"}`, 400, []string{"Unknown field|status"}},
		{"both fields bad", `{"title":"","price":-1}`, 400, []string{titleRequired + "|title", bounds + "|price"}},
		{"an array", `[]`, 400, []string{"Request body must be an object|"}},
		{"null", `null`, 400, []string{"Request body must be an object|"}},
		{"malformed", `{"title":`, 400, []string{"Malformed JSON|"}},
		{"two values", `{}{}`, 400, []string{"Request body must hold a single JSON value|"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.as("seller").post("/api/tickets", tc.body)
			var want []string
			for _, e := range httpxtest.Errors(t, res) {
				want = append(want, e.Message+"|"+e.Field)
			}
			if res.Code != tc.code || !slices.Equal(want, tc.want) {
				t.Errorf("%s: %d %v, want %d %v", tc.body, res.Code, want, tc.code, tc.want)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/api/tickets", strings.NewReader(details("Concert", 10)))
		req.Header.Set("Content-Type", "text/plain")
		c := f.as("seller")
		req.Header.Set("Cookie", "session="+c.session)
		httpxtest.WantErrors(t, f.serve(req), http.StatusUnsupportedMediaType, item("Content type must be application/json", ""))
	})
	t.Run("over 1 MiB", func(t *testing.T) {
		res := f.as("seller").post("/api/tickets", `{"title":"`+strings.Repeat("x", 1<<20)+`","price":10}`)
		httpxtest.WantErrors(t, res, http.StatusRequestEntityTooLarge, item("Request body is too large", ""))
	})
	wantNothingStoredAfter(t, f)
}

func TestCrossSiteMutationsAreRefusedButBrokerDeliveriesAreNot(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", 10)
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/api/tickets"},
		{http.MethodPut, "/api/tickets/" + tk.ID},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(details("Opera", 20)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.AddCookie(&http.Cookie{Name: "session", Value: seller.session})
		httpxtest.WantErrors(t, f.serve(req), http.StatusForbidden, item("Cross-site request refused", ""))
	}
	if got := f.ticket(tk.ID); got != tk {
		t.Errorf("after cross-site requests the ticket is %+v, want %+v", got, tk)
	}

	ev := orderCreated(t, "order-1", tk.ID, 1)
	req := eventingtest.NewRequest(t, "/events", ev)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	eventingtest.Authorize(req, eventingtest.DeliveryToken(t, "tickets", ev))
	if res := f.serve(req); res.Code != http.StatusOK {
		t.Errorf("delivery marked cross-site: %d %s, want 200", res.Code, res.Body)
	}
	sweep := eventingtest.SweepRequest(t, "tickets")
	sweep.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := f.serve(sweep); res.Code != http.StatusOK || !strings.Contains(string(res.Body), `"sent"`) {
		t.Errorf("sweep marked cross-site: %d %s, want 200 with its counts", res.Code, res.Body)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	if res := f.anon().get("/healthz"); res.Code != http.StatusOK {
		t.Errorf("healthz: %d %s", res.Code, res.Body)
	}
	httpxtest.WantErrors(t, f.anon().get("/api/nothing"), http.StatusNotFound, item("Not found", ""))
	httpxtest.WantErrors(t, f.anon().do(http.MethodDelete, "/api/tickets", ""), http.StatusMethodNotAllowed, item("Method not allowed", ""))
}

func TestTheSellerEditsATicketAndTicketUpdatedIsEmitted(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", 10)
	f.clock.Advance(time.Minute)

	got := ticketOf(t, seller.put("/api/tickets/"+tk.ID, details(" Opera ", 25.5)), http.StatusOK)
	want := tk
	want.Title, want.Price, want.Version = "Opera", "25.5", 1
	if got != want {
		t.Errorf("edited %+v, want %+v", got, want)
	}
	if read := f.ticket(tk.ID); read != want {
		t.Errorf("GET after the edit = %+v, want %+v", read, want)
	}
	if p := f.updated(tk.ID, 1); p != (eventing.TicketUpdated{ID: tk.ID, Version: 1, Title: "Opera", Price: 25.5, UserID: "seller", Status: "available"}) {
		t.Errorf("ticket.updated %+v", p)
	}

	again := ticketOf(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 30)), http.StatusOK)
	if again.Version != 2 || again.Price != "30" {
		t.Errorf("second edit = %+v, want version 2 at 30", again)
	}
	f.updated(tk.ID, 2)
}

func TestOnlyTheSellerEditsAnExistingTicket(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 10)
	body := details("Mine now", 1)
	httpxtest.WantErrors(t, f.as("other").put("/api/tickets/"+tk.ID, body), http.StatusUnauthorized, item("Not authorized", ""))
	httpxtest.WantErrors(t, f.anon().put("/api/tickets/"+tk.ID, body), http.StatusUnauthorized, item("Not authorized", ""))
	httpxtest.WantErrors(t, f.as("seller").put("/api/tickets/0123456789abcdef01234567", body), http.StatusNotFound, item("Ticket not found", ""))
	httpxtest.WantErrors(t, f.as("seller").put("/api/tickets/nope", body), http.StatusNotFound, item("Ticket not found", ""))
	f.wantUnedited(tk, "refused edits")
}

func TestEditsAreRefusedWhileReservedAndOnceSold(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", 10)
	f.mustDeliver(orderCreated(t, "order-1", tk.ID, 1))
	httpxtest.WantErrors(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 20)), http.StatusBadRequest, item("Cannot edit a reserved ticket", ""))
	// Someone else is still told they are not the owner.
	httpxtest.WantErrors(t, f.as("other").put("/api/tickets/"+tk.ID, details("Opera", 20)), http.StatusUnauthorized, item("Not authorized", ""))

	f.mustDeliver(orderCompleted(t, "order-1", tk.ID, 1))
	httpxtest.WantErrors(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 20)), http.StatusBadRequest, item("Cannot edit a reserved ticket", ""))
	if got := f.ticket(tk.ID); got.Title != "Concert" || got.Status != "sold" || got.Version != 2 {
		t.Errorf("after refused edits the ticket is %+v", got)
	}

	// Unlocked, it can be edited again.
	free := seller.create("Free again", 10)
	f.mustDeliver(orderCreated(t, "order-2", free.ID, 1), orderCancelled(t, "order-2", free.ID, 1))
	if got := ticketOf(t, seller.put("/api/tickets/"+free.ID, details("Edited", 20)), http.StatusOK); got.Version != 3 {
		t.Errorf("edit after an unlock = %+v, want version 3", got)
	}
}

func TestBadEditsAreRefusedAndChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", 10)
	tests := []struct {
		name, body string
		code       int
	}{
		{"missing price", `{"title":"Opera"}`, 400},
		{"missing title", `{"price":10}`, 400},
		{"price a string of words", `{"title":"Opera","price":"ten"}`, 400},
		{"three decimals", `{"title":"Opera","price":10.001}`, 400},
		{"negative", `{"title":"Opera","price":-10}`, 400},
		{"absurd", `{"title":"Opera","price":1e400}`, 400},
		{"huge title", details(strings.Repeat("é", 201), 10), 400},
		{"unknown field", `{"title":"Opera","price":10,"version":7}`, 400},
		{"wrong types", `{"title":["Opera"],"price":10}`, 400},
		{"malformed", `{"title":"Opera",`, 400},
		{"empty", ``, 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := seller.put("/api/tickets/"+tk.ID, tc.body)
			if res.Code != tc.code {
				t.Fatalf("%s: %d %s, want %d", tc.body, res.Code, res.Body, tc.code)
			}
			httpxtest.Errors(t, res)
		})
	}
	f.wantUnedited(tk, "bad edits")
}

func TestAnEditMayWriteThePriceAsAStringAsTheSeedsFormDoes(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", "10.00")
	got := ticketOf(t, seller.put("/api/tickets/"+tk.ID, `{"title":"Concert","price":"12.50"}`), http.StatusOK)
	if got.Price != "12.5" || got.Version != 1 {
		t.Errorf("edited with price \"12.50\": %+v, want price 12.5 at version 1", got)
	}
	httpxtest.WantErrors(t, seller.put("/api/tickets/"+tk.ID, `{"title":"Concert","price":"-5"}`), http.StatusBadRequest,
		item("Price must be between 0.50 and 999999.99", "price"))
	if read := f.ticket(tk.ID); read != got {
		t.Errorf("after a refused edit the ticket is %+v, want %+v", read, got)
	}
}

// wantUnedited fails unless, after what the test did, ticket tk reads as
// it was created and the outbox holds its creation's event only.
func (f *fn) wantUnedited(tk ticketBody, what string) {
	f.tb.Helper()
	if got := f.ticket(tk.ID); got != tk {
		f.tb.Errorf("after %s the ticket is %+v, want %+v", what, got, tk)
	}
	f.wantRecorded(1, "the creation's only")
}
