package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Tickets with events, as the tickets API answers them.
const (
	jazzID   = "0c1b48307f5f9e3575f1e271"
	operaID  = "7b1ac9c1ed0b795642dd598f"
	jazzJSON = `{"id":"0c1b48307f5f9e3575f1e271","title":"Jazz, front row","price":45,"userId":"f35bbc050a75c55289bc74ce","status":"available","version":0,"createdAt":"2029-12-20T10:00:00Z",` +
		`"event":{"name":"Blue Note Night","venue":"New Morning","city":"Paris","startsAt":"2030-01-03T19:00:00Z"},"seat":{"section":"A","row":"3","number":"12"}}`
	operaJSON = `{"id":"7b1ac9c1ed0b795642dd598f","title":"Opera, balcony","price":80,"userId":"f35bbc050a75c55289bc74ce","status":"available","version":0,"createdAt":"2029-12-20T09:00:00Z",` +
		`"event":{"name":"Tosca","city":"Lyon","startsAt":"2030-02-14T18:30:00Z"}}`
	searchBad = `{"errors":[{"message":"maxPrice must not be below minPrice","field":"maxPrice"},{"message":"To must be after from","field":"to"}]}`
	startBad  = `{"errors":[{"message":"Start time must be in the future","field":"event.startsAt"},{"message":"Event name is required","field":"event.name"}]}`
)

// shopNow is the storefront's clock in these tests: the jazz night is
// within the week, the opera later.
var shopNow = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

var paris = &http.Cookie{Name: "tz", Value: "Europe%2FParis"}

func TestHomePassesTheSearchToTheAPIAndKeepsItInTheFormAndTheNextLink(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {body: `[` + jazzJSON + `,` + operaJSON + `]`,
		link: `</api/tickets?limit=20&after=` + operaID + `&q=jazz>; rel="next"`}}}
	s := newStorefront(t, a, "", shopNow)
	resp := s.get("/?q=+jazz+&city=Paris&from=2030-01-01&to=2030-01-31&minPrice=10&maxPrice=50&sort=soonest", paris)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200:\n%s", resp.StatusCode, page)
	}
	// The dates are whole days in the visitor's zone, the to day included.
	want := url.Values{"q": {"jazz"}, "city": {"Paris"}, "from": {"2030-01-01T00:00:00+01:00"}, "to": {"2030-02-01T00:00:00+01:00"},
		"minPrice": {"10"}, "maxPrice": {"50"}, "sort": {"soonest"}, "limit": {"20"}}
	if got := a.lastSent(t, "GET /api/tickets").query; got.Encode() != want.Encode() {
		t.Errorf("the API was asked %s, want %s", got.Encode(), want.Encode())
	}
	mustContain(t, page,
		`role="search"`, `<form method="get" action="/"`,
		`name="q" type="search" value="jazz"`, `name="city" type="text" value="Paris"`,
		`name="from" type="date" value="2030-01-01"`, `name="to" type="date" value="2030-01-31"`,
		`name="minPrice" type="text" value="10" inputmode="decimal"`, `name="maxPrice" type="text" value="50"`,
		`<option value="soonest" selected>Soonest event</option>`,
		`Dates are whole days in the time zone <span data-zone-name>Europe/Paris</span>`,
		`<a href="/?after=`+operaID+`&amp;city=Paris&amp;from=2030-01-01&amp;maxPrice=50&amp;minPrice=10&amp;q=jazz&amp;sort=soonest&amp;to=2030-01-31" rel="next">Next page</a>`,
		`<a href="/" data-clear-search>Clear the search</a>`)
}

func TestHomeWithoutAZoneReadsTheDatesInUTCAndSaysSo(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {body: `[]`}}}
	s := newStorefront(t, a, "", shopNow)
	page := body(t, s.get("/?from=2030-01-01&to=2030-01-01"))
	q := a.lastSent(t, "GET /api/tickets").query
	if q.Get("from") != "2030-01-01T00:00:00Z" || q.Get("to") != "2030-01-02T00:00:00Z" {
		t.Errorf("the API was asked from %s to %s, want the whole first of January in UTC", q.Get("from"), q.Get("to"))
	}
	mustContain(t, page, `<span data-zone-name>UTC</span>`)
}

func TestHomeShowsEachTicketsEventAndSeatInTheVisitorsZone(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {body: `[` + jazzJSON + `,` + operaJSON + `]`}}}
	s := newStorefront(t, a, "", shopNow)
	mustContain(t, body(t, s.get("/", paris)),
		`<span data-event-name>Blue Note Night</span> · <time datetime="2030-01-03T19:00:00Z" data-event-when>Thu 3 Jan 2030, 20:00 CET</time> · <span data-event-place>New Morning, Paris</span>`,
		`<p class="seat" data-seat>Section A, Row 3, Seat 12</p>`,
		`<span data-event-name>Tosca</span> · <time datetime="2030-02-14T18:30:00Z" data-event-when>Thu 14 Feb 2030, 19:30 CET</time> · <span data-event-place>Lyon</span>`)
	mustContain(t, body(t, s.get("/")), `data-event-when>Thu 3 Jan 2030, 19:00 UTC</time>`)
}

