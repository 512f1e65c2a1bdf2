package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkin posts code to the check-in page, signed in.
func (s *storefront) checkin(code string) (int, string) {
	s.t.Helper()
	resp := s.post("/checkin", url.Values{"code": {code}}, signedInCookies...)
	return resp.StatusCode, body(s.t, resp)
}

func TestCheckInAnswersEachOutcomeInWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		api    answer
		status int
		wants  []string
	}{
		{"a valid e-ticket", answer{status: 201, body: checkedIn}, http.StatusOK, []string{
			`<div class="answer valid" role="status" data-answer="valid">`,
			`<span data-answer-heading>Valid — checked in</span>`,
			`<p class="answer-event" data-answer-event>T2</p>`,
			`<p>Checked in at ` + usedAtText + `.</p>`,
			`<title>Valid — checked in · Check in · Buytickets</title>`,
		}},
		{"an e-ticket checked in before", answer{status: 409, body: `{"errors":[{"message":"Already checked in at 2026-12-02T19:05:09Z"}]}`}, http.StatusConflict, []string{
			`<div class="answer used" role="alert" data-answer="used">`,
			`<span data-answer-heading>Already used — checked in at ` + usedAtText + `</span>`,
			`data-answer-event>T2</p>`,
		}},
		{"a tampered code", answer{status: 400, body: `{"errors":[{"message":"This is not a valid e-ticket code","field":"code"}]}`}, http.StatusBadRequest, []string{
			`data-answer="invalid">`, `<span data-answer-heading>Invalid code</span>`, `value="` + eticketCode + `"`,
		}},
		{"a genuine code of no e-ticket", answer{status: 404, body: `{"errors":[{"message":"E-ticket not found"}]}`}, http.StatusBadRequest, []string{
			`<span data-answer-heading>Invalid code</span>`,
		}},
		{"a revoked e-ticket", answer{status: 400, body: `{"errors":[{"message":"This e-ticket has been revoked"}]}`}, http.StatusBadRequest, []string{
			`data-answer="revoked">`, `<span data-answer-heading>Revoked</span>`, `its payment was refunded`,
		}},
		{"an e-ticket listed for resale", answer{status: 400, body: `{"errors":[{"message":"This e-ticket is listed for resale"}]}`}, http.StatusBadRequest, []string{
			`data-answer="listed">`, `<span data-answer-heading>Listed for resale</span>`, `it admits nobody until they stop reselling it`,
		}},
		{"another seller's e-ticket", answer{status: 401, body: notAuthBody}, http.StatusForbidden, []string{
			`data-answer="not-yours">`, `<span data-answer-heading>Not your event</span>`, `Only the seller of this ticket can check it in.`,
		}},
		{"a suspended seller", answer{status: 403, body: `{"errors":[{"message":"Account suspended"}]}`}, http.StatusForbidden, []string{
			`<span data-answer-heading>Not your event</span>`, `<p>Account suspended</p>`,
		}},
		{"etickets down", answer{status: 503, body: `{"errors":[{"message":"Service unavailable"}]}`}, http.StatusServiceUnavailable, []string{
			`data-answer="unavailable">`, `<span data-answer-heading>Could not check in</span>`,
		}},
		{"etickets failing", answer{status: 500, body: `{"errors":[{"message":"Something went wrong"}]}`}, http.StatusServiceUnavailable, []string{
			`<span data-answer-heading>Could not check in</span>`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := &recordedAPI{refreshOK: true, answers: map[string]answer{
				"POST /api/checkins":               tc.api,
				"GET /api/etickets/" + eticketCode: {body: usedETicket},
			}}
			s := newStorefront(t, a, "", time.Time{})
			status, page := s.checkin(eticketCode)
			if status != tc.status {
				t.Errorf("status = %d, want %d", status, tc.status)
			}
			mustContain(t, page, tc.wants...)
			mustContain(t, page, `<form method="post" action="/checkin"`, `<button type="button" class="alternative" data-scan hidden>Scan</button>`,
				`<script src="/static/scan.js" defer></script>`)
			if strings.Contains(page, "Something went wrong on our side") {
				t.Errorf("the check-in page shows an error page")
			}
		})
	}
}

func TestCheckInWithNoCodeAsksForOneWithoutCallingTheAPI(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{}
	s := newStorefront(t, a, "", time.Time{})
	for _, code := range []string{"", "   ", strings.Repeat("A", 600)} {
		status, page := s.checkin(code)
		if status != http.StatusBadRequest {
			t.Errorf("code %.10q: status %d, want 400", code, status)
		}
		if !strings.Contains(page, `data-answer-heading>No code<`) && !strings.Contains(page, `data-answer-heading>Invalid code<`) {
			t.Errorf("code %.10q: no answer:\n%s", code, page)
		}
	}
	if slices.Contains(a.made(), "POST /api/checkins") {
		t.Errorf("an empty or overlong code reached the API: %q", a.made())
	}
}

func TestCheckInFromAnotherSiteIsRefused(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{}
	s := newStorefront(t, a, "", time.Time{})
	r, _ := http.NewRequest(http.MethodPost, "/checkin", strings.NewReader("code="+eticketCode))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	resp := s.send(r, signedInCookies)
	if resp.StatusCode != http.StatusForbidden || slices.Contains(a.made(), "POST /api/checkins") {
		t.Errorf("a cross-site check-in answered %d and called %q, want 403 and no call", resp.StatusCode, a.made())
	}
}

func TestCheckInPageOffersTheFormToASignedInSeller(t *testing.T) {
	t.Parallel()
	s := newStorefront(t, &recordedAPI{}, "", time.Time{})
	page := body(t, s.get("/checkin", signedInCookies...))
	mustContain(t, page,
		`<a href="/checkin">Check in</a>`,
		`<label for="field-code">E-ticket code</label>`,
		`aria-describedby="field-code-hint"`,
		`<button type="submit">Check in</button>`)
	if strings.Contains(page, "data-answer") {
		t.Errorf("the empty check-in page shows an answer")
	}
}
