package httpx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/httpx"
)

type ticketInput struct {
	Title  string  `json:"title"`
	Price  float64 `json:"price"`
	Count  int     `json:"count"`
	Public bool    `json:"public"`
	Seller struct {
		ID string `json:"id"`
	} `json:"seller"`
}

// decodeHandler decodes the body into a ticketInput and answers it back, or
// answers the decode error through httpx.Error, as a handler would.
func decodeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in ticketInput
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, in)
	})
}

func decodeErrors(t *testing.T, rec *httptest.ResponseRecorder) httpx.ErrorBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var body httpx.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body.String(), err)
	}
	return body
}

func TestDecodeRefusesBadInputInTheErrorShape(t *testing.T) {
	t.Parallel()
	huge := `{"title":"` + strings.Repeat("a", httpx.MaxBodyBytes) + `"}`
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		want        []httpx.ErrorItem
	}{
		{"malformed JSON", "application/json", `{"title":`, 400, []httpx.ErrorItem{{Message: "Malformed JSON"}}},
		{"syntax error", "application/json", `{"title" "x"}`, 400, []httpx.ErrorItem{{Message: "Malformed JSON"}}},
		{"string for a number", "application/json", `{"price":"ten"}`, 400, []httpx.ErrorItem{{Message: "price must be a number", Field: "price"}}},
		{"number for a string", "application/json", `{"title":12}`, 400, []httpx.ErrorItem{{Message: "title must be a string", Field: "title"}}},
		{"fraction for an integer", "application/json", `{"count":1.5}`, 400, []httpx.ErrorItem{{Message: "count must be a whole number", Field: "count"}}},
		{"string for a bool", "application/json", `{"public":"yes"}`, 400, []httpx.ErrorItem{{Message: "public must be true or false", Field: "public"}}},
		{"wrong type in a nested object", "application/json", `{"seller":{"id":7}}`, 400, []httpx.ErrorItem{{Message: "seller.id must be a string", Field: "seller.id"}}},
		{"array for the object", "application/json", `[1,2]`, 400, []httpx.ErrorItem{{Message: "Request body must be an object"}}},
		{"null body", "application/json", `null`, 400, []httpx.ErrorItem{{Message: "Request body must be an object"}}},
		{"unknown field", "application/json", `{"title":"x","admin":true}`, 400, []httpx.ErrorItem{{Message: "Unknown field", Field: "admin"}}},
		{"empty body", "application/json", ``, 400, []httpx.ErrorItem{{Message: "Request body must not be empty"}}},
		{"blank body", "application/json", " \n\t", 400, []httpx.ErrorItem{{Message: "Request body must not be empty"}}},
		{"trailing garbage", "application/json", `{"title":"x"} garbage`, 400, []httpx.ErrorItem{{Message: "Request body must hold a single JSON value"}}},
		{"second object", "application/json", `{"title":"x"}{"title":"y"}`, 400, []httpx.ErrorItem{{Message: "Request body must hold a single JSON value"}}},
		{"unfinished second object", "application/json", `{"title":"x"} {`, 400, []httpx.ErrorItem{{Message: "Request body must hold a single JSON value"}}},
		{"body over 1 MiB", "application/json", huge, 413, []httpx.ErrorItem{{Message: "Request body is too large"}}},
		{"trailing data over 1 MiB", "application/json", `{}` + strings.Repeat(" ", httpx.MaxBodyBytes), 413, []httpx.ErrorItem{{Message: "Request body is too large"}}},
		{"form content type", "application/x-www-form-urlencoded", `title=x`, 415, []httpx.ErrorItem{{Message: "Content type must be application/json"}}},
		{"text content type", "text/plain", `{"title":"x"}`, 415, []httpx.ErrorItem{{Message: "Content type must be application/json"}}},
		{"missing content type", "", `{"title":"x"}`, 415, []httpx.ErrorItem{{Message: "Content type must be application/json"}}},
		{"unparsable content type", "application/json; charset", `{"title":"x"}`, 415, []httpx.ErrorItem{{Message: "Content type must be application/json"}}},
		{"non UTF-8 charset", "application/json; charset=latin1", `{"title":"x"}`, 415, []httpx.ErrorItem{{Message: "Content type must be application/json"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/api/tickets", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			decodeHandler().ServeHTTP(rec, req)

			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", rec.Code, tc.wantStatus, rec.Body)
			}
			if got := decodeErrors(t, rec).Errors; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeAcceptsJSONWithOrWithoutCharset(t *testing.T) {
	t.Parallel()
	for _, contentType := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8"} {
		t.Run(contentType, func(t *testing.T) {
			t.Parallel()
			body := `{"title":"Concert","price":12.5,"count":2,"public":true,"seller":{"id":"u1"}}` + "\n"
			req := httptest.NewRequest(http.MethodPost, "/api/tickets", strings.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			rec := httptest.NewRecorder()
			decodeHandler().ServeHTTP(rec, req)

			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
			}
			if rec.Body.String() != body {
				t.Errorf("decoded %s, want %s", rec.Body, body)
			}
		})
	}
}

func TestDecodeRejectsUnknownFields(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"seller":{"id":"u1","role":"admin"}}`))
	req.Header.Set("Content-Type", "application/json")
	var in ticketInput
	err := httpx.Decode(httptest.NewRecorder(), req, &in)
	if got := httpx.Status(err); got != http.StatusBadRequest {
		t.Fatalf("Status(%v) = %d, want 400", err, got)
	}
	if !strings.Contains(err.Error(), "Unknown field") {
		t.Errorf("err = %v, want an unknown field error", err)
	}
}

func TestDecodeIntoNonPointerIsInternal(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	err := httpx.Decode(httptest.NewRecorder(), req, ticketInput{})
	if got := httpx.Status(err); got != http.StatusInternalServerError {
		t.Errorf("Status(%v) = %d, want 500: a non-pointer is a programming error", err, got)
	}
}
