package httpxtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

// refusal answers every request with err, as a function's handler does.
func refusal(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpx.Error(w, r, err) })
}

// raw answers every request with status, Content-Type ct and body.
func raw(status int, ct, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func get() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) }

func TestServeReadsTheWholeAnswer(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and ")
		io.WriteString(w, "stout")
	})
	res := httpxtest.Serve(h, httptest.NewRequest(http.MethodGet, "/pot", nil))
	if res.Code != http.StatusTeapot || string(res.Body) != "short and stout" || res.Header.Get("X-Path") != "/pot" {
		t.Errorf("Serve = %d %v %q, want 418 with X-Path /pot and the whole body", res.Code, res.Header, res.Body)
	}
}

func TestDoSendsOverTheNetwork(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(raw(http.StatusAccepted, "text/plain", "taken"))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := httpxtest.Do(t, req)
	if res.Code != http.StatusAccepted || string(res.Body) != "taken" || res.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("Do = %d %v %q, want 202 text/plain taken", res.Code, res.Header, res.Body)
	}
}

func TestDoFailsWhenNothingAnswers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(raw(http.StatusOK, "text/plain", ""))
	srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := testenv.Record(t, func(tb testing.TB) { httpxtest.Do(tb, req) }); len(got) != 1 {
		t.Errorf("Do to a closed server failed %q, want one failure", got)
	}
}

func TestNewJSONRequestDeclaresJSON(t *testing.T) {
	t.Parallel()
	req := httpxtest.NewJSONRequest(http.MethodPut, "/api/tickets/1", `{"title":"Opera"}`)
	body, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPut || req.URL.Path != "/api/tickets/1" || string(body) != `{"title":"Opera"}` {
		t.Errorf("request %s %s %q, want PUT /api/tickets/1 with the body", req.Method, req.URL.Path, body)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}

func TestErrorsReadsWhatHTTPXWrites(t *testing.T) {
	t.Parallel()
	err := apperr.Fields{apperr.Field("title", "Title is required"), apperr.Field("price", "Price must be greater than 0")}
	res := httpxtest.Serve(refusal(err), get())
	want := []httpx.ErrorItem{{Message: "Title is required", Field: "title"}, {Message: "Price must be greater than 0", Field: "price"}}
	var got []httpx.ErrorItem
	if failures := testenv.Record(t, func(tb testing.TB) { got = httpxtest.Errors(tb, res) }); len(failures) > 0 {
		t.Fatalf("Errors failed %q on %s", failures, res.Body)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Errors = %+v, want %+v", got, want)
	}
}

func TestErrorsFailsOnAnythingElse(t *testing.T) {
	t.Parallel()
	const ct = "application/json; charset=utf-8"
	tests := []struct {
		name string
		h    http.Handler
		want string // in the one failure
	}{
		{"not JSON", raw(http.StatusBadRequest, ct, "Bad Request"), "not the error shape"},
		{"no errors", raw(http.StatusBadRequest, ct, `{"errors":[]}`), "not the error shape"},
		{"null", raw(http.StatusBadRequest, ct, `null`), "not the error shape"},
		{"another field", raw(http.StatusBadRequest, ct, `{"errors":[{"message":"No"}],"code":7}`), "not the error shape"},
		{"an error's other field", raw(http.StatusBadRequest, ct, `{"errors":[{"message":"No","detail":"x"}]}`), "not the error shape"},
		{"no message", raw(http.StatusBadRequest, ct, `{"errors":[{"field":"title"}]}`), "without a message"},
		{"not served as JSON", raw(http.StatusBadRequest, "text/plain", `{"errors":[{"message":"No"}]}`), "want JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := httpxtest.Serve(tc.h, get())
			got := testenv.Record(t, func(tb testing.TB) { httpxtest.Errors(tb, res) })
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Errorf("Errors on %s failed %q, want one failure with %q", res.Body, got, tc.want)
			}
		})
	}
}

