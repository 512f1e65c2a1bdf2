package auth_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/auth/internal/account"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// FuzzSignup posts arbitrary bytes as a signup body: the answer is never a
// 5xx, and anything but a 201 leaves the store as it was.
func FuzzSignup(f *testing.F) {
	httpxtest.Seed(f, "email",
		`{"email":"bob@example.com","password":"correct horse"}`,
		`{"email":"bob@example.com","password":"correct horse"}`, // in use by now
		`{"email":"BOB@EXAMPLE.COM","password":"another one"}`,
		`{"email":" Ünïcode@example.com ","password":"pässwörd!"}`,
		`{"email":"a/b@example.com","password":"12345678"}`,
		`{"email":"bob@example.com","password":"short"}`,
		`{"email":"bob","password":"correct horse"}`,
		`{"email":"Bob <bob@example.com>","password":"correct horse"}`,
		`{"email":"","password":""}`,
		`{"email":5,"password":true}`,
		`{"email":"bob@example.com","password":"correct horse","admin":true}`,
		`{"email":"x@example.com","email":"y@example.com","password":"correct horse"}`,
		`{"email":"\u0000@example.com","password":"correct horse"}`,
		`{"email":"bob@example.com","password":"`+strings.Repeat("é", 72)+`"}`,
	)
	// The relay marks outbox entries sent on its own time.
	db := &storetest.CountingStore{Store: openSQLite(f), Background: func(collection string) bool { return collection == outbox.Collection }}
	f.Fuzz(httpxtest.FuzzPost{
		What: "signup", Handler: newFn(f, withStore(db)).h, Path: "/api/users/signup", Writes: db.Writes,
		Taken: http.StatusCreated,
		CheckTaken: func(t testing.TB, body []byte, res httpxtest.Response) {
			var u struct{ ID, Email string }
			if err := json.Unmarshal(res.Body, &u); err != nil || u.ID == "" {
				t.Fatalf("signup %q answered 201 %s", body, res.Body)
			}
			if e, err := account.NormalizeEmail(u.Email); err != nil || e != u.Email {
				t.Errorf("signup %q stored email %q, which is not normalised", body, u.Email)
			}
		},
		CheckRefused: func(t testing.TB, body []byte, res httpxtest.Response) {
			if len((&http.Response{Header: res.Header}).Cookies()) > 0 {
				t.Fatalf("signup %q answered %d and set cookies", body, res.Code)
			}
		},
	}.Fuzz)
}
