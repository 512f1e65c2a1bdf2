package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Recorded from the embedded stack's etickets: the codes of three orders,
// signed with a fixed key.
const (
	eticketCode  = "AGRC5Q2Y7RWTHF3B2MMZQDMEPPZWANAULRIJV7Z4NBQYKELRJLBFEVUMCR4XASGZOYQTPBSKU2MCAYGLGJXKIFZGVY4Z347BWNVWOOFT7BB2R4RP33HE75GPZ4GQ"
	usedCode     = "AGZT7VDJVV7EJKDS4QVKTUOINZAZ4XAHS27GX5DRPI35IWQKE7DQLURJQSRIHGLGDKRWCK4EQRR7PUBCLZVHPXXMJUXCSFCYIQTTP233DORUSW2GGFVGSYTN2IGA"
	revokedCode  = "AHCEVZL2X2HVLOMD6U53VTBPSNQFSXOPRNZ7NUWASWHTL3FJOHXEP5CUJBA5D7P5ETDGM77VSGE4HPGYV2TSABJF4B4ICGLCVVBKC3LYXA5GIZOK4GJJ5DHZXUFA"
	usedOrderID  = "b33fd469ad7e44a872e42aa9"
	paidOrder    = `{"id":"a22ec358fc6d339761d31998","userId":"d98cdccb72b00e66b5c5ddb0","status":"complete","expiresAt":"2026-11-26T20:48:30.368Z","createdAt":"2026-11-26T20:33:30.368Z","ticket":{"id":"0c1b48307f5f9e3575f1e271","title":"T3","price":13.5},"version":1}`
	validETicket = `{"code":"` + eticketCode + `","orderId":"a22ec358fc6d339761d31998","ticketId":"0c1b48307f5f9e3575f1e271","title":"T3","status":"valid","issuedAt":"2026-11-26T20:34:01.120Z"}`
	usedETicket  = `{"code":"` + usedCode + `","orderId":"b33fd469ad7e44a872e42aa9","ticketId":"7b1ac9c1ed0b795642dd598f","title":"T2","status":"used","issuedAt":"2026-11-26T20:30:00.000Z","checkedInAt":"2026-12-02T19:05:09.511Z"}`
	revokedETick = `{"code":"` + revokedCode + `","orderId":"c44ae57abe8f55b983f53bba","ticketId":"5d2c1b0a9e8f7d6c5b4a3928","title":"T1","status":"revoked","issuedAt":"2026-11-26T20:20:00.000Z"}`
	checkedIn    = `{"code":"` + eticketCode + `","checkedInAt":"2026-12-02T19:05:09.511Z"}`
	usedAtText   = `<time datetime="2026-12-02T19:05:09Z">2 Dec 2026, 19:05:09 UTC</time>`
)

// groupedCode is eticketCode as the page writes it, in groups of four.
var groupedCode = func() string {
	var groups []string
	for c := eticketCode; c != ""; c = c[min(4, len(c)):] {
		groups = append(groups, c[:min(4, len(c))])
	}
	return strings.Join(groups, " ")
}()

func TestPaidOrderShowsItsETicketQRAndCodeReadyToPrint(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{
		"GET /api/orders/" + orderID: {body: paidOrder},
		"GET /api/etickets":          {body: `[` + validETicket + `,` + usedETicket + `]`},
	}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.get("/orders/"+orderID, signedInCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200:\n%s", resp.StatusCode, page)
	}
	mustContain(t, page,
		`data-status="paid">Paid</span>`,
		`<section class="card eticket" aria-labelledby="eticket-`+orderID+`" data-eticket data-code="`+eticketCode+`">`,
		`<img class="qr" src="/api/etickets/`+eticketCode+`/qr.svg" width="240" height="240" alt="QR code of this e-ticket's code, which is also written below"`,
		`<dd class="code" data-code-text>`+groupedCode+`</dd>`,
		`data-status="valid">Valid</span>`,
		`<button type="button" data-print hidden>Print</button>`,
		`<script src="/static/eticket.js" defer></script>`)
	if strings.Contains(page, usedCode) {
		t.Errorf("the order page shows another order's e-ticket")
	}
}

func TestPaidOrderFindsItsETicketOnALaterPage(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{
		"GET /api/orders/" + orderID:                            {body: paidOrder},
		"GET /api/etickets?limit=100":                           {body: `[` + usedETicket + `]`, link: `</api/etickets?limit=100&after=` + usedOrderID + `>; rel="next"`},
		"GET /api/etickets?after=" + usedOrderID + "&limit=100": {body: `[` + validETicket + `]`},
	}}
	s := newStorefront(t, a, "", time.Time{})
	mustContain(t, body(t, s.get("/orders/"+orderID, signedInCookies...)), `data-code="`+eticketCode+`"`)
}

func TestPaidOrderSaysItsETicketIsBeingIssued(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{
		"GET /api/orders/" + orderID: {body: paidOrder},
		"GET /api/etickets":          {body: `[` + usedETicket + `]`},
	}}
	s := newStorefront(t, a, "", time.Time{})
	page := body(t, s.get("/orders/"+orderID, signedInCookies...))
	mustContain(t, page,
		`<p role="status" data-eticket-note>Your e-ticket is being issued… <a href="/orders/`+orderID+`">Refresh</a></p>`,
		`<script src="/static/eticket.js" defer></script>`)
	// A delayed meta refresh fails WCAG 2.2.1; eticket.js fetches the
	// page again instead, and the link does without JavaScript.
	if strings.Contains(page, `http-equiv="refresh"`) || strings.Contains(page, "data-eticket ") {
		t.Errorf("a page waiting for its e-ticket reloads itself or shows one:\n%s", page)
	}
}

