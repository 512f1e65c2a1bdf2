package expiry_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/expiration/internal/expiry"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestOrderIDsNameTasksAndDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want error
	}{
		{"0123456789abcdef0123456789abcdef", nil},
		{"order_1-A", nil},
		{strings.Repeat("a", expiry.MaxOrderIDLen), nil},
		{"", expiry.ErrNoOrderID},
		{strings.Repeat("a", expiry.MaxOrderIDLen+1), expiry.ErrInvalidOrderID},
		{"a/b", expiry.ErrInvalidOrderID},
		{"a.b", expiry.ErrInvalidOrderID},
		{"__x__ ", expiry.ErrInvalidOrderID},
		{"é", expiry.ErrInvalidOrderID},
	}
	for _, tc := range tests {
		if err := expiry.CheckOrderID(tc.id); !errors.Is(err, tc.want) && (err != nil || tc.want != nil) {
			t.Errorf("CheckOrderID(%q) = %v, want %v", tc.id, err, tc.want)
		}
		if got := expiry.ValidOrderID(tc.id); got != (tc.want == nil) {
			t.Errorf("ValidOrderID(%q) = %v", tc.id, got)
		}
	}
}

func TestNewRefusesWhatNoOrderCarries(t *testing.T) {
	t.Parallel()
	if _, err := expiry.New("a/b", 1, t0); !errors.Is(err, expiry.ErrInvalidOrderID) {
		t.Errorf("bad id: %v", err)
	}
	if _, err := expiry.New("o1", -1, t0); err == nil {
		t.Error("negative reservation accepted")
	}
	if _, err := expiry.New("o1", 1, time.Time{}); err == nil {
		t.Error("zero expiresAt accepted")
	}
	e, err := expiry.New("o1", 3, t0.In(time.FixedZone("x", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	if e.State() != expiry.Scheduled || e.ExpiresAt() != t0 || e.TaskName() != "expire-o1-3" || e.Reservation() != 3 {
		t.Errorf("New = %+v, task %s", e, e.TaskName())
	}
}

func TestAnOrderExpiresOnceAndNeverOnceClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		start      expiry.State
		closeFirst bool
		now        time.Time
		wantExpire bool
		wantErr    error
		wantState  expiry.State
	}{
		{"open, on time", expiry.Scheduled, false, t0, true, nil, expiry.Expired},
		{"open, late", expiry.Scheduled, false, t0.Add(time.Hour), true, nil, expiry.Expired},
		{"open, early", expiry.Scheduled, false, t0.Add(-time.Millisecond), false, expiry.ErrTooEarly, expiry.Scheduled},
		{"expired already", expiry.Expired, false, t0, false, nil, expiry.Expired},
		{"closed", expiry.Closed, false, t0, false, nil, expiry.Closed},
		{"closed, then fired", expiry.Scheduled, true, t0, false, nil, expiry.Closed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := expiry.UnmarshalFromStore("o1", 1, t0, tc.start)
			if tc.closeFirst && !e.Close() {
				t.Fatal("Close of a scheduled expiry asked for no cancel")
			}
			got, err := e.Expire(tc.now)
			if got != tc.wantExpire || !errors.Is(err, tc.wantErr) || (err != nil && tc.wantErr == nil) {
				t.Errorf("Expire = %v, %v; want %v, %v", got, err, tc.wantExpire, tc.wantErr)
			}
			if e.State() != tc.wantState {
				t.Errorf("state %s, want %s", e.State(), tc.wantState)
			}
		})
	}
}

func TestCloseCancelsTheTaskOfAScheduledOrderOnly(t *testing.T) {
	t.Parallel()
	for state, wantCancel := range map[expiry.State]bool{expiry.Scheduled: true, expiry.Closed: false, expiry.Expired: false} {
		e := expiry.UnmarshalFromStore("o1", 1, t0, state)
		if got := e.Close(); got != wantCancel {
			t.Errorf("Close of %s = %v, want %v", state, got, wantCancel)
		}
		if want := map[bool]expiry.State{true: expiry.Closed, false: state}[wantCancel]; e.State() != want {
			t.Errorf("Close of %s left %s, want %s", state, e.State(), want)
		}
	}
	e, err := expiry.NewClosed("o2")
	if err != nil || e.State() != expiry.Closed || !e.ExpiresAt().IsZero() {
		t.Fatalf("NewClosed = %+v, %v", e, err)
	}
	if fired, err := e.Expire(t0); fired || err != nil {
		t.Errorf("Expire of an order closed before its creation = %v, %v; want false, nil", fired, err)
	}
	if _, err := expiry.NewClosed(""); err == nil {
		t.Error("NewClosed of an empty id succeeded")
	}
}
