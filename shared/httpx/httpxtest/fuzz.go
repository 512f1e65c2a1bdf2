package httpxtest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// FuzzPost is a JSON POST endpoint under fuzzing: its Fuzz posts
// arbitrary bytes as the body and holds the answer to what every such
// endpoint promises. No answer is a 5xx; an answer of status Taken is
// checked by CheckTaken; any other is a refusal, which must leave the store
// as it was (by Writes) and be in the error shape (ErrorShaped), and is
// checked by CheckRefused too when it is set.
type FuzzPost struct {
	What    string       // names the request in failures, as "order"
	Handler http.Handler // the function's handler
	Path    string       // where to post, as "/api/orders"

	// Writes returns how many writes the store has taken, as
	// storetest.CountingStore's Writes does.
	Writes func() int

	// Prepare, when set, readies each request before it is sent, as by
	// signing it in.
	Prepare func(*http.Request)

	Taken        int                                            // the status of a body taken, as 201
	CheckTaken   func(tb testing.TB, body []byte, res Response) // checks an answer of status Taken
	CheckRefused func(tb testing.TB, body []byte, res Response) // checks a refusal further, when set
}

// Fuzz is Check as a fuzz function: f.Fuzz(p.Fuzz).
func (p FuzzPost) Fuzz(t *testing.T, body []byte) {
	t.Helper()
	p.Check(t, body)
}

// Check posts body and checks the answer, failing t at the first broken
// promise.
func (p FuzzPost) Check(t testing.TB, body []byte) {
	t.Helper()
	before := p.Writes()
	req := httptest.NewRequest(http.MethodPost, p.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if p.Prepare != nil {
		p.Prepare(req)
	}
	res := Serve(p.Handler, req)
	switch {
	case res.Code >= 500:
		t.Fatalf("%s %q answered %d %s", p.What, body, res.Code, res.Body)
	case res.Code == p.Taken:
		p.CheckTaken(t, body, res)
	default:
		if after := p.Writes(); after != before {
			t.Fatalf("%s %q answered %d and wrote %d documents", p.What, body, res.Code, after-before)
		}
		if !ErrorShaped(res.Body) {
			t.Fatalf("%s %q answered %d %s, not the error shape", p.What, body, res.Code, res.Body)
		}
		if p.CheckRefused != nil {
			p.CheckRefused(t, body, res)
		}
	}
}

// MalformedJSON returns bodies that no JSON endpoint may take: no object,
// an object without fields, one cut short after field's name, two objects
// in a row, nothing, bytes that are not UTF-8, and field holding an
// operator object where a value goes.
func MalformedJSON(field string) []string {
	return []string{
		`{}`, `[]`, `null`, `""`, `0`, `{"` + field + `":`, `{}{}`, ``, "\xff\xfe", `{"` + field + `":{"$ne":null}}`,
	}
}

// Seed adds seeds to f's corpus, and after them MalformedJSON(field).
func Seed(f *testing.F, field string, seeds ...string) {
	f.Helper()
	for _, seed := range slices.Concat(seeds, MalformedJSON(field)) {
		f.Add([]byte(seed))
	}
}
