package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestTheSweepForgetsReceiptsOnlyPastTheirRetention(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		ctx := context.Background()
		now := time.Now().UTC()
		type receipt struct {
			Source     string    `store:"source"`
			ID         string    `store:"id"`
			Type       string    `store:"type"`
			ReceivedAt time.Time `store:"receivedAt"`
		}
		ages := map[string]time.Duration{"fresh": time.Hour, "a week old": 7 * 24 * time.Hour, "past retention": receive.DefaultRetention + time.Hour}
		err := st.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
			for name, age := range ages {
				r := receipt{Source: "/functions/tickets", ID: name, Type: "dev.buytickets.ticket.created", ReceivedAt: now.Add(-age)}
				if err := tx.Create(receive.Collection, receive.ReceiptID(r.Source, r.ID), r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		o := newOutbox(t, st, "http://127.0.0.1:1", outbox.Options{})
		res, err := o.Sweep(ctx)
		if err != nil || res.Receipts != 1 {
			t.Fatalf("Sweep = %+v, %v; want the one receipt past retention deleted", res, err)
		}
		for name, age := range ages {
			var got receipt
			err := st.Get(ctx, receive.Collection, receive.ReceiptID("/functions/tickets", name), &got)
			if kept := age < receive.DefaultRetention; kept != (err == nil) {
				t.Errorf("receipt %s: %v, want kept %v", name, err, kept)
			}
		}
	})
}
