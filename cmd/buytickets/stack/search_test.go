package stack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/shared/testenv"
)

// eventListing is a listing's body with an event in city at startsAt.
func eventListing(title string, price float64, event, city string, startsAt time.Time) map[string]any {
	return map[string]any{"title": title, "price": price, "event": map[string]any{
		"name": event, "city": city, "startsAt": startsAt.UTC().Format(time.RFC3339),
	}}
}

// nextPageLink is the next page a listing's Link header names.
var nextPageLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// searched follows a search's pages from /api/tickets?query and returns
// the ids found, in order; between pages it calls between.
func (u *user) searched(query string, between func()) []string {
	u.t.Helper()
	var found []string
	for path := "/api/tickets?" + query; path != ""; {
		resp, raw := u.send("GET", path, nil)
		if resp.StatusCode != http.StatusOK {
			u.t.Fatalf("GET %s = %d %s", path, resp.StatusCode, raw)
		}
		var page []ticket
		if err := json.Unmarshal(raw, &page); err != nil {
			u.t.Fatalf("GET %s: %s: %v", path, raw, err)
		}
		for _, tk := range page {
			found = append(found, tk.ID)
		}
		path = ""
		if m := nextPageLink.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			path = m[1]
			if between != nil {
				between()
			}
		}
	}
	return found
}

func TestAListingLeavesTheShopWhenItsEventStartsAndCannotBeOrderedThen(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	starts := time.Now().Add(3 * time.Second).Truncate(time.Second)
	var tk ticket
	seller.must(http.StatusCreated, "POST", "/api/tickets", eventListing("Doors at eight", 30, "Quartet", "Lyon", starts), &tk)
	if got := seller.searched("q=quartet", nil); !slices.Equal(got, []string{tk.ID}) {
		t.Fatalf("before the start the shop finds %v", got)
	}
	time.Sleep(time.Until(starts) + 100*time.Millisecond)
	if got := seller.searched("q=quartet", nil); len(got) != 0 {
		t.Errorf("once the event started the shop still finds %v", got)
	}
	status, raw := buyer.do("POST", "/api/orders", map[string]string{"ticketId": tk.ID}, nil)
	if status != http.StatusBadRequest || errorMessage(raw) != "This event has already started" {
		t.Errorf("an order once the event started = %d %s", status, raw)
	}
}

func TestSearchingTheShopByEveryFilterAndPagingWhileListingsArrive(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller := signUp(t, s, "seller")
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 2)
	list := func(body map[string]any) string {
		var tk ticket
		seller.must(http.StatusCreated, "POST", "/api/tickets", body, &tk)
		return tk.ID
	}
	opera := list(eventListing("Opéra de nuit", 90, "La Traviata", "Genève", day.Add(20*time.Hour)))
	blues := list(eventListing("Blues club", 25, "Delta Blues", "Geneva", day.AddDate(0, 0, 7).Add(21*time.Hour)))
	fado := list(eventListing("Fado night", 40, "Casa do Fado", "Lisboa", day.AddDate(0, 0, 1).Add(22*time.Hour)))
	date := func(d time.Time) string { return d.Format(time.DateOnly) }
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"q=opera", []string{opera}},
		{"q=" + url.QueryEscape("NUIT traviata"), []string{opera}},
		{"q=night", []string{fado}},
		{"city=geneve", []string{opera}},
		{"from=" + date(day) + "&to=" + date(day.AddDate(0, 0, 1)), []string{fado, opera}},
		{"minPrice=30&maxPrice=100", []string{fado, opera}},
		{"sort=price&limit=1", []string{blues, fado, opera}},
		{"sort=soonest&limit=2", []string{opera, fado, blues}},
		{"sort=soonest&minPrice=30&from=" + date(day.AddDate(0, 0, 1)), []string{fado}},
		{"q=blues&city=geneva&maxPrice=30&sort=price", []string{blues}},
		{"q=jazz", nil},
	} {
		if got := seller.searched(tc.query, nil); !slices.Equal(got, tc.want) {
			t.Errorf("%s found %v, want %v", tc.query, got, tc.want)
		}
	}

	// New listings arriving while a buyer pages through a search shift
	// nothing: every page follows the last one seen.
	arrived := 0
	got := seller.searched("minPrice=1&limit=1", func() {
		arrived++
		list(eventListing("Late show", 10, "Encore", "Paris", day.Add(time.Hour)))
	})
	if want := []string{fado, blues, opera}; !slices.Equal(got, want) || arrived != 2 {
		t.Errorf("paging while %d listings arrived found %v, want %v", arrived, got, want)
	}
}

// A buyer of a ticket for an event finds the event on the order, on the
// e-ticket and in the e-ticket's email, and the seller in the sale's.
func TestTheEventAndSeatFollowTheTicketToTheOrderTheETicketAndTheEmails(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	mail := testenv.Mailpit{API: s.MailURL()}
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	starts := time.Now().UTC().Truncate(time.Hour).Add(72 * time.Hour)
	body := eventListing("Gala night", 30, "Spring Gala", "Paris", starts)
	body["seat"] = map[string]any{"section": "Balcony", "row": "C", "number": "12"}
	var tk ticket
	seller.must(http.StatusCreated, "POST", "/api/tickets", body, &tk)
	o := buyer.order(tk.ID)
	buyer.paid(o)
	buyer.eticketOf(o, "valid")

	type described struct {
		Ticket struct {
			Event struct{ Name string } `json:"event"`
			Seat  struct{ Row string }  `json:"seat"`
		} `json:"ticket"`
		Event struct{ Name string } `json:"event"`
		Seat  struct{ Row string }  `json:"seat"`
	}
	var read described
	buyer.must(http.StatusOK, "GET", "/api/orders/"+o.ID, nil, &read)
	if read.Ticket.Event.Name != "Spring Gala" || read.Ticket.Seat.Row != "C" {
		t.Errorf("the order says %+v", read.Ticket)
	}
	var held []described
	buyer.must(http.StatusOK, "GET", "/api/etickets", nil, &held)
	if len(held) != 1 || held[0].Event.Name != "Spring Gala" || held[0].Seat.Row != "C" {
		t.Errorf("the e-tickets say %+v", held)
	}
	line := "Spring Gala · " + starts.Format("Mon 2 Jan 2006, 15:04 MST") + " · Paris · section Balcony, row C, seat 12"
	for _, who := range []*user{buyer, seller} {
		subjects(t, mail, who.email, 1)
		m := mail.Read(t, mail.To(t, who.email)[0].ID)
		if !strings.Contains(m.Text, line) {
			t.Errorf("the email to %s does not say %q:\n%s", who.email, line, m.Text)
		}
	}
}
