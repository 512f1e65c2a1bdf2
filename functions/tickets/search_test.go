package tickets_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// listing is a listing's body with an event at startsAt in city ("" for
// a listing that names no event).
func listing(title string, price int, event, venue, city, startsAt string) string {
	if event == "" {
		return fmt.Sprintf(`{"title":%q,"price":%d}`, title, price)
	}
	return fmt.Sprintf(`{"title":%q,"price":%d,"event":{"name":%q,"venue":%q,"city":%q,"startsAt":%q}}`,
		title, price, event, venue, city, startsAt)
}

// found is every ticket a search finds, page after page.
func found(c client, query string) []string {
	var out []string
	for _, p := range c.pages("/api/tickets?" + query) {
		out = append(out, ids(p)...)
	}
	return out
}

func TestSearchFindsListingsByWordsCityDateAndPriceInTheOrderAskedOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "tickets", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		seller := f.as("seller")
		var gala, jazz, rock, cafe string
		for _, l := range []struct {
			id   *string
			body string
		}{
			{&gala, listing("Gala night", 80, "Spring Gala", "Salle Pleyel", "Paris", "2030-01-03T19:00:00Z")},
			{&jazz, listing("Jazz night", 35, "Blue Note Jazz", "Blue Note", "Zürich", "2030-01-10T20:00:00Z")},
			{&rock, listing("Rock concert", 120, "Rock am Ring", "Nürburgring", "Nürburg", "2030-02-01T16:00:00Z")},
			{&cafe, listing("Café concert", 15, "", "", "", "")},
		} {
			*l.id = ticketOf(t, seller.post("/api/tickets", l.body), http.StatusCreated).ID
			f.clock.Advance(time.Second)
		}
		anon := f.anon()
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"q=gala", []string{gala}},
			{"q=CONC&limit=1", []string{cafe, rock}},
			{"q=cafe", []string{cafe}},
			{"q=" + url.QueryEscape("rock RING"), []string{rock}},
			{"q=" + url.QueryEscape("rock jazz"), nil},
			{"q=pleyel", []string{gala}},
			{"city=zurich", []string{jazz}},
			{"city=" + url.QueryEscape("ZÜRICH"), []string{jazz}},
			{"from=2030-01-05&to=2030-01-31", []string{jazz}},
			{"to=2030-01-03", []string{gala}},
			{"from=2030-01-10T20:00:00Z", []string{rock, jazz}},
			{"minPrice=30&maxPrice=100", []string{jazz, gala}},
			{"maxPrice=15", []string{cafe}},
			{"sort=price&limit=1", []string{cafe, jazz, gala, rock}},
			{"sort=price&minPrice=30&maxPrice=120", []string{jazz, gala, rock}},
			{"sort=soonest&limit=2", []string{gala, jazz, rock}},
			{"sort=soonest&from=2030-01-04&limit=1", []string{jazz, rock}},
			{"sort=soonest&q=concert", []string{rock}},
			{"sort=newest&q=concert&maxPrice=100", []string{cafe}},
			{"q=night&city=paris&minPrice=50&sort=soonest", []string{gala}},
		} {
			if got := found(anon, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s found %v, want %v", tc.query, got, tc.want)
			}
		}
		res := anon.get("/api/tickets?q=concert&sort=price&limit=1")
		if link := res.Header.Get("Link"); !strings.Contains(link, "q=concert") || !strings.Contains(link, "sort=price") {
			t.Errorf("the next page's link %q forgets the search", link)
		}
	})
}

func TestPagingThroughASearchWhileListingsArriveHasNoGapsOrRepeats(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	var want []string
	for i := range 6 {
		want = append([]string{ticketOf(t, seller.post("/api/tickets", listing(fmt.Sprintf("Concert %d", i), 10+i, "", "", "", "")), http.StatusCreated).ID}, want...)
		f.clock.Advance(time.Second)
	}
	var got []string
	for path := "/api/tickets?q=concert&limit=2"; path != ""; {
		res := f.anon().get(path)
		got = append(got, ids(ticketsOf(t, res))...)
		// A new concert arrives between every two pages.
		f.clock.Advance(time.Second)
		ticketOf(t, seller.post("/api/tickets", listing("Concert late", 50, "", "", "", "")), http.StatusCreated)
		path = ""
		if m := nextPage.FindStringSubmatch(res.Header.Get("Link")); m != nil {
			path = m[1]
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages of the search held %v, want %v", got, want)
	}
}

func TestBadSearchesAreRefusedNamingTheParameter(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	for _, tc := range []struct {
		query string
		want  httpx.ErrorItem
	}{
		{"q=" + strings.Repeat("a", 201), item("Search must be at most 200 characters", "q")},
		{"city=" + strings.Repeat("a", 101), item("City must be at most 100 characters", "city")},
		{"from=tomorrow", item("From must be a date (2027-06-01) or a date and time (2027-06-01T20:00:00Z)", "from")},
		{"to=2030-13-01", item("To must be a date (2027-06-01) or a date and time (2027-06-01T20:00:00Z)", "to")},
		{"from=2030-02-01&to=2030-01-01", item("To must be after from", "to")},
		{"minPrice=-1", item("minPrice must be an amount in dollars such as 25 or 19.99", "minPrice")},
		{"maxPrice=1.234", item("maxPrice must be an amount in dollars such as 25 or 19.99", "maxPrice")},
		{"minPrice=50&maxPrice=10", item("maxPrice must not be below minPrice", "maxPrice")},
		{"sort=cheapest", item(`Sort must be "newest", "soonest" or "price"`, "sort")},
	} {
		httpxtest.WantErrors(t, f.anon().get("/api/tickets?"+tc.query), http.StatusBadRequest, tc.want)
	}
	httpxtest.WantErrors(t, f.as("seller").get("/api/tickets?seller=me&q=gala"), http.StatusBadRequest,
		item("A search looks through the shop; it cannot be combined with seller=me", "seller"))
}