func TestPaidOrderIsShownWhenETicketsCannotAnswer(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusInternalServerError} {
		a := &recordedAPI{answers: map[string]answer{
			"GET /api/orders/" + orderID: {body: paidOrder},
			"GET /api/etickets":          {status: status, body: `{"errors":[{"message":"Service unavailable"}]}`},
		}}
		s := newStorefront(t, a, "", time.Time{})
		resp := s.get("/orders/"+orderID, signedInCookies...)
		page := body(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("etickets answering %d: the order page answered %d, want 200", status, resp.StatusCode)
		}
		mustContain(t, page, `data-status="paid">Paid</span>`, `data-eticket-note>Your e-ticket cannot be shown just now. <a href="/orders/`+orderID+`">Refresh</a>`)
	}
}

func TestUnpaidOrderLooksForNoETicket(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/orders/" + orderID: {body: orderJSON}}}
	s := newStorefront(t, a, "", orderExpiresAt.Add(-time.Minute))
	page := body(t, s.get("/orders/"+orderID, signedInCookies...))
	if slices.Contains(a.made(), "GET /api/etickets") || strings.Contains(page, "e-ticket") {
		t.Errorf("an order awaiting payment asked for or shows an e-ticket: calls %q", a.made())
	}
}

func TestMyTicketsShowsEachETicketsStatusInWords(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/etickets?limit=20": {
		body: `[` + validETicket + `,` + usedETicket + `,` + revokedETick + `]`,
		link: `</api/etickets?limit=20&after=c44ae57abe8f55b983f53bba>; rel="next"`,
	}}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.get("/etickets", signedInCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200:\n%s", resp.StatusCode, page)
	}
	mustContain(t, page,
		`<title>My tickets · Buytickets</title>`,
		`<a href="/etickets">My tickets</a>`,
		`<a href="/etickets/`+eticketCode+`">T3</a>`,
		`<span class="badge valid" data-status="valid">Valid</span>`,
		`<a href="/etickets/`+usedCode+`">T2</a>`,
		`<span class="badge used" data-status="used">Used at `+usedAtText+`</span>`,
		`<span class="badge revoked" data-status="revoked">Revoked</span>`,
		`<a href="/etickets?after=c44ae57abe8f55b983f53bba" rel="next">Next page</a>`)

	a.answers = map[string]answer{"GET /api/etickets": {body: `[]`}}
	mustContain(t, body(t, s.get("/etickets", signedInCookies...)), `<p class="empty" data-empty>You have no e-tickets yet.`)
}

func TestETicketPageShowsItsQRAndCodeToItsHolder(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{
		"GET /api/etickets/" + usedCode: {body: usedETicket},
	}}
	s := newStorefront(t, a, "", time.Time{})
	page := body(t, s.get("/etickets/"+usedCode, signedInCookies...))
	mustContain(t, page,
		`<h1>T2</h1>`,
		`<img class="qr" src="/api/etickets/`+usedCode+`/qr.svg"`,
		`data-status="used">Used at `+usedAtText,
		`<script src="/static/eticket.js" defer></script>`)

	for path, why := range map[string]string{
		"/etickets/" + eticketCode:              "an e-ticket the API does not show this user",
		"/etickets/not-a-code":                  "a path that cannot be a code",
		"/etickets/" + strings.Repeat("A", 300): "a code too long",
	} {
		resp := s.get(path, signedInCookies...)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", why, resp.StatusCode)
		}
	}
	for _, call := range a.made() {
		if strings.Contains(call, "not-a-code") || strings.Contains(call, "AAAA") {
			t.Errorf("a code that cannot be one reached the API: %s", call)
		}
	}
}

func TestAPaidOrderAndItsETicketSayTheEventAndSeat(t *testing.T) {
	t.Parallel()
	const event = `"event":{"name":"Spring Gala","venue":"Salle Pleyel","city":"Paris","startsAt":"2027-06-01T18:00:00Z"},"seat":{"section":"Balcony","row":"C","number":"12"}`
	order := strings.Replace(paidOrder, `"price":13.5}`, `"price":13.5,`+event+`}`, 1)
	eticket := strings.Replace(validETicket, `"status":"valid"`, `"status":"valid",`+event, 1)
	a := &recordedAPI{answers: map[string]answer{
		"GET /api/orders/" + orderID: {body: order},
		"GET /api/etickets":          {body: `[` + eticket + `]`},
	}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.get("/orders/"+orderID, signedInCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200:\n%s", resp.StatusCode, page)
	}
	mustContain(t, page,
		`<p class="event" data-order-event><span data-event-name>Spring Gala</span>`,
		`data-event-place>Salle Pleyel, Paris</span>`,
		`<p data-order-seat>Section Balcony, Row C, Seat 12</p>`,
		`<dt>Event</dt>`,
		`<dd data-eticket-seat>Section Balcony, Row C, Seat 12</dd>`,
		`Tue 1 Jun 2027, 18:00 UTC`)
}
