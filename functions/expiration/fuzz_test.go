package expiration_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/expiration"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// FuzzExpire posts arbitrary bytes as a task's body: the answer is never a
// 5xx; only a 200 about the one open order past its window writes, and
// that once; every other answer leaves the store as it was.
func FuzzExpire(f *testing.F) {
	db := &storetest.CountingStore{Store: openSQLite(f)}
	fn := newFn(f, withStore(db), withoutRun)
	open, closed, future := newOrderID(), newOrderID(), newOrderID()
	fn.MustDeliver(orderCreated(f, open, time.Now().Add(-time.Second)))
	fn.MustDeliver(orderCreated(f, closed, time.Now().Add(-time.Second)))
	fn.MustDeliver(orderCancelled(f, closed))
	fn.MustDeliver(orderCreated(f, future, time.Now().Add(time.Hour)))
	httpxtest.Seed(f, "orderId",
		expireBody(open),
		expireBody(open), // expired by now
		expireBody(closed),
		expireBody(future),
		expireBody(newOrderID()),
		expireBody(strings.ToUpper(open)),
		`{"orderId":"a/b"}`, `{"orderId":"__x__"}`, `{"orderId":"."}`, `{"orderId":"\u0000"}`,
		`{"orderId":"`+strings.Repeat("o", 101)+`"}`,
		`{"orderId":""}`, `{"orderId":" "}`, `{"orderId":5}`, `{"orderId":null}`,
		`{"orderId":"`+open+`","extra":1}`, `{"orderId":"x","orderId":"`+open+`"}`,
	)
	h := fn.f.Handler()

	f.Fuzz(func(t *testing.T, body []byte) {
		before := db.Writes()
		req := httptest.NewRequest(http.MethodPost, expiration.TasksPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		wrote := db.Writes() - before

		var in struct {
			OrderID string `json:"orderId"`
		}
		_ = json.Unmarshal(body, &in)
		switch {
		case rec.Code >= 500:
			t.Fatalf("expire %q answered %d %s", body, rec.Code, rec.Body)
		case rec.Code == http.StatusOK && wrote > 0 && in.OrderID != open:
			t.Fatalf("expire %q answered 200 and wrote %d documents about another order", body, wrote)
		case rec.Code != http.StatusOK && wrote > 0:
			t.Fatalf("expire %q answered %d and wrote %d documents", body, rec.Code, wrote)
		case rec.Code != http.StatusOK:
			if !httpxtest.ErrorShaped(rec.Body.Bytes()) {
				t.Fatalf("expire %q answered %d %s, not the error shape", body, rec.Code, rec.Body)
			}
		}
		if n := countOutboxed(t, db, open); n > 1 {
			t.Fatalf("expire %q: %d expiration.completed for one order", body, n)
		}
	})
}
