package deadletters_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/deadletters"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestADeadLetteredEventIsStoredWithItsErrorDetails(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	dest := "http://orders.buytickets.svc.cluster.local/events"
	res := s.Post(failedAt(orderCreated("e1"), dest, 409, "order version 3 is ahead of 1"))
	if res.Code != http.StatusOK || len(res.Body) != 0 {
		t.Fatalf("deliver: %d %q, want 200 with no body (not a reply event)", res.Code, res.Body)
	}

	got := s.all()
	want := record{
		EventType: "dev.buytickets.order.created", EventID: "e1", Source: "/functions/orders", Subject: "order-e1",
		ErrorCode: 409, ErrorDest: dest, ErrorData: "order version 3 is ahead of 1", ReceivedAt: t0,
	}
	if len(got) != 1 {
		t.Fatalf("dead letters %+v, want one", got)
	}
	want.ID = got[0].ID
	if got[0] != want || len(want.ID) != 64 {
		t.Errorf("dead letter\n%+v, want\n%+v", got[0], want)
	}
}

func TestTheSameDeliveryTwiceIsStoredOnce(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	orders := "http://orders.buytickets.svc.cluster.local/events"
	ev := orderCreated("e1")
	s.MustDeliver(failedAt(ev, orders, 500, "first answer"))
	// The Broker hands the same delivery over again, with a later answer.
	s.MustDeliver(failedAt(ev, orders, 503, "second answer"))

	got := s.all()
	if len(got) != 1 || got[0].ErrorCode != 500 || got[0].ErrorData != "first answer" || !got[0].ReceivedAt.Equal(t0) {
		t.Fatalf("dead letters %+v, want the first copy only, unchanged", got)
	}
}

func TestTheSameEventFailingAtTwoSubscribersIsTwoDeadLetters(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	ev := orderCreated("e1")
	s.MustDeliver(failedAt(ev, "http://tickets.buytickets.svc.cluster.local/events", 500, ""))
	s.MustDeliver(failedAt(ev, "http://payments.buytickets.svc.cluster.local/events", 400, "bad"))

	got := s.all()
	if len(got) != 2 || got[0].ID == got[1].ID {
		t.Fatalf("dead letters %+v, want one per failed subscriber", got)
	}
	if !strings.HasPrefix(got[0].ErrorDest, "http://tickets.") || !strings.HasPrefix(got[1].ErrorDest, "http://payments.") {
		t.Errorf("dead letters %+v, want tickets' then payments'", got)
	}
}

func TestAnEventWithoutErrorDetailsIsStillKept(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	ev := orderCreated("e1")
	ev.SetExtension("knativeerrorcode", "timeout")
	s.MustDeliver(ev)

	got := s.all()
	if len(got) != 1 || got[0].ErrorCode != 0 || got[0].ErrorDest != "" || got[0].ErrorData != "" || got[0].EventID != "e1" {
		t.Fatalf("dead letters %+v, want the event with no error details", got)
	}
	httpxtest.WantError(t, s.replay(got[0].ID), http.StatusBadRequest, "Dead letter has no subscriber to replay to", "")
}

func TestARequestThatIsNoCloudEventIsRefused400(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	tests := []struct {
		name   string
		header map[string]string
		body   string
	}{
		{"plain JSON", map[string]string{"Content-Type": "application/json"}, `{"id":"order-1"}`},
		{"no body or headers", nil, ""},
		{"binary without an id", map[string]string{
			"Ce-Specversion": "1.0", "Ce-Type": "dev.buytickets.order.created", "Ce-Source": "/functions/orders",
			"Content-Type": "application/json"}, `{}`},
		{"structured, not JSON", map[string]string{"Content-Type": "application/cloudevents+json"}, `{"specversion":`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := s.request(http.MethodPost, "/events", strings.NewReader(tc.body))
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			httpxtest.WantError(t, s.do(req), http.StatusBadRequest, "Invalid CloudEvent", "")
		})
	}
	if got := s.all(); len(got) != 0 {
		t.Errorf("dead letters %+v, want none", got)
	}
}

func TestAnEventOverTheSizeLimitIsRefused413(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	ev := orderCreated("e1")
	if err := ev.SetData("text/plain", strings.Repeat("x", 1<<20+1)); err != nil {
		t.Fatal(err)
	}
	httpxtest.WantError(t, s.Post(ev), http.StatusRequestEntityTooLarge, "Event too large", "")
}

func TestAnUnavailableStoreIsAnswered503SoTheBrokerRetries(t *testing.T) {
	t.Parallel()
	s := newSink(t, storetest.Unavailable{})
	res := s.Post(failedAt(orderCreated("e1"), "http://orders.buytickets.svc.cluster.local/events", 500, ""))
	httpxtest.WantError(t, res, http.StatusServiceUnavailable, "Service is busy, please try again", "")
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	if res := s.do(s.request(http.MethodGet, "/healthz", nil)); res.Code != http.StatusOK {
		t.Errorf("healthz: %d %s", res.Code, res.Body)
	}
}

func TestAStructuredModeDeadLetterIsStoredToo(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	req := s.request(http.MethodPost, "/events", strings.NewReader(`{"specversion":"1.0","id":"e1",`+
		`"source":"/functions/orders","type":"dev.buytickets.order.created","datacontenttype":"application/json",`+
		`"data":{"id":"order-1"},"knativeerrorcode":404,"knativeerrordest":"http://tickets.buytickets.svc.cluster.local/events"}`))
	req.Header.Set("Content-Type", "application/cloudevents+json")
	if res := s.do(req); res.Code != http.StatusOK {
		t.Fatalf("deliver: %d %s", res.Code, res.Body)
	}
	if got := s.all(); len(got) != 1 || got[0].ErrorCode != 404 || got[0].EventID != "e1" {
		t.Errorf("dead letters %+v, want e1 with code 404", got)
	}
}

func TestNewRefusesToRunWithoutAStore(t *testing.T) {
	t.Parallel()
	if _, err := deadletters.New(deadletters.Config{}, deadletters.Deps{}); err == nil {
		t.Error("New without a store succeeded")
	}
	if _, err := deadletters.New(deadletters.Config{ReplayTimeout: -time.Second}, deadletters.Deps{Store: storetest.Unavailable{}}); err == nil {
		t.Error("New with a negative replay timeout succeeded")
	}
}
