package gateway_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/buytickets/buytickets/functions/payments/internal/gateway"
)

const secret = "whsec_test"

// stripeEvent is an event of type typ as Stripe posts it, with data as its
// object (none when nil).
func stripeEvent(id, typ string, data map[string]any) []byte {
	ev := map[string]any{"id": id, "object": "event", "api_version": stripe.APIVersion, "created": time.Now().Unix(), "type": typ}
	if data != nil {
		ev["data"] = map[string]any{"object": data}
	}
	b, _ := json.Marshal(ev)
	return b
}

func signed(payload []byte, key string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: key, Timestamp: at}).Header
}

func TestReadEventTellsWhatAPaymentIntentEventSays(t *testing.T) {
	t.Parallel()
	intent := func(received int64, lastError map[string]any) map[string]any {
		pi := map[string]any{"id": "pi_1", "object": "payment_intent", "amount": 1250, "amount_received": received,
			"currency": "usd", "metadata": map[string]string{"orderId": "order1"}}
		if lastError != nil {
			pi["last_payment_error"] = lastError
		}
		return pi
	}
	tests := []struct {
		name, typ string
		data      map[string]any
		want      *gateway.IntentOutcome
	}{
		{"a payment taken", "payment_intent.succeeded", intent(1250, nil),
			&gateway.IntentOutcome{ID: "pi_1", OrderID: "order1", Succeeded: true, Amount: 1250, Currency: "usd"}},
		{"nothing received yet reads what was asked", "payment_intent.succeeded", intent(0, nil),
			&gateway.IntentOutcome{ID: "pi_1", OrderID: "order1", Succeeded: true, Amount: 1250, Currency: "usd"}},
		{"a payment failed", "payment_intent.payment_failed", intent(0, map[string]any{"code": "card_declined", "decline_code": "insufficient_funds"}),
			&gateway.IntentOutcome{ID: "pi_1", OrderID: "order1", Amount: 1250, Currency: "usd", FailureCode: "card_declined insufficient_funds"}},
		{"another type", "charge.succeeded", map[string]any{"id": "ch_1", "object": "charge"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			payload := stripeEvent("evt_1", tc.typ, tc.data)
			ev, err := gateway.ReadEvent(payload, signed(payload, secret, time.Now()), secret)
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != "evt_1" || ev.Type != tc.typ {
				t.Errorf("event %s %s, want evt_1 %s", ev.ID, ev.Type, tc.typ)
			}
			if (ev.Intent == nil) != (tc.want == nil) || (ev.Intent != nil && *ev.Intent != *tc.want) {
				t.Errorf("intent %+v, want %+v", ev.Intent, tc.want)
			}
		})
	}
}

func TestReadEventTellsWhichChargeWasRefundedAtStripe(t *testing.T) {
	t.Parallel()
	charge := func(refunded bool, intent any, refunds ...string) map[string]any {
		ch := map[string]any{"id": "ch_1", "object": "charge", "refunded": refunded, "payment_intent": intent}
		if refunds != nil {
			var data []map[string]any
			for _, id := range refunds {
				data = append(data, map[string]any{"id": id, "object": "refund"})
			}
			ch["refunds"] = map[string]any{"object": "list", "data": data}
		}
		return ch
	}
	tests := []struct {
		name string
		data map[string]any
		want gateway.ChargeRefund
	}{
		{"a charge refunded in full", charge(true, nil, "re_1"), gateway.ChargeRefund{ChargeID: "ch_1", Full: true, RefundID: "re_1"}},
		{"a PaymentIntent's charge", charge(true, "pi_1"), gateway.ChargeRefund{ChargeID: "ch_1", IntentID: "pi_1", Full: true}},
		{"a partial refund", charge(false, "pi_1", "re_2"), gateway.ChargeRefund{ChargeID: "ch_1", IntentID: "pi_1", RefundID: "re_2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			payload := stripeEvent("evt_1", "charge.refunded", tc.data)
			ev, err := gateway.ReadEvent(payload, signed(payload, secret, time.Now()), secret)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Intent != nil || ev.Refund == nil || *ev.Refund != tc.want {
				t.Errorf("refund %+v (intent %+v), want %+v", ev.Refund, ev.Intent, tc.want)
			}
		})
	}
}

func TestReadEventRefusesWhatStripeDidNotSignOrCannotBeRead(t *testing.T) {
	t.Parallel()
	good := stripeEvent("evt_1", "payment_intent.succeeded", map[string]any{"id": "pi_1", "object": "payment_intent"})
	noIntent := stripeEvent("evt_1", "payment_intent.succeeded", nil)
	noCharge := stripeEvent("evt_1", "charge.refunded", nil)
	badID := stripeEvent("evt/1", "charge.refunded", nil)
	tests := []struct {
		name      string
		payload   []byte
		signature string
		want      error
	}{
		{"unsigned", good, "", gateway.ErrBadSignature},
		{"signed with another secret", good, signed(good, "whsec_other", time.Now()), gateway.ErrBadSignature},
		{"signed long ago", good, signed(good, secret, time.Now().Add(-time.Hour)), gateway.ErrBadSignature},
		{"not JSON", []byte("{"), signed([]byte("{"), secret, time.Now()), gateway.ErrBadEvent},
		{"an intent event without its intent", noIntent, signed(noIntent, secret, time.Now()), gateway.ErrBadEvent},
		{"a refund event without its charge", noCharge, signed(noCharge, secret, time.Now()), gateway.ErrBadEvent},
		{"an id no document can have", badID, signed(badID, secret, time.Now()), gateway.ErrBadEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := gateway.ReadEvent(tc.payload, tc.signature, secret); !errors.Is(err, tc.want) {
				t.Errorf("ReadEvent = %v, want %v", err, tc.want)
			}
		})
	}
}
