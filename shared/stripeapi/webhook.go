package stripeapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/store"
)

// MaxWebhookBytes is the largest Stripe event a webhook reads.
const MaxWebhookBytes = 64 << 10

// The refusals of a webhook event.
var (
	// ErrBadSignature refuses an event that is unsigned, not signed with
	// the webhook's secret, or signed more than five minutes ago.
	ErrBadSignature = apperr.New(apperr.Invalid, "Invalid Stripe signature")
	// ErrBadEvent refuses a signed event that cannot be read, of an API
	// version other than the one stripe-go decodes (stripe.APIVersion), or
	// with an id no document can have.
	ErrBadEvent = apperr.New(apperr.Invalid, "Invalid Stripe event")
	// ErrWebhookTooLarge refuses an event over MaxWebhookBytes.
	ErrWebhookTooLarge = apperr.New(apperr.TooLarge, "Stripe event too large")
)

// WebhookBody reads the body of r, a webhook's request: JSON
// (httpx.ErrUnsupportedMediaType otherwise) of at most MaxWebhookBytes
// (ErrWebhookTooLarge).
func WebhookBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mediaType != "application/json" {
		return nil, httpx.ErrUnsupportedMediaType
	}
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, ErrWebhookTooLarge
	} else if err != nil {
		return nil, ErrBadEvent.With(fmt.Errorf("read body: %w", err))
	}
	return payload, nil
}

// VerifyEvent verifies payload, the body Stripe posted, against signature
// (its Stripe-Signature header) and secret, and returns the event it
// holds: ErrBadSignature for a signature that does not hold, ErrBadEvent
// for an event that cannot be read or whose id no document can have (a
// function keeps the ids of the events it took).
func VerifyEvent(payload []byte, signature, secret string) (stripe.Event, error) {
	ev, err := webhook.ConstructEvent(payload, signature, secret)
	switch {
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
		errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
		return stripe.Event{}, ErrBadSignature.With(fmt.Errorf("webhook.ConstructEvent: %w", err))
	case err != nil:
		return stripe.Event{}, ErrBadEvent.With(fmt.Errorf("webhook.ConstructEvent: %w", err))
	case !store.ValidID(ev.ID):
		return stripe.Event{}, ErrBadEvent.With(fmt.Errorf("event id %q", ev.ID))
	}
	return ev, nil
}
