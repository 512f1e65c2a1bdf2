package manifest

import (
	"os"
	"testing"
	"time"
)

func TestTriggersAreReadWithTheirBrokersDelivery(t *testing.T) {
	t.Parallel()
	triggers, err := LoadTriggers(os.DirFS("testdata"), "default")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Trigger{}
	for _, tr := range triggers {
		byName[tr.Name] = tr
	}
	if len(byName) != 5 {
		t.Fatalf("read %d triggers of broker default, want 5 (not the other broker's)", len(byName))
	}
	a := byName["a-order-created"]
	if a.Filter["type"] != "dev.test.order.created" || a.Subscriber.Ref.Name != "a" || a.Subscriber.URI != "/events" {
		t.Errorf("a-order-created = %+v", a)
	}
	if want := (Delivery{Retry: 3, Exponential: true, BackoffDelay: 100 * time.Millisecond}); a.Delivery != want {
		t.Errorf("trigger without delivery got %+v, want the broker's %+v", a.Delivery, want)
	}
	if want := (Delivery{Retry: 2, BackoffDelay: 500 * time.Millisecond, Timeout: 2 * time.Second}); byName["b-order-created"].Delivery != want {
		t.Errorf("trigger with its own delivery got %+v, want %+v", byName["b-order-created"].Delivery, want)
	}
	if len(byName["d-everything"].Filter) != 0 {
		t.Errorf("trigger without filter has %v", byName["d-everything"].Filter)
	}
}

func TestMissingBrokerIsAnError(t *testing.T) {
	t.Parallel()
	if _, err := LoadTriggers(os.DirFS("testdata"), "nope"); err == nil {
		t.Fatal("loading the triggers of a broker that is not declared succeeded")
	}
}

func TestBackoffFollowsKnative(t *testing.T) {
	t.Parallel()
	exp := Delivery{Exponential: true, BackoffDelay: 100 * time.Millisecond}
	lin := Delivery{BackoffDelay: 100 * time.Millisecond}
	tests := []struct {
		d    Delivery
		n    int
		want time.Duration
	}{
		{exp, 1, 100 * time.Millisecond},
		{exp, 2, 200 * time.Millisecond},
		{exp, 4, 800 * time.Millisecond},
		{lin, 1, 0},
		{lin, 2, 100 * time.Millisecond},
		{lin, 4, 300 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := tc.d.Backoff(tc.n); got != tc.want {
			t.Errorf("%+v.Backoff(%d) = %v, want %v", tc.d, tc.n, got, tc.want)
		}
	}
}

func TestFiltersMatchExactly(t *testing.T) {
	t.Parallel()
	tr := Trigger{Filter: map[string]string{"type": "a", "source": "/s"}}
	tests := []struct {
		attrs map[string]string
		want  bool
	}{
		{map[string]string{"type": "a", "source": "/s", "id": "1"}, true},
		{map[string]string{"type": "a"}, false},
		{map[string]string{"type": "ab", "source": "/s"}, false},
		{map[string]string{"type": "A", "source": "/s"}, false},
	}
	for _, tc := range tests {
		if got := tr.Matches(tc.attrs); got != tc.want {
			t.Errorf("Matches(%v) = %v, want %v", tc.attrs, got, tc.want)
		}
	}
}
