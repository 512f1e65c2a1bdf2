// Package apperr classifies errors into the few kinds that callers act on.
//
// A domain package wraps a Kind in its own sentinel (ErrTicketReserved is an
// Invalid), the store reports NotFound, Conflict and Unavailable, and the
// transports map each kind once: httpx to an HTTP status, the receivers to a
// CloudEvents result. The package imports nothing from net/http, so domain
// packages can use it.
//
// A sentinel is one refusal, compared by identity: ErrX.With(cause) keeps
// ErrX's kind, message and field and matches ErrX with errors.Is, while two
// sentinels never match each other, whatever their kind and message. Two
// answers that must look the same (sign-in's for an unknown email and for a
// wrong password) are one sentinel, or one kind.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind is the class of an error: what a caller can do about it.
type Kind int

// The kinds, from the caller's point of view.
const (
	// Internal is an unexpected failure; its details are for logs only.
	Internal Kind = iota
	// Invalid is bad input or a business refusal; the message is shown to the caller.
	Invalid
	// Unauthorized is a missing session or an actor who is not the owner.
	Unauthorized
	// NotFound is a missing resource.
	NotFound
	// Conflict is a state that contradicts the request, such as a duplicate create.
	Conflict
	// Unavailable is contention that outlasted the retries or a dependency that is down;
	// the same request may succeed later.
	Unavailable
	// TooLarge is a request body over the limit.
	TooLarge
	// Unsupported is a request body in a media type the endpoint does not take.
	Unsupported
	// PaymentRequired is a payment the card issuer declined.
	PaymentRequired
	// Forbidden is a signed-in caller who may not act at all, such as a
	// suspended account.
	Forbidden
	// TooMany is a caller over a rate limit; RetryAfter says when to come
	// back.
	TooMany
)

var kindNames = map[Kind]string{
	Internal:        "internal",
	Invalid:         "invalid",
	Unauthorized:    "unauthorized",
	NotFound:        "not found",
	Conflict:        "conflict",
	Unavailable:     "unavailable",
	TooLarge:        "too large",
	Unsupported:     "unsupported",
	PaymentRequired: "payment required",
	Forbidden:       "forbidden",
	TooMany:         "too many requests",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is an error of a known kind with a message safe to show to the caller.
// Field names the input field at fault, for Invalid errors about one field.
type Error struct {
	Kind    Kind
	Message string
	Field   string
	// Err is the underlying cause, kept for logs and errors.Is; never shown.
	Err error
	// RetryAfter is how long the caller should wait before trying again,
	// for a TooMany or Unavailable error; zero for the answer's default.
	RetryAfter time.Duration
	// sentinel is the error that With made this one from, which Is
	// matches; nil for an error that is its own identity.
	sentinel *Error
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e was made by With from target (or from an error
// With made from target). errors.Is matches an *Error with itself; no two
// errors made apart match, even of the same kind, message and field.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e.sentinel != nil && e.sentinel == t
}

// With returns an instance of e with cause: of e's kind, message and field,
// matching e with errors.Is, and keeping cause for logs and errors.Is.
func (e *Error) With(cause error) *Error {
	sentinel := e
	if e.sentinel != nil {
		sentinel = e.sentinel
	}
	return &Error{Kind: e.Kind, Message: e.Message, Field: e.Field, Err: cause, RetryAfter: e.RetryAfter, sentinel: sentinel}
}

// After returns an instance of e (as With makes one, keeping e's cause)
// telling the caller to come back after d.
func (e *Error) After(d time.Duration) *Error {
	later := e.With(e.Err)
	later.RetryAfter = d
	return later
}

// New returns an error of kind k with a message safe to show to the caller.
func New(k Kind, message string) *Error { return &Error{Kind: k, Message: message} }

// Field returns an Invalid error about one input field.
func Field(field, message string) *Error {
	return &Error{Kind: Invalid, Message: message, Field: field}
}

// Wrap returns an error of kind k with message, keeping err as the cause:
// for a message made where the error happens (a card issuer's reason). A
// refusal with a fixed message is a sentinel made by New or Field, passed on
// with its With, so that its kind cannot drift from its message.
func Wrap(k Kind, message string, err error) *Error {
	return &Error{Kind: k, Message: message, Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is classified as kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Fields is a list of Invalid errors, one per failed input field, reported together.
type Fields []*Error

// Error joins the messages.
func (fs Fields) Error() string {
	msg := ""
	for i, f := range fs {
		if i > 0 {
			msg += "; "
		}
		msg += f.Field + ": " + f.Message
	}
	return msg
}

// Unwrap returns the field errors, so that errors.Is finds each refusal.
func (fs Fields) Unwrap() []error {
	errs := make([]error, len(fs))
	for i, f := range fs {
		errs[i] = f
	}
	return errs
}

// Err returns fs as an error, or nil when it holds none.
func (fs Fields) Err() error {
	if len(fs) == 0 {
		return nil
	}
	return fs
}
