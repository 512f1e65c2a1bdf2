package etickets_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

// FuzzCheckIn posts arbitrary bodies to POST /api/checkins as the issuer
// of one valid e-ticket: never a 5xx, every refusal in the error shape with
// nothing written, and a 201 only for that e-ticket's code.
func FuzzCheckIn(f *testing.F) {
	db := &storetest.CountingStore{
		Store:      storetest.OpenSQLite(f, filepath.Join(f.TempDir(), "etickets.db")),
		Background: func(collection string) bool { return collection == outbox.Collection },
	}
	fn := newFn(f, db)
	e := fn.issue()
	for _, seed := range []string{
		`{"code":"` + e.Code + `"}`,
		`{"code":"` + strings.ToLower(e.Code) + `"}`,
		`{"code":"` + e.Code[:60] + " - " + e.Code[60:] + `"}`,
		`{"code":"` + e.Code + `A"}`,
		`{"code":"` + fn.sign(newOrderID()) + `"}`,
		`{"code":"` + strings.Repeat("A", 124) + `"}`,
		`{"code":"\u0000"}`, `{"code":""}`, `{"code":5}`, `{"code":null}`, `{"code":["A"]}`,
		`{"code":"x","code":"` + e.Code + `"}`, `{"CODE":"` + e.Code + `"}`,
		`{}`, `[]`, `null`, `""`, `0`, `{"code":`, `{}{}`, ``, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	cookie := authtest.SessionCookie(f, authtest.NewTokens(f, testenv.JWTKey, fn.clock.Now), "seller")
	f.Fuzz(httpxtest.FuzzPost{
		What: "check-in", Handler: fn.h, Path: "/api/checkins", Writes: db.Writes,
		Prepare: func(req *http.Request) { req.AddCookie(cookie) },
		Taken:   http.StatusCreated,
		CheckTaken: func(t testing.TB, body []byte, res httpxtest.Response) {
			var done struct{ Code string }
			if err := json.Unmarshal(res.Body, &done); err != nil || done.Code != e.Code {
				t.Fatalf("check-in %q answered 201 %s", body, res.Body)
			}
		},
	}.Fuzz)
}
