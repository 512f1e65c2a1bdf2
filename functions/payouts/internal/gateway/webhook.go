package gateway

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/buytickets/buytickets/shared/stripeapi"
)

// The refusals of a webhook event (stripeapi.VerifyEvent's).
var (
	ErrBadSignature = stripeapi.ErrBadSignature
	ErrBadEvent     = stripeapi.ErrBadEvent
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
	ev, err := stripeapi.VerifyEvent(payload, signature, secret)
	if err != nil {
		return Event{}, err
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
