package receive_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
)

func TestATableAppliesEachTypeByItsRouteWithItsDataDecoded(t *testing.T) {
	t.Parallel()
	var paid []eventing.PaymentCreated
	var expired []string
	fn := receive.Table(
		receive.On(eventing.TypePaymentCreated, func(_ context.Context, _ store.Tx, _ event.Event, p eventing.PaymentCreated) error {
			paid = append(paid, p)
			return nil
		}),
		receive.On(eventing.TypeExpirationCompleted, func(_ context.Context, _ store.Tx, _ event.Event, p eventing.ExpirationCompleted) error {
			expired = append(expired, p.OrderID)
			return nil
		}),
	)
	pay := paymentEvent(t)
	if err := fn(t.Context(), nil, pay); err != nil {
		t.Fatalf("payment.created: %v", err)
	}
	if len(paid) != 1 || paid[0].OrderID != "o1" || paid[0].Amount != 1250 || len(expired) != 0 {
		t.Errorf("payment.created reached %v and %v, want its route only, decoded", paid, expired)
	}

	garbled := pay.Clone()
	if err := garbled.SetData(event.ApplicationJSON, []byte(`{"amount":"lots"}`)); err != nil {
		t.Fatal(err)
	}
	if err := fn(t.Context(), nil, garbled); apperr.KindOf(err) != apperr.Invalid || len(paid) != 1 {
		t.Errorf("undecodable data: %v, and %d applied; want Invalid before the route runs", err, len(paid))
	}

	forged := pay.Clone()
	forged.SetSource("/functions/tickets")
	if err := fn(t.Context(), nil, forged); !errors.Is(err, receive.ErrForeignSource) || apperr.KindOf(err) != apperr.Unauthorized || len(paid) != 1 {
		t.Errorf("payment.created from tickets: %v, and %d applied; want ErrForeignSource before the route runs", err, len(paid))
	}

	other := pay.Clone()
	other.SetType(eventing.TypeTicketCreated)
	if err := fn(t.Context(), nil, other); !errors.Is(err, receive.ErrUnexpectedType) || apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("a type with no route: %v, want ErrUnexpectedType", err)
	}
}

func TestATableWithTwoRoutesForOneTypeIsAMistake(t *testing.T) {
	t.Parallel()
	noop := func(context.Context, store.Tx, event.Event, eventing.ExpirationCompleted) error { return nil }
	defer func() {
		if recover() == nil {
			t.Error("two routes for one type were accepted")
		}
	}()
	receive.Table(receive.On(eventing.TypeExpirationCompleted, noop), receive.On(eventing.TypeExpirationCompleted, noop))
}
