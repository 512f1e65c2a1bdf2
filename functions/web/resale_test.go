package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Recorded from the embedded stack's tickets: the holder's resale listing
// of eticketCode, whose order paidOrder paid $13.50.
const (
	listingID     = "9e8d7c6b5a4f3e2d1c0b9a88"
	resaleListing = `{"id":"` + listingID + `","title":"T3","price":13.5,"userId":"d98cdccb72b00e66b5c5ddb0","status":"available","version":0,"createdAt":"2026-11-27T10:00:00.000Z","faceValue":13.5,"resaleOf":"` + eticketCode + `"}`
	listedETicket = `{"code":"` + eticketCode + `","orderId":"a22ec358fc6d339761d31998","ticketId":"0c1b48307f5f9e3575f1e271","title":"T3","status":"listed","issuedAt":"2026-11-26T20:34:01.120Z"}`
	aboveFace     = `{"errors":[{"message":"Resale price cannot exceed face value ($13.50)","field":"price"}]}`
)

// holderAPI answers as the API does the holder of eticketCode, e-ticket
// as etickets has it, whose own tickets are mine.
func holderAPI(eticket, mine string) *recordedAPI {
	return &recordedAPI{answers: map[string]answer{
		"GET /api/etickets/" + eticketCode: {body: eticket},
		"GET /api/orders/" + orderID:       {body: paidOrder},
		"GET /api/tickets":                 {body: mine},
	}}
}

func TestETicketPageOffersItsHolderToResellAtMostTheFaceValue(t *testing.T) {
	t.Parallel()
	s := newStorefront(t, holderAPI(validETicket, `[]`), "", time.Time{})
	resp := s.get("/etickets/"+eticketCode, signedInCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200:\n%s", resp.StatusCode, page)
	}
	mustContain(t, page,
		`<h2 id="resell-heading">Resell</h2>`,
		`<form method="post" action="/etickets/`+eticketCode+`/resell" novalidate data-resell-form>`,
		`data-face-value>You can resell for at most $13.50, what you paid.</p>`,
		`type="number" step="0.01" min="0.50" max="13.50"`,
		`value="13.50"`,
		`aria-describedby="field-price-hint"`,
		`<button type="submit">Resell</button>`)
}

func TestETicketPageOffersNoResaleToItsIssuerNorForAUsedOne(t *testing.T) {
	t.Parallel()
	a := holderAPI(validETicket, `[]`)
	a.answers["GET /api/orders/"+orderID] = answer{status: 401, body: notAuthBody}
	s := newStorefront(t, a, "", time.Time{})
	page := body(t, s.get("/etickets/"+eticketCode, signedInCookies...))
	mustContain(t, page, `data-status="valid">Valid</span>`)
	if strings.Contains(page, "data-resale") {
		t.Errorf("the issuer is offered to resell the holder's e-ticket")
	}
	if calledWith(a, "POST /api/users/refresh") {
		t.Errorf("the API's refusal of another's order was taken for an expired session: %q", a.made())
	}

	a.answers["GET /api/etickets/"+usedCode] = answer{body: usedETicket}
	if page := body(t, s.get("/etickets/"+usedCode, signedInCookies...)); strings.Contains(page, "data-resale") {
		t.Errorf("a used e-ticket is offered for resale")
	}
}

func TestResellAboveFaceValueIsRefusedNextToThePrice(t *testing.T) {
	t.Parallel()
	a := holderAPI(validETicket, `[]`)
	a.answers["POST /api/tickets"] = answer{status: 400, body: aboveFace}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/etickets/"+eticketCode+"/resell", url.Values{"price": {"13.51"}}, signedInCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
	mustContain(t, page,
		`<p class="error" id="field-price-error" data-error-for="price">Resale price cannot exceed face value ($13.50)</p>`,
		`aria-describedby="field-price-hint field-price-error" aria-invalid="true"`,
		`value="13.51"`)
}

func TestResellRefusalsAboutTheETicketAreShownAboveTheForm(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{"This e-ticket has already been used", "This e-ticket has been revoked",
		"This e-ticket is already listed for resale", "You hold no e-ticket with this code"} {
		a := holderAPI(validETicket, `[]`)
		a.answers["POST /api/tickets"] = answer{status: 400, body: `{"errors":[{"message":"` + msg + `","field":"resaleOf"}]}`}
		s := newStorefront(t, a, "", time.Time{})
		resp := s.post("/etickets/"+eticketCode+"/resell", url.Values{"price": {"10"}}, signedInCookies...)
		if page := body(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `<p data-form-error>`+msg+`</p>`) {
			t.Errorf("%q: status %d, page lacks the message:\n%s", msg, resp.StatusCode, page)
		}
	}
}

