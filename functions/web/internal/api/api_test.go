package api

import (
	"encoding/json"
	"testing"
)

func TestPriceReadsTheAPIsDollarsToTheCent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want Price
	}{
		{`19.99`, 1999},
		{`11.5`, 1150},
		{`20`, 2000},
		{`0.5`, 50},
		{`1000000`, 100_000_000},
		{`0.29`, 29}, // 0.29*100 is 28.999… in binary
		{`1e3`, 100_000},
	}
	for _, tc := range tests {
		var p Price
		if err := json.Unmarshal([]byte(tc.json), &p); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.json, err)
			continue
		}
		if p != tc.want {
			t.Errorf("Unmarshal(%s) = %d cents, want %d", tc.json, p, tc.want)
		}
	}
	for _, bad := range []string{`"cheap"`, `true`, `1e400`} {
		var p Price
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("Unmarshal(%s) = %d, want an error", bad, p)
		}
	}
}

func TestPriceDollarsIsWhatASellerTypes(t *testing.T) {
	t.Parallel()
	for p, want := range map[Price]string{1999: "19.99", 1150: "11.50", 2000: "20.00", 5: "0.05"} {
		if got := p.Dollars(); got != want {
			t.Errorf("Price(%d).Dollars() = %q, want %q", p, got, want)
		}
	}
}

func TestNextCursorReadsTheLinkHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		links []string
		want  string
	}{
		{"recorded from GET /api/tickets?limit=2",
			[]string{`</api/tickets?limit=2&after=7b1ac9c1ed0b795642dd598f>; rel="next"`}, "7b1ac9c1ed0b795642dd598f"},
		{"the seller's own listing",
			[]string{`</api/tickets?limit=20&after=0c1b48307f5f9e3575f1e271&seller=me>; rel="next"`}, "0c1b48307f5f9e3575f1e271"},
		{"among other links",
			[]string{`</api/tickets>; rel="first", </api/tickets?after=abc>; rel="next"`}, "abc"},
		{"last page", nil, ""},
		{"no next link", []string{`</api/tickets>; rel="first"`}, ""},
	}
	for _, tc := range tests {
		if got := nextCursor(tc.links); got != tc.want {
			t.Errorf("%s: nextCursor = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTicketBodySendsThePriceAsTypedForTheAPIToJudge(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"19.99":   `{"title":"Gig","price":19.99}`,
		" 20 ":    `{"title":"Gig","price":20}`,
		"19.999":  `{"title":"Gig","price":19.999}`,
		"":        `{"title":"Gig","price":null}`,
		"abc":     `{"title":"Gig","price":"abc"}`,
		"true":    `{"title":"Gig","price":"true"}`,
		"$5":      `{"title":"Gig","price":"$5"}`,
		"1e2":     `{"title":"Gig","price":1e2}`,
		"[1]":     `{"title":"Gig","price":"[1]"}`,
		"12 cats": `{"title":"Gig","price":"12 cats"}`,
	}
	for typed, want := range tests {
		b, err := json.Marshal(bodyOf(TicketInput{Title: "Gig", Price: typed}))
		if err != nil {
			t.Errorf("price %q: %v", typed, err)
			continue
		}
		if string(b) != want {
			t.Errorf("price %q sent as %s, want %s", typed, b, want)
		}
	}
}

func TestSearchSendsOnlyTheParametersSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    Search
		want string
	}{
		{Search{}, ""},
		{Search{Q: "jazz night", Sort: "soonest"}, "q=jazz+night&sort=soonest"},
		{Search{City: "São Paulo", From: "2030-01-01T00:00:00-03:00", To: "2030-01-02", MinPrice: "10", MaxPrice: "99.5"},
			"city=S%C3%A3o+Paulo&from=2030-01-01T00%3A00%3A00-03%3A00&maxPrice=99.5&minPrice=10&to=2030-01-02"},
	}
	for _, tc := range tests {
		if got := tc.s.Values().Encode(); got != tc.want {
			t.Errorf("%+v sends %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestTicketBodySendsTheEventAndSeatOnlyWhenGiven(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   TicketInput
		want string
	}{
		{TicketInput{Title: "Gig", Price: "10"}, `{"title":"Gig","price":10}`},
		{TicketInput{Title: "Gig", Price: "10", Event: &EventInput{Name: "Tosca", StartsAt: "2030-02-14T19:30:00+01:00"}},
			`{"title":"Gig","price":10,"event":{"name":"Tosca","startsAt":"2030-02-14T19:30:00+01:00"}}`},
		{TicketInput{Title: "Gig", Price: "10", Seat: &Seat{Row: "3"}}, `{"title":"Gig","price":10,"seat":{"row":"3"}}`},
		{TicketInput{Title: "Gig", Price: "10", Seat: &Seat{}}, `{"title":"Gig","price":10,"seat":{}}`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(bodyOf(tc.in))
		if err != nil || string(b) != tc.want {
			t.Errorf("%+v sent as %s (%v), want %s", tc.in, b, err, tc.want)
		}
	}
}
