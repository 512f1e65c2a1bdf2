package eventing_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
)

func TestClassifyFollowsKnativeDataPlane(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]eventing.Outcome{
		100: eventing.DeadLetter, 101: eventing.DeadLetter, 199: eventing.DeadLetter,
		200: eventing.Done, 202: eventing.Done, 204: eventing.Done, 299: eventing.Done,
		300: eventing.DeadLetter, 301: eventing.DeadLetter, 307: eventing.DeadLetter, 399: eventing.DeadLetter,
		400: eventing.DeadLetter, 401: eventing.DeadLetter, 403: eventing.DeadLetter, 410: eventing.DeadLetter,
		413: eventing.DeadLetter, 415: eventing.DeadLetter, 499: eventing.DeadLetter,
		404: eventing.Retry, 408: eventing.Retry, 409: eventing.Retry, 429: eventing.Retry,
		500: eventing.Retry, 502: eventing.Retry, 503: eventing.Retry, 599: eventing.Retry,
		0: eventing.Retry, 600: eventing.Retry,
	} {
		if got := eventing.Classify(status); got != want {
			t.Errorf("Classify(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestSendPostsBinaryModeAndKeepsTheStartOfTheAnswer(t *testing.T) {
	t.Parallel()
	requests := make(chan *http.Request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests <- r
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, strings.Repeat("x", 10*eventing.MaxAnswerBytes))
	}))
	defer srv.Close()
	ev := event.New()
	ev.SetID("evt-1")
	ev.SetType(eventing.TypeTicketCreated)
	ev.SetSource(eventing.Source("tickets"))
	if err := ev.SetData(event.ApplicationJSON, map[string]string{"id": "t1"}); err != nil {
		t.Fatal(err)
	}
	answer, err := eventing.Send(t.Context(), srv.Client(), srv.URL, "token-1", ev)
	if err != nil {
		t.Fatal(err)
	}
	got := <-requests
	if auth := got.Header.Get("Authorization"); auth != "Bearer token-1" {
		t.Errorf("Authorization %q, want the sender's token as a bearer credential", auth)
	}
	if got.Method != http.MethodPost || got.Header.Get("Ce-Id") != "evt-1" || got.Header.Get("Ce-Type") != eventing.TypeTicketCreated {
		t.Errorf("request %s with Ce-Id %q, Ce-Type %q: want a binary-mode POST of the event",
			got.Method, got.Header.Get("Ce-Id"), got.Header.Get("Ce-Type"))
	}
	if answer.Status != http.StatusBadRequest || len(answer.Body) != eventing.MaxAnswerBytes || answer.Outcome() != eventing.DeadLetter {
		t.Errorf("answer %d with %d bytes, outcome %v: want 400, %d bytes, dead letter",
			answer.Status, len(answer.Body), answer.Outcome(), eventing.MaxAnswerBytes)
	}
}

func TestSendTellsAnUnsendableEventFromAnUnreachableRecipient(t *testing.T) {
	t.Parallel()
	ev := event.New()
	if _, err := eventing.Send(t.Context(), http.DefaultClient, "http://bad host/", "", ev); !errors.Is(err, eventing.ErrUnsendable) {
		t.Errorf("Send to no URL = %v, want ErrUnsendable", err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if _, err := eventing.Send(t.Context(), http.DefaultClient, srv.URL, "", ev); err == nil || errors.Is(err, eventing.ErrUnsendable) {
		t.Errorf("Send to a closed server = %v, want a network error", err)
	}
}
