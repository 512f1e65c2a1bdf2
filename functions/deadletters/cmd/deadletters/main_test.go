package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := eventingtest.CommandSettings("deadletters")
	testenv.CommandFailsEach(t, required.Refusals("deadletters", nil))
}

func TestServesOnFirestoreUntilCancelled(t *testing.T) {
	cmd, receiver := eventingtest.ServeCommand(t, "deadletters", realMain)
	issuer, base := receiver.Issuer, cmd.URL
	plane := eventingtest.Plane(t)
	audience := plane.Audience("deadletters")

	// One dead letter, as the Broker hands it over, into Firestore.
	req, err := http.NewRequest(http.MethodPost, base+"/events", strings.NewReader(`{"id":"order-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"Content-Type": "application/json", "Ce-Specversion": "1.0", "Ce-Id": "e1",
		"Ce-Source": "/functions/orders", "Ce-Type": "dev.buytickets.order.created",
		"Ce-Knativeerrorcode": "500", "Ce-Knativeerrordest": "http://tickets.buytickets.svc.cluster.local/events",
	} {
		req.Header.Set(k, v)
	}
	// The Broker hands it over with the failed Trigger's token.
	eventingtest.Authorize(req, issuer.Token(t, plane.Triggers[0].Identity(), audience, time.Hour))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("dead letter: %d, want 200", res.StatusCode)
	}
	// An operator lists them with the operator identity's token, and
	// nobody else can.
	list := func(token string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, base+"/deadletters", nil)
		if token != "" {
			eventingtest.Authorize(req, token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for name, token := range map[string]string{
		"no token":         "",
		"a Trigger's":      issuer.Token(t, plane.Triggers[0].Identity(), audience, time.Hour),
		"operator expired": issuer.Token(t, plane.Operator(), audience, -time.Minute),
	} {
		if res := list(token); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("listing with %s token: %d, want 401", name, res.StatusCode)
		}
	}
	res = list(issuer.Token(t, plane.Operator(), audience, time.Hour))
	var page []struct {
		EventID string `json:"eventId"`
	}
	err = json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if err != nil || len(page) != 1 || page[0].EventID != "e1" {
		t.Errorf("listing %+v (%v), want the dead letter e1", page, err)
	}

	cmd.Stop()
}
