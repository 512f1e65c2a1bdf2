package deadletters_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func TestListingPagesOldestFirstWithLimitAndAfter(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	for i := range 5 {
		s.MustDeliver(failedAt(orderCreated(fmt.Sprint("e", i)), "http://orders.buytickets.svc.cluster.local/events", 500, ""))
	}

	var ids []string
	path := "/deadletters?limit=2"
	for pages := 0; path != ""; pages++ {
		if pages == 3 {
			t.Fatalf("more than 3 pages of 2 for 5 dead letters")
		}
		page, res := s.list(path)
		if len(page) == 0 || len(page) > 2 {
			t.Fatalf("GET %s: %d dead letters, want 1 or 2", path, len(page))
		}
		for _, r := range page {
			ids = append(ids, r.EventID)
		}
		path = nextPath(t, res.Header.Get("Link"))
	}
	if got, want := strings.Join(ids, ","), "e0,e1,e2,e3,e4"; got != want {
		t.Errorf("paged through %s, want %s", got, want)
	}

	all, res := s.list("/deadletters")
	if len(all) != 5 || res.Header.Get("Link") != "" {
		t.Errorf("default page: %d dead letters, Link %q; want all 5 and no next", len(all), res.Header.Get("Link"))
	}
	for i, r := range all {
		if want := t0.Add(time.Duration(i) * time.Second); !r.ReceivedAt.Equal(want) {
			t.Errorf("dead letter %d received at %v, want %v", i, r.ReceivedAt, want)
		}
	}
	after, _ := s.list("/deadletters?after=" + all[3].ID)
	if len(after) != 1 || after[0].EventID != "e4" {
		t.Errorf("after the fourth: %+v, want the fifth only", after)
	}
}

// nextPath returns the path of a Link rel="next" header, or "" when empty.
func nextPath(tb testing.TB, link string) string {
	tb.Helper()
	if link == "" {
		return ""
	}
	target, ok := strings.CutSuffix(link, `>; rel="next"`)
	if !ok || !strings.HasPrefix(target, "</deadletters?") {
		tb.Fatalf("Link %q, want </deadletters?...>; rel=\"next\"", link)
	}
	return target[1:]
}

func TestABadListQueryIsRefused400(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	unknown := strings.Repeat("ab", 32)
	tests := []struct {
		query, message, field string
	}{
		{"limit=0", "Limit must be a whole number from 1 to 500", "limit"},
		{"limit=501", "Limit must be a whole number from 1 to 500", "limit"},
		{"limit=ten", "Limit must be a whole number from 1 to 500", "limit"},
		{"limit=-1", "Limit must be a whole number from 1 to 500", "limit"},
		{"after=../x", "After must be the id of a dead letter", "after"},
		{"after=" + strings.ToUpper(unknown), "After must be the id of a dead letter", "after"},
		{"after=" + unknown, "Invalid cursor", ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			httpxtest.WantError(t, s.do(s.request(http.MethodGet, "/deadletters?"+tc.query, nil)), http.StatusBadRequest, tc.message, tc.field)
		})
	}
}

// replayed is the answer to a replay the subscriber took.
type replayed struct {
	Replayed string `json:"replayed"`
	Status   int    `json:"status"`
}

func TestReplaySendsTheEventInBinaryModeToTheFailedSubscriberAndDeletesIt(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	sub := s.subscriber("orders", http.StatusAccepted)
	other := "http://tickets.buytickets.svc.cluster.local/events"
	ev := orderCreated("e1")
	s.MustDeliver(failedAt(ev, sub.events(), 500, "down"))
	s.MustDeliver(failedAt(ev, other, 500, "down"))
	id := s.all()[0].ID

	res := s.replay(id)
	if res.Code != http.StatusOK {
		t.Fatalf("replay: %d %s", res.Code, res.Body)
	}
	var body replayed
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body != (replayed{Replayed: id, Status: http.StatusAccepted}) {
		t.Errorf("replay body %s (%v), want {replayed:%s,status:202}", res.Body, err, id)
	}

	got := sub.got()
	if len(got) != 1 {
		t.Fatalf("the subscriber got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Header.Get("Ce-Id") != "e1" || r.Header.Get("Ce-Specversion") != "1.0" || r.Header.Get("Content-Type") != event.ApplicationJSON {
		t.Errorf("headers %v, want binary mode: ce-* headers and the data's own content type", r.Header)
	}
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "ce-knativeerror") {
			t.Errorf("replay carries the dead-letter extension %s", name)
		}
	}
	if r.Event == nil || r.Event.String() != ev.String() {
		t.Errorf("the subscriber got\n%v\nwant the event as first sent\n%v", r.Event, ev)
	}

	left := s.all()
	if len(left) != 1 || left[0].ErrorDest != other {
		t.Errorf("dead letters after the replay %+v, want only the other subscriber's", left)
	}
	httpxtest.WantError(t, s.replay(id), http.StatusNotFound, "Dead letter not found", "")
}

func TestReplayKeepsTheDeadLetterAndAnswers502WhenTheSubscriberStillFails(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	sub := s.subscriber("orders", http.StatusInternalServerError)
	s.MustDeliver(failedAt(orderCreated("e1"), sub.events(), 500, "down"))
	before := s.all()

	httpxtest.WantError(t, s.replay(before[0].ID), http.StatusBadGateway, "Subscriber answered 500", "")
	if after := s.all(); len(after) != 1 || after[0] != before[0] {
		t.Errorf("dead letters after a failed replay %+v, want %+v unchanged", after, before)
	}

	// The subscriber recovers: the same dead letter goes through.
	sub.answer(http.StatusOK)
	if res := s.replay(before[0].ID); res.Code != http.StatusOK {
		t.Fatalf("replay after recovery: %d %s", res.Code, res.Body)
	}
	if n := len(sub.got()); n != 2 {
		t.Errorf("the subscriber got %d requests, want 2", n)
	}
	if after := s.all(); len(after) != 0 {
		t.Errorf("dead letters %+v, want none", after)
	}
}

