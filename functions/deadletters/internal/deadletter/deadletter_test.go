package deadletter_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/buytickets/buytickets/functions/deadletters/internal/deadletter"
	"github.com/buytickets/buytickets/shared/apperr"
)

func TestIDIsOnePerEventAndFailedSubscriber(t *testing.T) {
	t.Parallel()
	id := deadletter.IDOf("/functions/orders", "e1", "http://tickets/events")
	if !deadletter.ValidID(id) {
		t.Fatalf("IDOf = %q, not a valid id", id)
	}
	if again := deadletter.IDOf("/functions/orders", "e1", "http://tickets/events"); again != id {
		t.Errorf("IDOf is not stable: %s then %s", id, again)
	}
	others := [][3]string{
		{"/functions/orders", "e1", "http://payments/events"},
		{"/functions/orders", "e2", "http://tickets/events"},
		{"/functions/tickets", "e1", "http://tickets/events"},
		// The separator keeps shifted boundaries apart.
		{"/functions/orderse", "1", "http://tickets/events"},
	}
	for _, o := range others {
		if deadletter.IDOf(o[0], o[1], o[2]) == id {
			t.Errorf("IDOf%v = IDOf of another delivery", o)
		}
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{strings.Repeat("0a", 32), true},
		{strings.Repeat("0A", 32), false},
		{strings.Repeat("0a", 31), false},
		{strings.Repeat("0a", 32) + "0", false},
		{strings.Repeat("g", 64), false},
		{"", false},
	}
	for _, tc := range tests {
		if got := deadletter.ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestNewReadsTheBrokersErrorDetails(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString
	long := strings.Repeat("x", deadletter.MaxErrorData-1) + "é" // the limit splits the é
	tests := []struct {
		name       string
		code, data string
		wantCode   int
		wantData   string
	}{
		{"status and answer", "409", b64([]byte("too early")), 409, "too early"},
		{"unpadded base64", " 500 ", base64.RawStdEncoding.EncodeToString([]byte("down")), 500, "down"},
		{"no details", "", "", 0, ""},
		{"code that is no status", "timeout", "", 0, ""},
		{"code out of range", "42", "", 0, ""},
		{"data that is no base64 is kept", "400", "not base64!", 400, "not base64!"},
		{"binary answer", "500", b64([]byte{'o', 'k', 0xff}), 500, "ok\uFFFD"},
		{"answer over the cap", "500", b64([]byte(long + "tail")), 500, strings.Repeat("x", deadletter.MaxErrorData-1)},
		{"binary answer over the cap", "500", b64([]byte(strings.Repeat("a\xff", deadletter.MaxErrorData))), 500,
			strings.Repeat("a\uFFFD", deadletter.MaxErrorData/4)},
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := deadletter.New(deadletter.Failure{
				Event: `{"id":"e1"}`, Type: "dev.buytickets.order.created", ID: "e1", Source: "/functions/orders",
				Subject: "order-1", Code: tc.code, Dest: "http://tickets/events", Data: tc.data,
			}, now)
			if d.ErrorCode != tc.wantCode || d.ErrorData != tc.wantData {
				t.Errorf("code %d, data %q; want %d, %q", d.ErrorCode, d.ErrorData, tc.wantCode, tc.wantData)
			}
			if len(d.ErrorData) > deadletter.MaxErrorData || !utf8.ValidString(d.ErrorData) {
				t.Errorf("data of %d bytes, valid UTF-8 %v; want at most %d, valid", len(d.ErrorData), utf8.ValidString(d.ErrorData), deadletter.MaxErrorData)
			}
			if d.ID != deadletter.IDOf("/functions/orders", "e1", "http://tickets/events") || d.EventID != "e1" ||
				d.Event != `{"id":"e1"}` || d.ErrorDest != "http://tickets/events" || d.ReceivedAt.Location() != time.UTC || !d.ReceivedAt.Equal(now) {
				t.Errorf("dead letter %+v does not keep the failure", d)
			}
		})
	}
}

func TestParsePage(t *testing.T) {
	t.Parallel()
	id := strings.Repeat("ab", 32)
	tests := []struct {
		limit, after string
		want         deadletter.Page
		wantFields   []string
	}{
		{"", "", deadletter.Page{Limit: deadletter.DefaultLimit}, nil},
		{"1", id, deadletter.Page{Limit: 1, After: id}, nil},
		{"500", "", deadletter.Page{Limit: 500}, nil},
		{"0", "", deadletter.Page{}, []string{"limit"}},
		{"501", "", deadletter.Page{}, []string{"limit"}},
		{"1.5", "", deadletter.Page{}, []string{"limit"}},
		{"", "x", deadletter.Page{}, []string{"after"}},
		{"-3", "x/y", deadletter.Page{}, []string{"limit", "after"}},
	}
	for _, tc := range tests {
		got, err := deadletter.ParsePage(tc.limit, tc.after)
		var fields apperr.Fields
		errors.As(err, &fields)
		var names []string
		for _, f := range fields {
			names = append(names, f.Field)
		}
		if got != tc.want || strings.Join(names, ",") != strings.Join(tc.wantFields, ",") {
			t.Errorf("ParsePage(%q, %q) = %+v, %v; want %+v, errors on %v", tc.limit, tc.after, got, err, tc.want, tc.wantFields)
		}
	}
}

func TestSubscriberIsTheFailedDestinationWhenItIsHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dest string
		ok   bool
	}{
		{"http://orders.buytickets.svc.cluster.local/events", true},
		{"https://orders.example/events", true},
		{"", false},
		{"/events", false},
		{"file:///etc/passwd", false},
		{"http:///events", false},
		{"::not a url", false},
	}
	for _, tc := range tests {
		u, err := deadletter.DeadLetter{ErrorDest: tc.dest}.Subscriber()
		switch {
		case tc.ok && (err != nil || u.String() != tc.dest):
			t.Errorf("Subscriber of %q = %v, %v; want it", tc.dest, u, err)
		case !tc.ok && !errors.Is(err, deadletter.ErrNoSubscriber):
			t.Errorf("Subscriber of %q = %v, %v; want ErrNoSubscriber", tc.dest, u, err)
		}
	}
}

func TestDeliveredIsAny2xx(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{199: false, 200: true, 202: true, 299: true, 300: false, 404: false, 500: false} {
		if got := deadletter.Delivered(status); got != want {
			t.Errorf("Delivered(%d) = %v, want %v", status, got, want)
		}
	}
}
