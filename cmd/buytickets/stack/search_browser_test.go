package stack_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The shop's search in the browser: a seller lists two tickets with their
// event and seat through the sell form, in Paris time, and buyers find
// them with the home page's search form, with JavaScript and without.
// The sell form and the search results are checked with axe-core.

// listingInput is what the sell form is given about a ticket's event and seat.
type listingInput struct {
	title, price, name, venue, city, seatRow string
	// startsAt is the datetime-local value typed, in the seller's zone.
	startsAt string
}

func TestBrowserBuyersSearchTheShopWithAndWithoutJavaScript(t *testing.T) {
	t.Parallel()
	s := storefront(t, 0)
	b := newBrowser(t, s.URL())
	seller := b.visitor("seller", true)
	seller.zone("Europe/Paris")
	seller.signUp()

	// The API's refusal of the event is shown next to its inputs.
	seller.open("/tickets/new", "sell")
	seller.fill("#field-title", "Yesterday's gig")
	seller.fill("#field-price", "10")
	seller.fill("#field-event-city", "Paris")
	seller.setValue("#field-event-startsAt", "2020-01-03T20:00")
	if status := seller.press("form[action='/tickets/new'] button[type=submit]", "sell-refused"); status != http.StatusBadRequest {
		t.Errorf("a refused listing answered %d, want 400", status)
	}
	if got := seller.text(`[data-error-for="event.name"]`); got != "Event name is required" {
		t.Errorf("the event's name shows %q next to it, want Event name is required", got)
	}
	if got := seller.text(`[data-error-for="event.startsAt"]`); got != "Start time must be in the future" {
		t.Errorf("the start shows %q next to it, want Start time must be in the future", got)
	}
	seller.accessible("sell-refused")

	// Whole hours, two and forty days ahead: this week, and later.
	soon := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	later := time.Now().Add(40 * 24 * time.Hour).Truncate(time.Hour)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	jazz := seller.sellEvent(listingInput{title: "Jazz quartet, front row", price: "45", name: "Blue Note Night",
		venue: "New Morning", city: "Paris", seatRow: "3", startsAt: soon.In(paris).Format("2006-01-02T15:04")})
	if got := seller.text(".ticket-detail [data-event-when]"); got != soon.In(paris).Format("Mon 2 Jan 2006, 15:04 MST") {
		t.Errorf("the ticket page shows the start as %q, want it in Paris time", got)
	}
	if got := seller.text(".ticket-detail [data-seat]"); got != "Row 3" {
		t.Errorf("the ticket page shows the seat as %q, want Row 3", got)
	}
	opera := seller.sellEvent(listingInput{title: "Opera, balcony", price: "80", name: "Tosca",
		venue: "Opéra de Lyon", city: "Lyon", startsAt: later.In(paris).Format("2006-01-02T15:04")})

	// With JavaScript, in Paris: words of the event's name find it.
	buyer := b.visitor("buyer", true)
	buyer.zone("Europe/Paris")
	buyer.open("/", "home")
	buyer.fill("#field-q", "blue note")
	buyer.press("[data-search-form] button[type=submit]", "searched-words")
	if got := buyer.found(); got != jazz {
		t.Errorf("searching blue note found %q, want the jazz night %s", got, jazz)
	}
	if got := eval[string](buyer, `document.querySelector("#field-q").value`); got != "blue note" {
		t.Errorf("the search box shows %q after the search, want blue note", got)
	}
	if got := buyer.text(".tickets [data-event-when]"); !strings.HasSuffix(got, soon.In(paris).Format("MST")) {
		t.Errorf("the card shows the start as %q, want it in Paris time", got)
	}
	buyer.accessible("search-results")

	// Sorted by soonest event, the results split into this week and later.
	buyer.open("/", "home-again")
	buyer.choose("#field-sort", "soonest")
	buyer.press("[data-search-form] button[type=submit]", "searched-soonest")
	if !buyer.listed(jazz) || !buyer.listed(opera) {
		t.Fatalf("sorting by soonest lists %q, want both tickets", buyer.text("main"))
	}
	if week := buyer.attr(`[data-section="this-week"] [data-ticket-id]`, "data-ticket-id"); week != jazz {
		t.Errorf("This week holds %q, want the jazz night", week)
	}
	if rest := buyer.attr(`[data-section="later"] [data-ticket-id]`, "data-ticket-id"); rest != opera {
		t.Errorf("Later holds %q, want the opera", rest)
	}
	buyer.accessible("search-sections")

	// Nothing found: the page says what to try.
	buyer.fill("#field-q", "zydeco brass")
	buyer.press("[data-search-form] button[type=submit]", "searched-nothing")
	if !buyer.has("[data-no-match]") || !strings.Contains(buyer.text("[data-no-match]"), "fewer words") {
		t.Errorf("a search that finds nothing shows %q, want what to try", buyer.text("main"))
	}
	buyer.accessible("search-empty")

	// Without JavaScript the form works the same, and times are in UTC,
	// which the page says.
	plain := b.visitor("plain", false)
	plain.open("/", "home")
	plain.fill("#field-city", "lyon")
	plain.setValue("#field-from", later.UTC().Format(time.DateOnly))
	if status := plain.press("[data-search-form] button[type=submit]", "searched-city"); status != http.StatusOK {
		t.Errorf("the search answered %d", status)
	}
	if got := plain.found(); got != opera {
		t.Errorf("searching Lyon from the opera's day found %q, want the opera %s", got, opera)
	}
	if got := plain.text(".tickets [data-event-when]"); !strings.HasSuffix(got, " UTC") {
		t.Errorf("without JavaScript the card shows the start as %q, want it in UTC", got)
	}
	if got := plain.text("#search-dates-hint [data-zone-name]"); got != "UTC" {
		t.Errorf("without JavaScript the form says dates are in %q, want UTC", got)
	}
	plain.accessible("search-results-no-js")

	plain.fill("#field-city", "Atlantis")
	plain.press("[data-search-form] button[type=submit]", "searched-nothing")
	if !plain.has("[data-no-match]") || !strings.Contains(plain.text("[data-no-match]"), "another city") {
		t.Errorf("a search that finds nothing shows %q, want what to try", plain.text("main"))
	}

	// A refused value is shown next to its input, never as an error page.
	plain.open("/", "home-again")
	plain.fill("#field-minPrice", "fifty")
	if status := plain.press("[data-search-form] button[type=submit]", "search-refused"); status != http.StatusBadRequest {
		t.Errorf("a refused search answered %d, want 400", status)
	}
	if got := plain.text(`[data-error-for="minPrice"]`); !strings.HasPrefix(got, "minPrice must be an amount") {
		t.Errorf("a price that is no number shows %q next to its input", got)
	}
	plain.accessible("search-refused")
}