func TestWantErrorPassesOnlyTheRefusalItNames(t *testing.T) {
	t.Parallel()
	res := httpxtest.Serve(refusal(apperr.Field("email", "Email in use")), get())
	tests := []struct {
		name           string
		code           int
		message, field string
		want           string // in the one failure; "" for none
	}{
		{"the refusal", http.StatusBadRequest, "Email in use", "email", ""},
		{"another status", http.StatusConflict, "Email in use", "email", "want 409"},
		{"another message", http.StatusBadRequest, "Email taken", "email", "want [{Message:Email taken Field:email}]"},
		{"another field", http.StatusBadRequest, "Email in use", "", "want [{Message:Email in use Field:}]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := testenv.Record(t, func(tb testing.TB) { httpxtest.WantError(tb, res, tc.code, tc.message, tc.field) })
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("WantError failed %q, want no failure", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("WantError failed %q, want one failure with %q", got, tc.want)
			}
		})
	}
}

func TestWantErrorsWantsEveryErrorInOrder(t *testing.T) {
	t.Parallel()
	title, price := apperr.Field("title", "Title is required"), apperr.Field("price", "Price is required")
	res := httpxtest.Serve(refusal(apperr.Fields{title, price}), get())
	titleItem := httpx.ErrorItem{Message: "Title is required", Field: "title"}
	priceItem := httpx.ErrorItem{Message: "Price is required", Field: "price"}
	if got := testenv.Record(t, func(tb testing.TB) {
		httpxtest.WantErrors(tb, res, http.StatusBadRequest, titleItem, priceItem)
	}); len(got) > 0 {
		t.Errorf("WantErrors of both in order failed %q", got)
	}
	for name, want := range map[string][]httpx.ErrorItem{
		"one of them":   {titleItem},
		"another order": {priceItem, titleItem},
	} {
		if got := testenv.Record(t, func(tb testing.TB) {
			httpxtest.WantErrors(tb, res, http.StatusBadRequest, want...)
		}); len(got) != 1 {
			t.Errorf("WantErrors of %s failed %q, want one failure", name, got)
		}
	}
}

func TestFuzzPostHoldsEachAnswerToItsPromise(t *testing.T) {
	t.Parallel()
	// endpoint takes "ok" with 201, refuses "no" in the error shape, and
	// answers the rest as its body says; every answer but "no" writes.
	writes := 0
	endpoint := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Prepared") != "yes":
			raw(http.StatusTeapot, "text/plain", "unprepared").ServeHTTP(w, r)
		case string(body) == "ok":
			writes++
			w.WriteHeader(http.StatusCreated)
		case string(body) == "no":
			refusal(apperr.Field("thing", "No")).ServeHTTP(w, r)
		case string(body) == "boom":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			writes++
			raw(http.StatusBadRequest, "text/plain", string(body)).ServeHTTP(w, r)
		}
	})
	var taken, refused []string
	p := httpxtest.FuzzPost{
		What: "thing", Handler: endpoint, Path: "/things", Writes: func() int { return writes },
		Prepare: func(r *http.Request) { r.Header.Set("X-Prepared", "yes") },
		Taken:   http.StatusCreated,
		CheckTaken: func(tb testing.TB, body []byte, res httpxtest.Response) {
			taken = append(taken, string(body))
		},
		CheckRefused: func(tb testing.TB, body []byte, res httpxtest.Response) {
			refused = append(refused, fmt.Sprint(res.Code))
		},
	}
	for _, tc := range []struct{ body, want string }{
		{"ok", ""},
		{"no", ""},
		{"boom", `thing "boom" answered 500 `},
		{"odd", `thing "odd" answered 400 and wrote 1 documents`},
	} {
		failures := testenv.Record(t, func(tb testing.TB) { p.Check(tb, []byte(tc.body)) })
		if got := strings.Join(failures, "; "); got != tc.want {
			t.Errorf("%s: failures %q, want %q", tc.body, got, tc.want)
		}
	}
	if fmt.Sprint(taken, refused) != "[ok] [400]" {
		t.Errorf("checked taken %q and refused %q, want [ok] and [400]", taken, refused)
	}
}
