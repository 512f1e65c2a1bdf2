package auth_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/functions/auth/internal/account"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// FuzzSignup posts arbitrary bytes as a signup body: the answer is never a
// 5xx, and anything but a 201 leaves the store as it was.
func FuzzSignup(f *testing.F) {
	for _, seed := range []string{
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
		`{"email":"bob@example.com","password":"` + strings.Repeat("é", 72) + `"}`,
		`{}`, `[]`, `null`, `""`, `0`, `{"email":`, `{}{}`, ``, "\xff\xfe", `{"email":{"$ne":null}}`,
	} {
		f.Add([]byte(seed))
	}
	db := &storetest.CountingStore{Store: openSQLite(f)}
	h := newFn(f, withStore(db)).h

	f.Fuzz(func(t *testing.T, body []byte) {
		before := db.Writes()
		req := httptest.NewRequest(http.MethodPost, "/api/users/signup", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		switch {
		case rec.Code >= 500:
			t.Fatalf("signup %q answered %d %s", body, rec.Code, rec.Body)
		case rec.Code == http.StatusCreated:
			var u struct{ ID, Email string }
			if err := json.Unmarshal(rec.Body.Bytes(), &u); err != nil || u.ID == "" {
				t.Fatalf("signup %q answered 201 %s", body, rec.Body)
			}
			if e, err := account.NormalizeEmail(u.Email); err != nil || e != u.Email {
				t.Errorf("signup %q stored email %q, which is not normalised", body, u.Email)
			}
		default:
			if after := db.Writes(); after != before {
				t.Fatalf("signup %q answered %d and wrote %d documents", body, rec.Code, after-before)
			}
			if !httpxtest.ErrorShaped(rec.Body.Bytes()) {
				t.Fatalf("signup %q answered %d %s, not the error shape", body, rec.Code, rec.Body)
			}
			if len(rec.Result().Cookies()) > 0 {
				t.Fatalf("signup %q answered %d and set cookies", body, rec.Code)
			}
		}
	})
}
