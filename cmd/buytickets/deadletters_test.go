package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/manifest"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// deadLetterIn leaves one dead letter in dataDir's broker store: an event
// whose subscriber refused it with 400.
func deadLetterIn(t *testing.T, dataDir string) {
	t.Helper()
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such order", http.StatusBadRequest)
	}))
	defer refusing.Close()
	db, err := sqlite.Open(context.Background(), stack.BrokerFile(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := broker.New(broker.Options{Store: db, Poll: 5 * time.Millisecond, Triggers: []manifest.Trigger{{
		Name: "orders-ticket-created", Filter: map[string]string{"type": "dev.buytickets.ticket.created"},
		Subscriber: manifest.Destination{URI: refusing.URL + "/events"},
	}}, Auth: broker.Auth{
		Verifier:   eventingtest.Key().Verifier("broker"),
		Publishers: map[string]string{"tickets": eventing.Source("tickets")},
		Tokens:     func(subject string) identity.TokenSource { return eventingtest.Key().Signer(subject) },
	}})
	if err != nil {
		t.Fatal(err)
	}
	ev := cloudevents.NewEvent()
	ev.SetID("evt-1")
	ev.SetType("dev.buytickets.ticket.created")
	ev.SetSource("/functions/tickets")
	if err := b.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if dls, _ := b.DeadLetters(context.Background()); len(dls) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no dead letter after 10s")
		}
	}
}

func TestDeadLettersCanBeListedAndReplayedFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DATA_DIR", dir)
	deadLetterIn(t, dir)

	var out bytes.Buffer
	if err := deadLetters(context.Background(), []string{"list"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"orders-ticket-created", "dev.buytickets.ticket.created", "evt-1", "subscriber answered 400: no such order"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list does not show %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if err := deadLetters(context.Background(), []string{"list", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var dl broker.DeadLetter
	if err := json.Unmarshal(out.Bytes(), &dl); err != nil || dl.ID == "" || dl.Status != 400 {
		t.Fatalf("list -json = %s (%v)", out.String(), err)
	}

	out.Reset()
	if err := deadLetters(context.Background(), []string{"replay", dl.ID}, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := deadLetters(context.Background(), []string{"list", "-json"}, &out); err != nil || out.Len() != 0 {
		t.Errorf("after replay, list = %q, %v; want empty", out.String(), err)
	}
	if err := deadLetters(context.Background(), []string{"replay", dl.ID}, &out); err == nil {
		t.Error("replaying it again succeeded")
	}
	if err := deadLetters(context.Background(), []string{"bogus"}, &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("unknown subcommand = %v, want the usage", err)
	}
}
