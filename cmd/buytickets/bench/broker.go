package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/manifest"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// brokerThroughput publishes events to the embedded broker's ingress over
// HTTP and times each from publish to its first arrival at a subscriber,
// without and with chaos.
func brokerThroughput(ctx context.Context, w *bytes.Buffer, tmp string) error {
	const events, clients = 2000, 8
	heading(w, "Embedded broker: publish → delivered",
		fmt.Sprintf("%d events posted in binary mode to the ingress by %d clients, one Trigger, a subscriber answering 200 at once; delay is publish start to first arrival. Chaos: 10%% duplicates and up to 20 ms of random hold-back per delivery.", events, clients),
		"chaos", "events/s", "p50 delay", "p99 delay")
	for _, chaos := range []broker.Chaos{{}, {Duplicate: 0.1, MaxDelay: 20 * time.Millisecond}} {
		rate, p50, p99, err := runBroker(ctx, filepath.Join(tmp, fmt.Sprintf("broker-%v.db", chaos.MaxDelay)), chaos, events, clients)
		if err != nil {
			return err
		}
		label := "off"
		if chaos.MaxDelay > 0 {
			label = "on"
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %s |\n", label, rate, ms(p50), ms(p99))
	}
	return nil
}

func runBroker(ctx context.Context, path string, chaos broker.Chaos, events, clients int) (float64, time.Duration, time.Duration, error) {
	sent := make([]time.Time, events)
	arrived := newArrivals(events)
	// Every hop is authenticated as in the stack: the publisher presents
	// its token at the ingress, and the subscriber checks the Trigger's.
	key := identity.GenerateKey()
	const publisher, trigger = "system:serviceaccount:bench:bench", "system:serviceaccount:bench:bench-trigger"
	verify := key.Verifier("bench/subscriber").Require(trigger)
	sub := httptest.NewServer(verify(arrived.handler(http.StatusOK, func(r *http.Request) string {
		return r.Header.Get("Ce-Id")
	})))
	defer sub.Close()

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	b, err := broker.New(broker.Options{Store: db, Chaos: chaos, Triggers: []manifest.Trigger{{
		Name: "bench-trigger", Namespace: "bench", Filter: map[string]string{"type": "dev.buytickets.bench"},
		Subscriber: manifest.Destination{URI: sub.URL, Audience: "bench/subscriber"},
	}}, Auth: broker.Auth{
		Verifier:   key.Verifier("bench/broker"),
		Publishers: map[string]string{publisher: "/bench"},
		// The Trigger's identity, whatever kmeta would name it here.
		Tokens: func(string) identity.TokenSource { return key.Signer(trigger) },
	}})
	if err != nil {
		return 0, 0, 0, err
	}
	ingress := httptest.NewServer(b.Ingress())
	defer ingress.Close()
	defer background(ctx, func(ctx context.Context) { b.Run(ctx) })()

	tokens := key.Signer(publisher)
	start := time.Now()
	_, _, err = load(clients, events, func(i int) error {
		ev := cloudevents.NewEvent()
		ev.SetID(strconv.Itoa(i))
		ev.SetType("dev.buytickets.bench")
		ev.SetSource("/bench")
		ev.SetData(cloudevents.ApplicationJSON, map[string]int{"i": i})
		req, _ := http.NewRequest(http.MethodPost, ingress.URL, nil)
		if err := cehttp.WriteRequest(ctx, binding.ToMessage(&ev), req); err != nil {
			return err
		}
		token, err := tokens.Token(ctx, "bench/broker")
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		sent[i] = time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("ingress answered %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		return 0, 0, 0, err
	}
	return arrived.throughput(start, sent, 2*time.Minute, "events delivered")
}
