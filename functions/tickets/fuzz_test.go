package tickets_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// isOutbox says which writes the outbox relay makes on its own time: it
// marks entries sent and deletes them later.
func isOutbox(collection string) bool { return collection == outbox.Collection }

// fuzzSeeds are bodies for both fuzz targets, besides the malformed ones
// (httpxtest.Seed).
var fuzzSeeds = []string{
	`{"title":"Concert","price":19.99}`,
	`{"title":"  Concert  ","price":20}`,
	`{"title":"Concert","price":0.5}`,
	`{"title":"Concert","price":1000000}`,
	`{"title":"Concert","price":1e6}`,
	`{"title":"Concert","price":2E+1}`,
	`{"title":"Concert","price":19.999}`,
	`{"title":"Concert","price":1e400}`,
	`{"title":"Concert","price":-1e-400}`,
	`{"title":"Concert","price":"12"}`,
	`{"title":"Concert","price":null}`,
	`{"title":"Concert","price":[12]}`,
	`{"title":"Concert","price":12,"status":"sold"}`,
	`{"title":"Concert","title":"Opera","price":12}`,
	`{"title":"Ünïcödé ✓","price":12.3}`,
	`{"title":"\u0000","price":12}`,
	`{"title":"` + strings.Repeat("é", 200) + `","price":12}`,
	`{"title":"` + strings.Repeat("é", 201) + `","price":12}`,
	`{"title":5,"price":true}`,
}

// serveFuzz sends body to method path as the seller and fails on a 5xx or
// an answer that is not JSON.
func serveFuzz(t *testing.T, h http.Handler, session, method, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: sharedauth.SessionCookie, Value: session})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %q answered %d %s", method, body, rec.Code, rec.Body)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s %q answered %d %q, not JSON", method, body, rec.Code, rec.Body)
	}
	return rec
}

// wantRefusal fails unless rec is the error shape.
func wantRefusal(t *testing.T, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	if !httpxtest.ErrorShaped(rec.Body.Bytes()) {
		t.Fatalf("%q answered %d %s, not the error shape", body, rec.Code, rec.Body)
	}
}

// wantValid fails unless the ticket answered holds a title and price the
// rules accept, unchanged by reading them again.
func wantValid(t *testing.T, body []byte, rec *httptest.ResponseRecorder) ticketBody {
	t.Helper()
	var tk ticketBody
	if err := json.Unmarshal(rec.Body.Bytes(), &tk); err != nil || !ticket.ValidID(tk.ID) {
		t.Fatalf("%q answered %d %s", body, rec.Code, rec.Body)
	}
	d, err := ticket.ParseDetails(tk.Title, string(tk.Price))
	if err != nil || d.Title != tk.Title || d.Price.String() != string(tk.Price) {
		t.Fatalf("%q stored title %q and price %s, which the rules refuse or change: %v", body, tk.Title, tk.Price, err)
	}
	return tk
}

// FuzzCreateTicket posts arbitrary bytes as a new ticket: the answer is
// never a 5xx, and anything but a 201 leaves the store as it was.
func FuzzCreateTicket(f *testing.F) {
	httpxtest.Seed(f, "title", fuzzSeeds...)
	db := &storetest.CountingStore{Store: openSQLite(f), Background: isOutbox}
	fn := newFn(f, withStore(db))
	session := fn.as("seller").session

	f.Fuzz(func(t *testing.T, body []byte) {
		before := db.Writes()
		rec := serveFuzz(t, fn.h, session, http.MethodPost, "/api/tickets", body)
		if rec.Code != http.StatusCreated {
			wantRefusal(t, body, rec)
			if after := db.Writes(); after != before {
				t.Fatalf("%q answered %d and wrote %d documents", body, rec.Code, after-before)
			}
			return
		}
		tk := wantValid(t, body, rec)
		if tk.Version != 0 || tk.Status != "available" || tk.UserID != "seller" {
			t.Fatalf("%q created %+v", body, tk)
		}
	})
}

// FuzzUpdateTicket puts arbitrary bytes as the seller's edit of a ticket:
// the answer is never a 5xx, and anything but a 200 leaves the ticket and
// the store as they were.
func FuzzUpdateTicket(f *testing.F) {
	httpxtest.Seed(f, "title", fuzzSeeds...)
	db := &storetest.CountingStore{Store: openSQLite(f), Background: isOutbox}
	fn := newFn(f, withStore(db))
	seller := fn.as("seller")
	created := seller.create("Concert", 10)
	path := "/api/tickets/" + created.ID

	f.Fuzz(func(t *testing.T, body []byte) {
		before, writes := fn.ticketOrFail(t, created.ID), db.Writes()
		rec := serveFuzz(t, fn.h, seller.session, http.MethodPut, path, body)
		after := fn.ticketOrFail(t, created.ID)
		if rec.Code != http.StatusOK {
			wantRefusal(t, body, rec)
			if after != before || db.Writes() != writes {
				t.Fatalf("%q answered %d and changed the ticket from %+v to %+v, writing %d documents",
					body, rec.Code, before, after, db.Writes()-writes)
			}
			return
		}
		tk := wantValid(t, body, rec)
		if tk != after || tk.Version != before.Version+1 || tk.CreatedAt != before.CreatedAt || tk.UserID != "seller" {
			t.Fatalf("%q edited %+v into %+v, GET shows %+v", body, before, tk, after)
		}
	})
}

// ticketOrFail reads ticket id for a fuzz iteration.
func (f *fn) ticketOrFail(t *testing.T, id string) ticketBody {
	t.Helper()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/tickets/"+id, nil))
	var tk ticketBody
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &tk) != nil {
		t.Fatalf("GET %s: %d %s", id, rec.Code, rec.Body)
	}
	return tk
}