func TestHomeSortedBySoonestSplitsThisWeekFromLater(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {body: `[` + jazzJSON + `,` + operaJSON + `]`}}}
	s := newStorefront(t, a, "", shopNow)
	page := body(t, s.get("/?sort=soonest"))
	mustContain(t, page, `<h2 id="this-week">This week</h2>`, `<h2 id="later">Later</h2>`)
	week, later := strings.Index(page, `id="this-week"`), strings.Index(page, `id="later"`)
	jazz, opera := strings.Index(page, "Blue Note Night"), strings.Index(page, "Tosca")
	if week >= jazz || jazz >= later || later >= opera {
		t.Errorf("want This week, the jazz night, Later, the opera; at %d %d %d %d", week, jazz, later, opera)
	}
	for _, other := range []string{"/", "/?sort=price", "/?sort=newest"} {
		if page := body(t, s.get(other)); strings.Contains(page, "This week") {
			t.Errorf("%s splits the listing into sections, which would undo its order", other)
		}
	}
}

func TestASearchThatFindsNothingSaysWhatToTry(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {body: `[]`}}}
	s := newStorefront(t, a, "", shopNow)
	tests := []struct {
		query string
		tips  []string
	}{
		{"q=zydeco+brass", []string{"Use fewer words"}},
		{"city=Atlantis", []string{"Try another city"}},
		{"from=2031-01-01&maxPrice=5", []string{"Widen the date range.", "Widen the price range."}},
		{"sort=soonest", []string{"Sort by newest listings"}},
	}
	for _, tc := range tests {
		page := body(t, s.get("/?"+tc.query))
		mustContain(t, page, append(tc.tips, "No tickets match your search.", `data-no-match`, `<a href="/">See all tickets for sale</a>`)...)
		if strings.Contains(page, "No tickets for sale yet") {
			t.Errorf("%s: a search that found nothing says the shop is empty", tc.query)
		}
	}
	if page := body(t, s.get("/?sort=newest")); !strings.Contains(page, "No tickets for sale yet") {
		t.Errorf("an empty shop in its own order is not the empty shop:\n%s", page)
	}
}

func TestARefusedSearchShowsTheAPIsReasonsNextToTheFields(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {status: 400, body: searchBad}}}
	s := newStorefront(t, a, "", shopNow)
	resp := s.get("/?minPrice=50&maxPrice=10&from=2030-02-01&to=2030-01-01")
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
	mustContain(t, page,
		`data-error-for="maxPrice">maxPrice must not be below minPrice</p>`,
		`aria-describedby="field-maxPrice-error"`,
		`data-error-for="to">To must be after from</p>`,
		`aria-describedby="search-dates-hint field-to-error" aria-invalid="true"`,
		`name="minPrice" type="text" value="50"`,
		`data-search-refused>Correct the search to see tickets.</p>`)
	if strings.Contains(page, "No tickets match") {
		t.Errorf("a refused search says it found nothing")
	}

	a.answers["GET /api/tickets"] = answer{status: 400, body: `{"errors":[{"message":"After must be the id of a ticket","field":"after"}]}`}
	if resp := s.get("/?after=nope&q=jazz"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a cursor that names no ticket answered %d, want 404", resp.StatusCode)
	}
}

// sentTicket is the body of a create or an edit as the API read it.
type sentTicket struct {
	Title string          `json:"title"`
	Price json.RawMessage `json:"price"`
	Event *struct {
		Name, Venue, City, StartsAt string
	} `json:"event"`
	Seat *struct {
		Section, Row, Number string
	} `json:"seat"`
}

func decodeSent(t *testing.T, r sentRequest) sentTicket {
	t.Helper()
	var st sentTicket
	if err := json.Unmarshal([]byte(r.body), &st); err != nil {
		t.Fatalf("%s sent %q: %v", r.route, r.body, err)
	}
	return st
}

