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
