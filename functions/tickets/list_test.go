package tickets_test

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

// nextPage matches the Link header of a listing with more to come.
var nextPage = regexp.MustCompile(`^<(/api/tickets\?[^>]+)>; rel="next"$`)

// pages follows a listing's Link headers from path until the last page and
// returns every page.
func (c client) pages(path string) [][]ticketBody {
	c.f.tb.Helper()
	var pages [][]ticketBody
	for path != "" {
		res := c.get(path)
		pages = append(pages, ticketsOf(c.f.tb, res))
		path = ""
		if link := res.Header.Get("Link"); link != "" {
			m := nextPage.FindStringSubmatch(link)
			if m == nil {
				c.f.tb.Fatalf("Link %q is not a next page of the listing", link)
			}
			path = m[1]
		}
		if len(pages) > 100 {
			c.f.tb.Fatal("the listing never ends")
		}
	}
	return pages
}

func ids(ts []ticketBody) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestTheListingShowsTicketsOnSaleNewestFirstPageByPage(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	var created []ticketBody
	for i := range 7 {
		created = append(created, f.as(fmt.Sprintf("seller-%d", i%2)).create(fmt.Sprintf("Ticket %d", i), 10+i))
		f.clock.Advance(time.Second)
	}
	// Reserved and sold tickets are not on sale.
	f.mustDeliver(orderCreated(t, "order-1", created[2].ID, 1), orderCompleted(t, "order-2", created[5].ID, 1))
	var want []string
	for i := len(created) - 1; i >= 0; i-- {
		if i != 2 && i != 5 {
			want = append(want, created[i].ID)
		}
	}

	pages := f.anon().pages("/api/tickets?limit=2")
	var got []string
	for i, p := range pages {
		got = append(got, ids(p)...)
		if i < len(pages)-1 && len(p) != 2 {
			t.Errorf("page %d holds %d tickets, want 2", i, len(p))
		}
		for _, tk := range p {
			if tk.Status != "available" {
				t.Errorf("the listing shows %+v", tk)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(pages) != 3 {
		t.Errorf("%d pages of %v, want 3 of %v", len(pages), got, want)
	}

	res := f.anon().get("/api/tickets?limit=2")
	if link, want := res.Header.Get("Link"), fmt.Sprintf(`</api/tickets?limit=2&after=%s>; rel="next"`, want[1]); link != want {
		t.Errorf("Link %q, want %q", link, want)
	}
	if all := ticketsOf(t, f.anon().get("/api/tickets")); fmt.Sprint(ids(all)) != fmt.Sprint(want) {
		t.Errorf("one page by default: %v, want %v", ids(all), want)
	}
	// A full page with nothing after it has no next page.
	if res := f.anon().get("/api/tickets?limit=5"); res.Header.Get("Link") != "" {
		t.Errorf("the last page links to %q", res.Header.Get("Link"))
	}
}

func TestAnEmptyListingIsAnEmptyArray(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	res := f.anon().get("/api/tickets")
	if res.Code != http.StatusOK || string(res.Body) != "[]\n" || res.Header.Get("Link") != "" {
		t.Errorf("empty listing: %d %q, Link %q; want 200 []", res.Code, res.Body, res.Header.Get("Link"))
	}
	res = f.as("seller").get("/api/tickets?seller=me")
	if res.Code != http.StatusOK || string(res.Body) != "[]\n" {
		t.Errorf("empty listing of mine: %d %q; want 200 []", res.Code, res.Body)
	}
}

func TestSellerMeListsTheCallersOwnTicketsInEveryStatus(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller, other := f.as("seller"), f.as("other")
	a := seller.create("A", 10)
	f.clock.Advance(time.Second)
	other.create("Not mine", 10)
	f.clock.Advance(time.Second)
	b := seller.create("B", 10)
	f.clock.Advance(time.Second)
	c := seller.create("C", 10)
	f.mustDeliver(orderCreated(t, "order-1", a.ID, 1), orderCompleted(t, "order-2", b.ID, 1))

	var got []ticketBody
	for _, p := range seller.pages("/api/tickets?seller=me&limit=2") {
		got = append(got, p...)
	}
	if fmt.Sprint(ids(got)) != fmt.Sprint([]string{c.ID, b.ID, a.ID}) {
		t.Fatalf("mine = %v, want %v", ids(got), []string{c.ID, b.ID, a.ID})
	}
	if got[0].Status != "available" || got[1].Status != "sold" || got[1].OrderID != "order-2" ||
		got[2].Status != "reserved" || got[2].OrderID != "order-1" {
		t.Errorf("mine = %+v, want available, sold and reserved", got)
	}
	res := seller.get("/api/tickets?seller=me&limit=1")
	if link, want := res.Header.Get("Link"), fmt.Sprintf(`</api/tickets?limit=1&after=%s&seller=me>; rel="next"`, c.ID); link != want {
		t.Errorf("Link %q, want %q", link, want)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a private listing, want no-store", cc)
	}
	httpxtest.WantErrors(t, f.anon().get("/api/tickets?seller=me"), http.StatusUnauthorized, item("Not authorized", ""))
}

func TestBadListingQueriesAreRefused(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 10)
	limit := item("Limit must be a whole number from 1 to 100", "limit")
	after := item("After must be the id of a ticket", "after")
	seller := item(`Seller must be "me"`, "seller")
	tests := []struct {
		query string
		want  []any
	}{
		{"limit=0", []any{limit}},
		{"limit=101", []any{limit}},
		{"limit=-1", []any{limit}},
		{"limit=abc", []any{limit}},
		{"limit=1.5", []any{limit}},
		{"limit=99999999999999999999", []any{limit}},
		{"after=nope", []any{after}},
		{"after=" + tk.ID + "x", []any{after}},
		{"after=%2F..%2F", []any{after}},
		{"after=0123456789abcdef01234567", []any{after}}, // well formed, but no ticket
		{"seller=someone", []any{seller}},
		{"seller=" + tk.UserID, []any{seller}},
		{"limit=0&after=x&seller=you", []any{limit, after, seller}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			res := f.as("seller").get("/api/tickets?" + tc.query)
			if res.Code != http.StatusBadRequest {
				t.Fatalf("%s: %d %s, want 400", tc.query, res.Code, res.Body)
			}
			if got := httpxtest.Errors(t, res); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: %+v, want %+v", tc.query, got, tc.want)
			}
		})
	}
}

func TestATicketIsFoundInAnyStatusAndNothingElseIs(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 10)
	f.mustDeliver(orderCreated(t, "order-1", tk.ID, 1))
	if got := f.ticket(tk.ID); got.Status != "reserved" || got.OrderID != "order-1" || got.Version != 1 {
		t.Errorf("reserved ticket = %+v", got)
	}
	for _, path := range []string{
		"/api/tickets/0123456789abcdef01234567", // well formed, unknown
		"/api/tickets/not-an-id",
		"/api/tickets/" + tk.ID[:23],
		"/api/tickets/" + tk.ID + "/extra",
		"/api/tickets/%2e%2e",
		"/api/tickets/" + tk.ID[:23] + "%00",
	} {
		res := f.anon().get(path)
		if res.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want 404", path, res.Code, res.Body)
			continue
		}
		httpxtest.Errors(t, res)
	}
}
