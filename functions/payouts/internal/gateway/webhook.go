package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
)

// The refusals of a webhook event.
var (
	// ErrBadSignature refuses an event that is unsigned, not signed with
	// the Connect webhook secret, or signed more than five minutes ago.
	ErrBadSignature = apperr.New(apperr.Invalid, "Invalid Stripe signature")
	// ErrBadEvent refuses a signed event that cannot be read, of an API
	// version other than stripe-go's, or an account.updated without its
	// account.
	ErrBadEvent = apperr.New(apperr.Invalid, "Invalid Stripe event")
)

// accountUpdated is the Stripe event type payouts acts on.
const accountUpdated = "account.updated"

// Event is a verified Stripe event as payouts reads it.
type Event struct {
	ID, Type string
	// Account is the connected account of an account.updated; nil for any
	// other type.
	Account *AccountUpdate
}

// AccountUpdate is what account.updated says of a connected account.
type AccountUpdate struct {
	AccountID string
	// UserID is the seller its metadata names, as CreateAccount set it.
	UserID         string
	PayoutsEnabled bool
	// At is when Stripe created the event, which orders the updates.
	At time.Time
}

// ReadEvent verifies payload, the body Stripe posted, against signature
// (its Stripe-Signature header) and secret, and reads it.
func ReadEvent(payload []byte, signature, secret string) (Event, error) {
	ev, err := webhook.ConstructEvent(payload, signature, secret)
	switch {
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
		errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
		return Event{}, ErrBadSignature.With(fmt.Errorf("webhook.ConstructEvent: %w", err))
	case err != nil:
		return Event{}, ErrBadEvent.With(fmt.Errorf("webhook.ConstructEvent: %w", err))
	case !store.ValidID(ev.ID):
		return Event{}, ErrBadEvent.With(fmt.Errorf("event id %q", ev.ID))
	}
	out := Event{ID: ev.ID, Type: string(ev.Type)}
	if ev.Type != accountUpdated {
		return out, nil
	}
	var a stripe.Account
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &a) != nil || a.ID == "" {
		return Event{}, ErrBadEvent.With(fmt.Errorf("event %s: no Account", ev.ID))
	}
	out.Account = &AccountUpdate{
		AccountID: a.ID, UserID: a.Metadata["userId"], PayoutsEnabled: a.PayoutsEnabled,
		At: time.Unix(ev.Created, 0).UTC(),
	}
	return out, nil
}