func TestReplayToAnUnreachableSubscriberAnswers502(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	sub := s.subscriber("orders", http.StatusOK)
	sub.Close()
	s.MustDeliver(failedAt(orderCreated("e1"), sub.events(), 503, ""))
	id := s.all()[0].ID

	httpxtest.WantError(t, s.replay(id), http.StatusBadGateway, "Subscriber unreachable", "")
	if n := len(s.all()); n != 1 {
		t.Errorf("%d dead letters, want it kept", n)
	}
}

func TestAMalformedEventIsReplayedByteForByte(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	sub := s.subscriber("orders", http.StatusOK)
	ev := orderCreated("e1")
	ev.DataEncoded = []byte(`{"id":"order-1","version":`) // what the subscriber refused
	s.MustDeliver(failedAt(ev, sub.events(), 400, `{"errors":[{"message":"Undecodable event"}]}`))

	if res := s.replay(s.all()[0].ID); res.Code != http.StatusOK {
		t.Fatalf("replay: %d %s", res.Code, res.Body)
	}
	got := sub.got()
	if len(got) != 1 || string(got[0].Body) != string(ev.DataEncoded) || got[0].Header.Get("Content-Type") != event.ApplicationJSON {
		t.Fatalf("the subscriber got %+v, want the bytes first sent as %s", got, event.ApplicationJSON)
	}
}

func TestReplayingAnUnknownDeadLetterIs404(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	for _, id := range []string{strings.Repeat("0", 64), "nope", strings.Repeat("A", 64)} {
		httpxtest.WantError(t, s.replay(id), http.StatusNotFound, "Dead letter not found", "")
	}
	httpxtest.WantError(t, s.do(s.request(http.MethodGet, "/deadletters/"+strings.Repeat("0", 64)+"/replay", nil)),
		http.StatusMethodNotAllowed, "Method not allowed", "")
}

func TestReplayGoesOnlyToTheTriggersSubscribersWithTheReplayIdentity(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	orders := s.subscriber("orders", http.StatusOK)
	elsewhere := newSubscriber(t, http.StatusOK) // no Trigger names it
	s.MustDeliver(failedAt(orderCreated("e1"), elsewhere.events(), 500, "down"))
	s.MustDeliver(failedAt(orderCreated("e2"), orders.URL+"/admin", 500, "down"))
	s.MustDeliver(failedAt(orderCreated("e3"), orders.events(), 500, "down"))
	byEvent := map[string]string{}
	for _, d := range s.all() {
		byEvent[d.EventID] = d.ID
	}

	for _, e := range []string{"e1", "e2"} {
		httpxtest.WantError(t, s.replay(byEvent[e]), http.StatusBadRequest, "Dead letter names no subscriber of the Triggers", "")
	}
	if n := len(elsewhere.got()) + len(orders.got()); n != 0 {
		t.Errorf("%d requests reached an address no Trigger names, want none", n)
	}

	if res := s.replay(byEvent["e3"]); res.Code != http.StatusOK {
		t.Fatalf("replay to the orders subscriber: %d %s", res.Code, res.Body)
	}
	got := orders.got()
	if len(got) != 1 {
		t.Fatalf("orders got %d requests, want 1", len(got))
	}
	plane := eventingtest.Plane(t)
	raw, _ := strings.CutPrefix(got[0].Header.Get("Authorization"), "Bearer ")
	subject, err := eventingtest.Key().Verifier(plane.Audience("orders")).Verify(t.Context(), raw)
	if err != nil || subject != plane.Replayer() {
		t.Errorf("replay token: subject %q, %v; want %q for orders' audience", subject, err, plane.Replayer())
	}
}

func TestOnlyTheOperatorListsAndReplays(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	sub := s.subscriber("orders", http.StatusOK)
	s.MustDeliver(failedAt(orderCreated("e1"), sub.events(), 500, "down"))
	id := s.all()[0].ID
	plane := eventingtest.Plane(t)
	audience := plane.Audience("deadletters")
	for name, token := range map[string]string{
		"no token":                  "",
		"a Trigger's token":         eventingtest.Sign(t, plane.Triggers[0].Identity(), audience),
		"a function's token":        eventingtest.Sign(t, plane.Publisher("orders"), audience),
		"the operator's for orders": eventingtest.Sign(t, plane.Operator(), plane.Audience("orders")),
	} {
		for _, req := range []*http.Request{
			s.request(http.MethodGet, "/deadletters", nil),
			s.request(http.MethodPost, "/deadletters/"+id+"/replay", nil),
		} {
			req.Header.Del("Authorization")
			if token != "" {
				eventingtest.Authorize(req, token)
			}
			if res := s.do(req); res.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: %d %s, want 401", req.Method, req.URL.Path, name, res.Code, res.Body)
			}
		}
	}
	if n := len(sub.got()); n != 0 || len(s.all()) != 1 {
		t.Errorf("after refused calls the subscriber got %d requests and %d dead letters remain, want none and 1", n, len(s.all()))
	}
}