func TestSellFormSendsTheEventInTheFormsZoneAndTheSeatOnlyWhenFilled(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"POST /api/tickets": {status: 201, body: jazzJSON}}}
	s := newStorefront(t, a, "", shopNow)

	page := body(t, s.get("/tickets/new", signedInCookies...))
	mustContain(t, page,
		`<legend>Event (optional)</legend>`, `<label for="field-event-name">Event name</label>`,
		`<input id="field-event-startsAt" name="event.startsAt" type="datetime-local" value="" aria-describedby="field-event-startsAt-hint">`,
		`Date and time in the time zone <span data-zone-name>UTC</span>.`,
		`<input type="hidden" name="tz" value="UTC" data-zone-input>`,
		`<legend>Seat (optional)</legend>`, `<label for="field-seat-number">Seat number</label>`,
		`<script src="/static/zone.js" defer></script>`)

	resp := s.post("/tickets/new", url.Values{"title": {"Jazz, front row"}, "price": {"45"}, "tz": {"Europe/Paris"},
		"event.name": {"Blue Note Night"}, "event.venue": {"New Morning"}, "event.city": {"Paris"}, "event.startsAt": {"2030-01-03T20:00"},
		"seat.section": {""}, "seat.row": {""}, "seat.number": {""}}, signedInCookies...)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tickets/"+jazzID {
		t.Fatalf("got %d to %q, want 303 to the ticket", resp.StatusCode, resp.Header.Get("Location"))
	}
	sent := decodeSent(t, a.lastSent(t, "POST /api/tickets"))
	if e := sent.Event; e == nil || e.Name != "Blue Note Night" || e.Venue != "New Morning" || e.City != "Paris" || e.StartsAt != "2030-01-03T20:00:00+01:00" {
		t.Errorf("sent event %+v, want the night in Paris time", e)
	}
	if sent.Seat != nil {
		t.Errorf("an empty seat was sent: %+v", sent.Seat)
	}

	s.post("/tickets/new", url.Values{"title": {"Gig"}, "price": {"10"}, "seat.row": {"3"}}, signedInCookies...)
	sent = decodeSent(t, a.lastSent(t, "POST /api/tickets"))
	if sent.Event != nil || sent.Seat == nil || sent.Seat.Row != "3" {
		t.Errorf("sent event %+v and seat %+v, want no event and row 3", sent.Event, sent.Seat)
	}
}

func TestSellFormShowsTheEventsErrorsNextToTheirFields(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"POST /api/tickets": {status: 400, body: startBad}}}
	s := newStorefront(t, a, "", shopNow)
	resp := s.post("/tickets/new", url.Values{"title": {"Gig"}, "price": {"10"}, "tz": {"Europe/Paris"},
		"event.city": {"Paris"}, "event.startsAt": {"2020-01-03T20:00"}}, signedInCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
	mustContain(t, page,
		`data-error-for="event.startsAt">Start time must be in the future</p>`,
		`aria-describedby="field-event-startsAt-hint field-event-startsAt-error" aria-invalid="true"`,
		`data-error-for="event.name">Event name is required</p>`,
		`name="event.startsAt" type="datetime-local" value="2020-01-03T20:00"`,
		`name="event.city" type="text" value="Paris"`,
		// The start is shown again in the zone it was typed in.
		`<input type="hidden" name="tz" value="Europe/Paris" data-zone-input>`)
	if strings.Contains(page, "data-form-error") {
		t.Errorf("a field's error is shown above the form as well")
	}
}

func TestEditFormShowsTheEventInTheVisitorsZoneAndAlwaysSendsTheSeat(t *testing.T) {
	t.Parallel()
	mine := strings.Replace(jazzJSON, "f35bbc050a75c55289bc74ce", "d98cdccb72b00e66b5c5ddb0", 1)
	a := &recordedAPI{answers: map[string]answer{
		"GET /api/tickets/" + jazzID: {body: mine},
		"PUT /api/tickets/" + jazzID: {body: mine},
	}}
	s := newStorefront(t, a, "", shopNow)
	page := body(t, s.get("/tickets/"+jazzID, append(signedInCookies, paris)...))
	mustContain(t, page,
		`<dd data-event-name>Blue Note Night</dd>`, `data-event-when>Thu 3 Jan 2030, 20:00 CET</time>`,
		`<dd data-event-place>New Morning, Paris</dd>`, `<dd data-seat>Section A, Row 3, Seat 12</dd>`,
		`name="event.startsAt" type="datetime-local" value="2030-01-03T20:00"`,
		`<input type="hidden" name="tz" value="Europe/Paris" data-zone-input>`,
		`name="seat.number" type="text" value="12"`,
		`An event can be changed, not removed.`)

	// Emptying the seat's inputs removes the seat; the event, all empty,
	// is kept.
	s.post("/tickets/"+jazzID, url.Values{"title": {"Jazz"}, "price": {"45"}}, signedInCookies...)
	sent := decodeSent(t, a.lastSent(t, "PUT /api/tickets/"+jazzID))
	if sent.Event != nil || sent.Seat == nil || *sent.Seat != (struct{ Section, Row, Number string }{}) {
		t.Errorf("sent event %+v and seat %+v, want no event and an empty seat", sent.Event, sent.Seat)
	}
}

func TestATicketForAnEventThatHasStartedCannotBeBought(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets/" + jazzID: {body: jazzJSON}}}
	s := newStorefront(t, a, "", time.Date(2030, 1, 3, 19, 0, 0, 0, time.UTC))
	page := body(t, s.get("/tickets/"+jazzID, signedInCookies...))
	mustContain(t, page, `data-not-for-sale>This event has already started.</p>`)
	if strings.Contains(page, `class="purchase"`) {
		t.Errorf("a ticket for an event that has started offers Purchase")
	}
}
