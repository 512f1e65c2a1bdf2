package eventing

import "github.com/cloudevents/sdk-go/v2/event"

// producers names the one function that emits each type of the catalog
// (DESIGN §5): the constructors set it as the source, and receivers take a
// type only from it.
var producers = map[string]string{
	TypeTicketCreated:       "tickets",
	TypeTicketUpdated:       "tickets",
	TypeOrderCreated:        "orders",
	TypeOrderCancelled:      "orders",
	TypeOrderCompleted:      "orders",
	TypeExpirationCompleted: "expiration",
	TypePaymentCreated:      "payments",
	TypePaymentRefunded:     "payments",
	TypeUserRegistered:      "auth",
	TypeUserBanned:          "auth",
	TypeUserUnbanned:        "auth",
	TypeETicketIssued:       "etickets",
	TypeETicketCheckedIn:    "etickets",
	TypeETicketRevoked:      "etickets",
	TypePayoutReleased:      "payouts",
}

// ProducerOf returns the function that emits events of type typ, and
// false for a type outside the catalog.
func ProducerOf(typ string) (function string, ok bool) {
	function, ok = producers[typ]
	return function, ok
}

// FromProducer reports whether ev comes from the source of its type's
// producer. An event of a type outside the catalog comes from no producer.
func FromProducer(ev event.Event) bool {
	function, ok := ProducerOf(ev.Type())
	return ok && ev.Source() == Source(function)
}
