package apperr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/buytickets/buytickets/shared/apperr"
)

var errTicketReserved = apperr.New(apperr.Invalid, "Cannot edit a reserved ticket")

func TestKindOfFindsTheKindThroughWrapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want apperr.Kind
	}{
		{"plain error is internal", errors.New("boom"), apperr.Internal},
		{"sentinel", errTicketReserved, apperr.Invalid},
		{"wrapped sentinel", fmt.Errorf("tickets.Update: %w", errTicketReserved), apperr.Invalid},
		{"wrapped cause keeps outer kind", apperr.Wrap(apperr.Unavailable, "Store busy", errors.New("aborted")), apperr.Unavailable},
		{"field error", apperr.Field("email", "Email must be valid"), apperr.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := apperr.KindOf(tc.err); got != tc.want {
				t.Errorf("KindOf(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestSentinelsMatchWhenWrapped(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("store.UpdateTicket: %w", errTicketReserved)
	if !errors.Is(err, errTicketReserved) {
		t.Fatal("errors.Is lost the sentinel through wrapping")
	}
	if errors.Is(err, apperr.New(apperr.Invalid, "Other")) {
		t.Fatal("errors.Is matched a sentinel with another message")
	}
}

func TestFieldsIsNilWhenEmpty(t *testing.T) {
	t.Parallel()
	var fs apperr.Fields
	if fs.Err() != nil {
		t.Fatal("empty Fields.Err() is not nil")
	}
	fs = append(fs, apperr.Field("price", "Price must be positive"))
	if err := fs.Err(); err == nil || err.Error() != "price: Price must be positive" {
		t.Fatalf("Fields.Err() = %v", err)
	}
}

func TestWithKeepsTheSentinelsKindMessageAndField(t *testing.T) {
	t.Parallel()
	errNoTitle := apperr.Field("title", "Title is required")
	cause := errors.New("decode: title missing")
	err := fmt.Errorf("tickets.Create: %w", errNoTitle.With(cause))

	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.Invalid || e.Message != "Title is required" || e.Field != "title" {
		t.Fatalf("With made %#v, want the sentinel's kind, message and field", e)
	}
	if !errors.Is(err, errNoTitle) {
		t.Error("errors.Is does not find the sentinel With was called on")
	}
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not find the cause given to With")
	}
	if got, want := e.Error(), "Title is required: decode: title missing"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if again := e.With(errors.New("again")); !errors.Is(again, errNoTitle) {
		t.Error("With on an instance lost the sentinel")
	}
}

func TestSentinelsAreComparedByIdentityNotByText(t *testing.T) {
	t.Parallel()
	// Two refusals that answer alike, as not being signed in and not being
	// the owner do, are still two errors.
	errNotSignedIn := apperr.New(apperr.Unauthorized, "Not authorized")
	errNotOwner := apperr.New(apperr.Unauthorized, "Not authorized")
	tests := []struct {
		name string
		err  error
	}{
		{"the other sentinel", errNotOwner},
		{"an instance of the other sentinel", errNotOwner.With(errors.New("user 42"))},
		{"an error wrapped with the same kind and message", apperr.Wrap(apperr.Unauthorized, "Not authorized", errors.New("user 42"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if errors.Is(tc.err, errNotSignedIn) {
				t.Errorf("errors.Is(%v, errNotSignedIn) = true, want false", tc.err)
			}
			if apperr.KindOf(tc.err) != apperr.Unauthorized {
				t.Errorf("KindOf(%v) = %v, want unauthorized", tc.err, apperr.KindOf(tc.err))
			}
		})
	}
}
