package orders_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestABuyersOrdersComeInPagesNewestFirst(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	buyer := f.user("buyer")
	var placed []string
	for i := range 5 {
		placed = append(placed, buyer.mustOrder(f.listTicket("seller", "Concert", 10)).ID)
		f.clock.Advance(time.Second * time.Duration(i+1))
	}
	// Newest first, two at a time, following the Link header.
	var got []string
	next := "/api/orders?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatalf("more than 3 pages of 2 for 5 orders")
		}
		res := buyer.Get(next)
		var page []orderBody
		if res.Code != http.StatusOK || json.Unmarshal(res.Body, &page) != nil || len(page) == 0 || len(page) > 2 {
			t.Fatalf("GET %s: %d %s", next, res.Code, res.Body)
		}
		for _, o := range page {
			got = append(got, o.ID)
		}
		next = ""
		if link := res.Header.Get("Link"); link != "" {
			target, rel, _ := strings.Cut(link, ">; ")
			if rel != `rel="next"` {
				t.Fatalf("Link %q", link)
			}
			next = strings.TrimPrefix(target, "<")
		}
	}
	for i := range placed {
		if i >= len(got) || got[i] != placed[len(placed)-1-i] {
			t.Fatalf("pages gave %v, want %v newest first", got, placed)
		}
	}
	// Without parameters, one page holds them all, as the seed's client reads them.
	var all []orderBody
	if res := buyer.Get("/api/orders"); json.Unmarshal(res.Body, &all) != nil || len(all) != 5 || res.Header.Get("Link") != "" {
		t.Errorf("GET /api/orders: %d orders, Link %q; want all 5 and no next page", len(all), res.Header.Get("Link"))
	}
}

func TestABadPageOfOrdersIsRefusedNamingTheParameter(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	buyer := f.user("buyer")
	for query, field := range map[string]string{
		"limit=0": "limit", "limit=101": "limit", "limit=ten": "limit", "after=nope": "after",
	} {
		res := buyer.Get("/api/orders?" + query)
		errs := errorsOf(t, res)
		if res.Code != http.StatusBadRequest || len(errs) != 1 || errs[0].Field != field {
			t.Errorf("GET /api/orders?%s: %d %s, want 400 naming %s", query, res.Code, res.Body, field)
		}
	}
}
