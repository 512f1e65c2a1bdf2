package ticket_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
)

func TestParsePriceReadsDollarsExactly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want ticket.Price
	}{
		{"0.5", 50},
		{"0.50", 50},
		{"19.99", 1999},
		{"20", 2000},
		{"20.0", 2000},
		{"20.000000", 2000},
		{"999999.99", 99_999_999},
		{"999999.990", 99_999_999},
		{`"10.00"`, 1000},
		{`"0.5"`, 50},
		{`"999999.99"`, 99_999_999},
		{`"2e1"`, 2000},
		{`"\u0031\u0030"`, 1000},
		{"2e1", 2000},
		{"1.5E2", 15000},
		{"1999e-2", 1999},
		{"0.0000199e6", 1990},
		{"19990000e-6", 1999},
		{"9999.9999e2", 99_999_999},
		{"1e+0", 100},
		{"000012.34", 1234},
	}
	for _, tc := range tests {
		got, err := ticket.ParsePrice(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParsePrice(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParsePriceRefusals(t *testing.T) {
	t.Parallel()
	const (
		required = "Price is required"
		nan      = "Price must be a number"
		decimals = "Price must have at most 2 decimals"
		bounds   = "Price must be between 0.50 and 999999.99"
	)
	tests := []struct {
		in, want string
	}{
		{"", required},
		{"null", required},
		{`""`, required},
		{`"ten"`, nan},
		{`"12 "`, nan},
		{`" 12"`, nan},
		{`"$12"`, nan},
		{`"null"`, nan},
		{`"\"12\""`, nan},
		{`"12`, nan},
		{"true", nan},
		{"{}", nan},
		{"[1]", nan},
		{"1.", nan},
		{".5", nan},
		{"1e", nan},
		{"1e+", nan},
		{"--1", nan},
		{"1.2.3", nan},
		{"12abc", nan},
		{"0x10", nan},
		{" 12", nan},
		{"19.999", decimals},
		{"0.001", decimals},
		{"1e-3", decimals},
		{"5e-999999999999", decimals},
		{"0", bounds},
		{"0.00", bounds},
		{"-0", bounds},
		{"-5", bounds},
		{"-19.999", bounds},
		{"0.49", bounds},
		{"1000000", bounds},
		{"1e6", bounds},
		{"999999.991", decimals},
		{`"-5"`, bounds},
		{`"0"`, bounds},
		{`"0.49"`, bounds},
		{`"1000000"`, bounds},
		{`"19.999"`, decimals},
		{"1e7", bounds},
		{"1e400", bounds},
		{"9e999999999999999999", bounds},
		{"99999999999999999999999", bounds},
	}
	for _, tc := range tests {
		_, err := ticket.ParsePrice(tc.in)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Kind != apperr.Invalid || e.Field != "price" || e.Message != tc.want {
			t.Errorf("ParsePrice(%q) = %v, want %q on the field price", tc.in, err, tc.want)
		}
	}
}

func TestPriceStringIsTheShortestExactDecimal(t *testing.T) {
	t.Parallel()
	tests := map[ticket.Price]string{50: "0.5", 1999: "19.99", 1950: "19.5", 2000: "20", 99_999_999: "999999.99", 105: "1.05", 7: "0.07"}
	for p, want := range tests {
		if got := p.String(); got != want {
			t.Errorf("Price(%d).String() = %q, want %q", p, got, want)
		}
		if back, err := ticket.ParsePrice(want); p >= ticket.MinPrice && (err != nil || back != p) {
			t.Errorf("ParsePrice(%q) = %d, %v; want %d back", want, back, err, p)
		}
	}
	if got := ticket.Price(1999).Dollars(); got != 19.99 {
		t.Errorf("Dollars() = %v, want 19.99", got)
	}
}

// fieldErrors returns the fields and messages of an apperr.Fields error.
func fieldErrors(tb testing.TB, err error) []string {
	tb.Helper()
	var fields apperr.Fields
	if !errors.As(err, &fields) {
		tb.Fatalf("error %v is not apperr.Fields", err)
	}
	var out []string
	for _, f := range fields {
		out = append(out, f.Field+": "+f.Message)
	}
	return out
}

func TestParseDetailsChecksTitleAndPriceTogether(t *testing.T) {
	t.Parallel()
	d, err := ticket.ParseDetails("  Concert  ", "19.99")
	if err != nil || d.Title != "Concert" || d.Price != 1999 {
		t.Fatalf("ParseDetails = %+v, %v", d, err)
	}
	if d, err := ticket.ParseDetails(strings.Repeat("é", ticket.MaxTitleLen), "1"); err != nil || len([]rune(d.Title)) != ticket.MaxTitleLen {
		t.Errorf("a title of %d characters: %v", ticket.MaxTitleLen, err)
	}
	// Every script and emoji, joiners included, stays a title.
	for _, title := range []string{"Ópera de Paris", "東京ドーム", "مسرح", "नाटक", "می\u200cخواهم", "👨\u200d👩\u200d👧 Family day", "❤️", "!!!", "5"} {
		if d, err := ticket.ParseDetails(title, "1"); err != nil || d.Title != title {
			t.Errorf("ParseDetails(%q) = %q, %v; want the title kept", title, d.Title, err)
		}
	}
	tests := []struct {
		title, price string
		want         []string
	}{
		{"", "", []string{"title: Title is required", "price: Price is required"}},
		{"   \t", "10", []string{"title: Title is required"}},
		{strings.Repeat("x", ticket.MaxTitleLen+1), "10", []string{"title: Title must be between 1 and 200 characters"}},
		{"line\nbreak", "10", []string{"title: Title must not contain control characters"}},
		{"nul\x00", "10", []string{"title: Title must not contain control characters"}},
		{"\u200b", "10", []string{"title: Title must not contain invisible formatting characters"}},
		{"\ufeffConcert", "10", []string{"title: Title must not contain invisible formatting characters"}},
		{"\u202egnp.exe", "10", []string{"title: Title must not contain invisible formatting characters"}},
		{"Concert\u2066x\u2069", "10", []string{"title: Title must not contain invisible formatting characters"}},
		{"\u3000\u00a0\u0301", "10", []string{"title: Title must contain a visible character"}},
		{"\u0301\u0301", "10", []string{"title: Title must contain a visible character"}},
		{"Concert", `"ten"`, []string{"price: Price must be a number"}},
		{"", `"-5"`, []string{"title: Title is required", "price: Price must be between 0.50 and 999999.99"}},
	}
	for _, tc := range tests {
		_, err := ticket.ParseDetails(tc.title, tc.price)
		if got := fieldErrors(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("ParseDetails(%q, %q) = %q, want %q", tc.title, tc.price, got, tc.want)
		}
	}
}

func TestOnlyTheSellerEditsAnAvailableTicket(t *testing.T) {
	t.Parallel()
	d := ticket.Details{Title: "Opera", Price: 5000}
	tk := ticket.New("seller", ticket.Details{Title: "Concert", Price: 2000}, time.Date(2030, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600)))
	if !tk.CreatedAt().Equal(time.Date(2030, 1, 2, 2, 4, 5, 678000000, time.UTC)) || tk.CreatedAt().Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want UTC to the millisecond", tk.CreatedAt())
	}
	if err := tk.Edit("someone else", d, time.Now()); !errors.Is(err, ticket.ErrNotOwner) || apperr.KindOf(err) != apperr.Unauthorized {
		t.Errorf("Edit by another = %v, want ErrNotOwner", err)
	}
	if err := tk.Edit("seller", d, time.Now()); err != nil || tk.Title() != "Opera" || tk.Price() != 5000 || tk.Version() != 1 {
		t.Fatalf("Edit = %v, ticket %+v", err, tk)
	}
	r, _ := ticket.NewReservation(1, "order-1")
	tk.Lock(r)
	if err := tk.Edit("seller", d, time.Now()); !errors.Is(err, ticket.ErrReserved) {
		t.Errorf("Edit while reserved = %v, want ErrReserved", err)
	}
	tk.Sell(r)
	if err := tk.Edit("seller", d, time.Now()); !errors.Is(err, ticket.ErrReserved) {
		t.Errorf("Edit once sold = %v, want ErrReserved", err)
	}
	if tk.Version() != 3 {
		t.Errorf("version %d after edit, lock and sale, want 3", tk.Version())
	}
}

func TestTicketIDs(t *testing.T) {
	t.Parallel()
	id := ticket.NewID()
	if !ticket.ValidID(id) || id == ticket.NewID() {
		t.Errorf("NewID = %q, not a fresh valid id", id)
	}
	for _, bad := range []string{"", "abc", strings.ToUpper(id), id + "0", id[:23] + "g", "../" + id[3:], "0123456789abcdef0123456/"} {
		if ticket.ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestParseListing(t *testing.T) {
	t.Parallel()
	id := ticket.NewID()
	tests := []struct {
		limit, after, seller string
		want                 ticket.Listing
		errs                 []string
	}{
		{"", "", "", ticket.Listing{Limit: 100}, nil},
		{"1", id, "me", ticket.Listing{Limit: 1, After: id, Mine: true}, nil},
		{"100", "", "", ticket.Listing{Limit: 100}, nil},
		{"0", "", "", ticket.Listing{}, []string{"limit: Limit must be a whole number from 1 to 100"}},
		{"101", "", "", ticket.Listing{}, []string{"limit: Limit must be a whole number from 1 to 100"}},
		{"1.5", "", "", ticket.Listing{}, []string{"limit: Limit must be a whole number from 1 to 100"}},
		{"ten", "x/y", "you", ticket.Listing{}, []string{
			"limit: Limit must be a whole number from 1 to 100",
			"after: After must be the id of a ticket",
			`seller: Seller must be "me"`,
		}},
	}
	for _, tc := range tests {
		got, err := ticket.ParseListing(tc.limit, tc.after, tc.seller)
		if tc.errs == nil {
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseListing(%q, %q, %q) = %+v, %v; want %+v", tc.limit, tc.after, tc.seller, got, err, tc.want)
			}
			continue
		}
		if errs := fieldErrors(t, err); !slices.Equal(errs, tc.errs) {
			t.Errorf("ParseListing(%q, %q, %q) = %q, want %q", tc.limit, tc.after, tc.seller, errs, tc.errs)
		}
	}
}