func TestResellListsTheETicketAndShowsItListed(t *testing.T) {
	t.Parallel()
	a := holderAPI(validETicket, `[]`)
	a.answers["POST /api/tickets"] = answer{status: 201, body: resaleListing}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/etickets/"+eticketCode+"/resell", url.Values{"price": {"13.50"}}, signedInCookies...)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/etickets/"+eticketCode {
		t.Fatalf("got %d to %q, want 303 to the e-ticket", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Tickets has the listing at once; etickets still says valid.
	a.answers["GET /api/tickets"] = answer{body: `[` + resaleListing + `]`}
	page := body(t, s.get("/etickets/"+eticketCode, signedInCookies...))
	mustContain(t, page,
		`<h2 id="resell-heading" data-resale-listed>Listed for resale</h2>`,
		`<span class="price" data-listing-price>$13.50</span>`,
		`<a href="/tickets/`+listingID+`">its listing</a>`,
		`data-receive>You receive $12.15 after the 10% fee, once it sells.</p>`,
		`<form method="post" action="/etickets/`+eticketCode+`/unlist" data-unlist-form>`,
		`<button type="submit" class="secondary">Stop reselling</button>`)
	if strings.Contains(page, "data-resell-form") {
		t.Errorf("a listed e-ticket is offered for resale again")
	}

	// Once etickets has heard, its status says so too.
	a.answers["GET /api/etickets/"+eticketCode] = answer{body: listedETicket}
	mustContain(t, body(t, s.get("/etickets/"+eticketCode, signedInCookies...)),
		`<span class="badge listed" data-status="listed">Listed for resale</span>`,
		`This e-ticket is listed for resale: it admits nobody while it is on sale.`)
}

func TestStopResellingWithdrawsTheListing(t *testing.T) {
	t.Parallel()
	a := holderAPI(listedETicket, `[`+resaleListing+`]`)
	a.answers["DELETE /api/tickets/"+listingID] = answer{body: strings.Replace(resaleListing, `"available"`, `"withdrawn"`, 1)}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/etickets/"+eticketCode+"/unlist", url.Values{}, signedInCookies...)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/etickets/"+eticketCode {
		t.Fatalf("got %d to %q, want 303 to the e-ticket", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !calledWith(a, "DELETE /api/tickets/"+listingID) {
		t.Errorf("the listing was not withdrawn: calls %q", a.made())
	}

	// A listing a buyer is paying for cannot be withdrawn: the page says so.
	a.answers["DELETE /api/tickets/"+listingID] = answer{status: 400, body: `{"errors":[{"message":"Cannot withdraw a reserved ticket"}]}`}
	resp = s.post("/etickets/"+eticketCode+"/unlist", url.Values{}, signedInCookies...)
	if page := body(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `<p data-form-error>Cannot withdraw a reserved ticket</p>`) {
		t.Errorf("a refused withdrawal answered %d:\n%s", resp.StatusCode, page)
	}
}

func TestStopResellingWithNoListingLeftShowsTheETicket(t *testing.T) {
	t.Parallel()
	withdrawn := strings.Replace(resaleListing, `"available"`, `"withdrawn"`, 1)
	a := holderAPI(listedETicket, `[`+withdrawn+`]`)
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/etickets/"+eticketCode+"/unlist", url.Values{}, signedInCookies...)
	if resp.StatusCode != http.StatusSeeOther || calledWith(a, "DELETE /api/tickets/"+listingID) {
		t.Errorf("got %d, calls %q: want 303 and no withdrawal of a listing withdrawn already", resp.StatusCode, a.made())
	}
}

func TestMyTicketsOffersResellAndStopReselling(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/etickets": {body: `[` + listedETicket + `,` + usedETicket + `]`}}}
	s := newStorefront(t, a, "", time.Time{})
	page := body(t, s.get("/etickets", signedInCookies...))
	mustContain(t, page,
		`<span class="badge listed" data-status="listed">Listed for resale</span>`,
		`<a class="action" href="/etickets/`+eticketCode+`#resell" aria-label="Stop reselling T3" data-unlist-link>Stop reselling</a>`)
	if strings.Contains(page, `href="/etickets/`+usedCode+`#resell"`) {
		t.Errorf("a used e-ticket is offered for resale")
	}
	a.answers["GET /api/etickets"] = answer{body: `[` + validETicket + `]`}
	mustContain(t, body(t, s.get("/etickets", signedInCookies...)),
		`<a class="action" href="/etickets/`+eticketCode+`#resell" aria-label="Resell T3" data-resell-link>Resell</a>`)
}

func TestResaleFormsRefuseAPathThatIsNoCode(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{}
	s := newStorefront(t, a, "", time.Time{})
	for _, path := range []string{"/etickets/not-a-code/resell", "/etickets/not-a-code/unlist"} {
		if resp := s.post(path, url.Values{"price": {"1"}}, signedInCookies...); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, resp.StatusCode)
		}
	}
	if calls := a.made(); strings.Contains(strings.Join(calls, " "), "tickets") {
		t.Errorf("a path that is no code reached the API: %q", calls)
	}
}
