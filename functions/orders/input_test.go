package orders_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestBadOrderInputIsRefusedAndStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	ticketID := f.listTicket("seller", "Concert", 20)
	valid := `{"ticketId":"` + ticketID + `"}`
	huge := `{"ticketId":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name, contentType, body string
		code                    int
		field                   string
	}{
		{"malformed JSON", "application/json", `{"ticketId":`, http.StatusBadRequest, ""},
		{"not JSON at all", "application/json", `ticketId=` + ticketID, http.StatusBadRequest, ""},
		{"ticketId is a number", "application/json", `{"ticketId":5}`, http.StatusBadRequest, "ticketId"},
		{"ticketId is an object", "application/json", `{"ticketId":{"$ne":null}}`, http.StatusBadRequest, "ticketId"},
		{"ticketId is an array", "application/json", `{"ticketId":["` + ticketID + `"]}`, http.StatusBadRequest, "ticketId"},
		{"unknown field", "application/json", `{"ticketId":"` + ticketID + `","price":0.01}`, http.StatusBadRequest, "price"},
		{"empty ticketId", "application/json", `{"ticketId":""}`, http.StatusBadRequest, "ticketId"},
		{"blank ticketId", "application/json", `{"ticketId":"  "}`, http.StatusBadRequest, "ticketId"},
		{"null ticketId", "application/json", `{"ticketId":null}`, http.StatusBadRequest, "ticketId"},
		{"empty object", "application/json", `{}`, http.StatusBadRequest, "ticketId"},
		{"body is an array", "application/json", `[]`, http.StatusBadRequest, ""},
		{"body is null", "application/json", `null`, http.StatusBadRequest, ""},
		{"body is a string", "application/json", `"` + ticketID + `"`, http.StatusBadRequest, ""},
		{"empty body", "application/json", ``, http.StatusBadRequest, ""},
		{"two JSON values", "application/json", valid + `{}`, http.StatusBadRequest, ""},
		{"body over 1 MiB", "application/json", huge, http.StatusRequestEntityTooLarge, ""},
		{"text/plain", "text/plain", valid, http.StatusUnsupportedMediaType, ""},
		{"no content type", "", valid, http.StatusUnsupportedMediaType, ""},
	}
	before := f.counts()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/orders", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res := f.user("buyer").Do(req)
			if res.Code != tc.code {
				t.Errorf("status %d %s, want %d", res.Code, res.Body, tc.code)
			}
			errs := errorsOf(t, res)
			if tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field) {
				t.Errorf("errors %+v, want one about %s", errs, tc.field)
			}
		})
	}
	storetest.WantSameCounts(t, "bad input", before, f.counts())
}
