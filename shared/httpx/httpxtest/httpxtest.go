// Package httpxtest helps test the functions' HTTP surfaces: it sends a
// request to a handler or over the network and reads the answer whole,
// builds JSON requests, and checks answers in the error shape httpx.Error
// writes ({"errors":[{"message","field"}]}).
package httpxtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/httpx"
)

// Response is an HTTP answer, read whole.
type Response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// Serve sends req to h in this process, as a server would, and returns h's
// answer. req is usually an httptest.NewRequest.
func Serve(h http.Handler, req *http.Request) Response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	// Reading a recorder's body cannot fail: it is a bytes.Buffer.
	body, _ := io.ReadAll(res.Body)
	return Response{Code: res.StatusCode, Header: res.Header, Body: body}
}

// Do sends req over the network with http.DefaultClient and returns the
// answer, failing tb when req cannot be sent or its answer read.
func Do(tb testing.TB, req *http.Request) Response {
	tb.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return Response{Code: res.StatusCode, Header: res.Header, Body: body}
}

// NewJSONRequest returns a request for Serve to method target with body,
// declared as application/json.
func NewJSONRequest(method, target, body string) *http.Request {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// NewJSONPost returns a POST of body, declared as application/json, to url
// over the network, for Do; the test fails when url is malformed.
func NewJSONPost(tb testing.TB, url, body string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// Errors returns the errors of res, failing tb unless res is in the error
// shape: a JSON body (by its Content-Type) that is exactly
// {"errors":[...]} with at least one error, each with a message.
func Errors(tb testing.TB, res Response) []httpx.ErrorItem {
	tb.Helper()
	var body httpx.ErrorBody
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || len(body.Errors) == 0 {
		tb.Fatalf("body %s is not the error shape: %v", res.Body, err)
	}
	for _, e := range body.Errors {
		if e.Message == "" {
			tb.Errorf("error without a message in %s", res.Body)
		}
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type %q, want JSON", ct)
	}
	return body.Errors
}

// WantErrors fails tb unless res is a refusal with status code whose
// errors (see Errors) are want, in order.
func WantErrors(tb testing.TB, res Response, code int, want ...httpx.ErrorItem) {
	tb.Helper()
	if res.Code != code {
		tb.Fatalf("status %d %s, want %d %+v", res.Code, res.Body, code, want)
	}
	if errs := Errors(tb, res); !slices.Equal(errs, want) {
		tb.Errorf("errors %+v, want %+v", errs, want)
	}
}

// WantError fails tb unless res is a refusal with status code and one
// error, of message on field ("" for none).
func WantError(tb testing.TB, res Response, code int, message, field string) {
	tb.Helper()
	WantErrors(tb, res, code, httpx.ErrorItem{Message: message, Field: field})
}