// zone makes the visitor's browser live in the IANA time zone name.
func (v *visitor) zone(name string) {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(v.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: name}); err != nil {
		v.t.Fatalf("%s: set the time zone to %s: %v", v.name, name, err)
	}
}

// choose selects value in the select sel, as a click on the option does.
func (v *visitor) choose(sel, value string) {
	v.t.Helper()
	v.do("choose "+value+" in "+sel, chromedp.Evaluate[chromedp.Void](
		fmt.Sprintf(`document.querySelector(%s).value = %s`, strconv.Quote(sel), strconv.Quote(value))))
}

// setValue sets the value of the input sel, for inputs such as
// datetime-local whose keystrokes depend on the browser's locale.
func (v *visitor) setValue(sel, value string) {
	v.t.Helper()
	v.do("set "+sel, chromedp.Evaluate[chromedp.Void](
		fmt.Sprintf(`document.querySelector(%s).value = %s`, strconv.Quote(sel), strconv.Quote(value))))
}

// found is the id of the only ticket the page lists, "" when it lists
// none, and a list of them all when it lists several.
func (v *visitor) found() string {
	v.t.Helper()
	return eval[string](v, `Array.from(document.querySelectorAll(".tickets [data-ticket-id]")).map(li => li.dataset.ticketId).join(",")`)
}

// sellEvent lists a ticket for e through the sell form, checking the form
// with axe-core, and returns its id.
func (v *visitor) sellEvent(e listingInput) string {
	v.t.Helper()
	v.open("/tickets/new", "sell")
	if got := v.text("[data-zone-name]"); got == "" {
		v.t.Errorf("%s: the sell form does not say which zone the start is in", v.name)
	}
	v.fill("#field-title", e.title)
	v.fill("#field-price", e.price)
	v.fill("#field-event-name", e.name)
	v.fill("#field-event-venue", e.venue)
	v.fill("#field-event-city", e.city)
	v.setValue("#field-event-startsAt", e.startsAt)
	if e.seatRow != "" {
		v.fill("#field-seat-row", e.seatRow)
	}
	v.accessible("sell-form-filled")
	v.press("form[action='/tickets/new'] button[type=submit]", "listed")
	id := v.attr("[data-ticket-id]", "data-ticket-id")
	if id == "" || v.text("h1") != e.title || v.text(".ticket-detail [data-event-name]") != e.name {
		v.t.Fatalf("%s: selling %q landed on %s: %q", v.name, e.title, v.path(), v.text("main"))
	}
	return id
}
