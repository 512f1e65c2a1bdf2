package order_test

import (
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/orders/internal/order"
)

func TestHistoryTellsTheOrdersStepsInTimeOrder(t *testing.T) {
	t.Parallel()
	paidAt, cancelledAt := t0.Add(3*time.Minute), t0.Add(5*time.Minute)
	placed := order.Step{At: t0, What: order.StepPlaced, Title: "Concert", Price: 2000}
	reserved := order.Step{At: t0, What: order.StepReserved, Until: t0.Add(window)}
	tests := []struct {
		name  string
		order func() *order.Order
		want  []order.Step
	}{
		{"open", func() *order.Order { return stored("buyer", order.Created) }, []order.Step{placed, reserved}},
		{"paid", func() *order.Order {
			o := stored("buyer", order.Created)
			if err := o.Complete(paidAt); err != nil {
				t.Fatal(err)
			}
			return o
		}, []order.Step{placed, reserved, {At: paidAt, What: order.StepCompleted}}},
		{"paid before completedAt was kept", func() *order.Order { return stored("buyer", order.Complete) },
			[]order.Step{placed, reserved, {What: order.StepCompleted}}},
		{"cancelled by a ban", func() *order.Order {
			o := stored("buyer", order.Created)
			if err := o.Cancel(order.ReasonBanned, cancelledAt); err != nil {
				t.Fatal(err)
			}
			return o
		}, []order.Step{placed, reserved, {At: cancelledAt, What: order.StepCancelled, Reason: order.ReasonBanned}}},
		{"expired", func() *order.Order {
			o := stored("buyer", order.Created)
			if err := o.Cancel(order.ReasonExpired, t0.Add(window)); err != nil {
				t.Fatal(err)
			}
			return o
		}, []order.Step{placed, reserved, {At: t0.Add(window), What: order.StepCancelled, Reason: order.ReasonExpired}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.order().History()
			if len(got) != len(tc.want) {
				t.Fatalf("history %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if !got[i].At.Equal(tc.want[i].At) || got[i].What != tc.want[i].What || got[i].Title != tc.want[i].Title ||
					got[i].Price != tc.want[i].Price || !got[i].Until.Equal(tc.want[i].Until) || got[i].Reason != tc.want[i].Reason {
					t.Errorf("step %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestCompleteKeepsWhenTheOrderWasPaid(t *testing.T) {
	t.Parallel()
	o := stored("buyer", order.Created)
	at := time.Date(2030, 1, 2, 4, 0, 0, 0, time.FixedZone("CET", 3600))
	if err := o.Pay(2000, "usd", at); err != nil {
		t.Fatal(err)
	}
	if got := o.CompletedAt(); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("CompletedAt %v, want %v in UTC", got, at)
	}
	again := o.CompletedAt()
	if err := o.Complete(at.Add(time.Hour)); err == nil || !o.CompletedAt().Equal(again) {
		t.Errorf("a second completion changed CompletedAt to %v (%v)", o.CompletedAt(), err)
	}
}
