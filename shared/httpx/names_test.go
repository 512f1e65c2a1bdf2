package httpx_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
)

type seat struct {
	Row    string `json:"row"`
	Number int    `json:"number"`
}

type listing struct {
	Title string            `json:"title"`
	Price json.Number       `json:"price"`
	Seat  *seat             `json:"seat"`
	Seats []seat            `json:"seats"`
	Tags  map[string]string `json:"tags"`
	Note  string            `json:"-"`
}

func decodeListing(body string) (listing, error) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	var l listing
	err := httpx.Decode(httptest.NewRecorder(), r, &l)
	return l, err
}

func TestDecodeRefusesANameTwiceOrInAnotherCase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, field, message string
	}{
		{"a duplicate", `{"title":"first","title":"second"}`, "title", "Duplicate field"},
		{"a duplicate in another case", `{"title":"first","Title":"second"}`, "Title", "Duplicate field"},
		{"a field in capitals", `{"TITLE":"x"}`, "TITLE", "Unknown field"},
		{"a field in another case", `{"Price":10}`, "Price", "Unknown field"},
		{"a duplicate inside an object", `{"seat":{"row":"A","row":"B"}}`, "row", "Duplicate field"},
		{"another case inside an object", `{"seat":{"Row":"A"}}`, "Row", "Unknown field"},
		{"another case inside an array", `{"seats":[{"row":"A"},{"NUMBER":1}]}`, "NUMBER", "Unknown field"},
		{"a duplicate map key", `{"tags":{"a":"1","a":"2"}}`, "a", "Duplicate field"},
	}
	for _, tc := range tests {
		_, err := decodeListing(tc.body)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Kind != apperr.Invalid || e.Field != tc.field || e.Message != tc.message {
			t.Errorf("%s: Decode(%s) = %v, want a 400 %q naming %q", tc.name, tc.body, err, tc.message, tc.field)
		}
	}
}

func TestDecodeTakesExactNamesAndFreeMapKeys(t *testing.T) {
	t.Parallel()
	l, err := decodeListing(`{"title":"Concert","price":"10.00","seat":{"row":"A","number":3},"seats":[{"row":"B"}],"tags":{"Hall":"1","hall2":"2"}}`)
	if err != nil || l.Title != "Concert" || l.Price != "10.00" || l.Seat == nil || l.Seat.Number != 3 || len(l.Seats) != 1 || l.Tags["Hall"] != "1" {
		t.Errorf("Decode = %+v, %v", l, err)
	}
	if _, err := decodeListing(`{"Note":"x"}`); err == nil {
		t.Error(`a field json:"-" hides was taken`)
	}
}

// FuzzDecodeNames: whatever the body, Decode answers a value or a refusal
// of its own kinds, never a panic or an unclassified error.
func FuzzDecodeNames(f *testing.F) {
	for _, seed := range []string{`{"title":"a","title":"b"}`, `{"TITLE":1}`, `{"seat":{"row":"A","ROW":"B"}}`, `{"seats":[{},{"x":[{"y":{}}]}]}`, `{"tags":{"":""}}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		_, err := decodeListing(body)
		if err != nil && apperr.KindOf(err) == apperr.Internal {
			t.Errorf("Decode(%q) = %v, an unclassified error", body, err)
		}
	})
}
