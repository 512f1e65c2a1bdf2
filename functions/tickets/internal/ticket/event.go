package ticket

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/buytickets/buytickets/shared/apperr"
)

// The longest parts of an event description, in characters.
const (
	MaxEventNameLen = 200
	MaxPlaceLen     = 100 // a venue or a city
	MaxSeatPartLen  = 20  // a section, a row or a seat number
)

// ErrEventStarted refuses to list, edit, resell or order a ticket for an
// event that has begun.
var ErrEventStarted = apperr.New(apperr.Invalid, "This event has already started")

// Event is what a ticket admits to: the event's name, where and when. The
// zero Event is a ticket that says none.
type Event struct {
	Name     string
	Venue    string
	City     string
	StartsAt time.Time
}

// IsZero reports a ticket that names no event.
func (e Event) IsZero() bool { return e == Event{} }

// StartedAt reports whether the event has begun at now; an event with no
// start never has.
func (e Event) StartedAt(now time.Time) bool { return !e.StartsAt.IsZero() && !now.Before(e.StartsAt) }

// Seat is where a ticket's holder sits; any part may be empty.
type Seat struct {
	Section string
	Row     string
	Number  string
}

// EventInput is an event description as a client wrote it.
type EventInput struct {
	Name, Venue, City, StartsAt string
}

// SeatInput is a seat as a client wrote it.
type SeatInput struct {
	Section, Row, Number string
}

// ParseEvent checks an event description for a listing made at now: a
// name (1 to MaxEventNameLen characters of visible text), an optional
// venue and city (up to MaxPlaceLen each) and a start in RFC 3339, after
// now. It reports every failed field at once as apperr.Fields, named
// "event.name" and so on.
func ParseEvent(in EventInput, now time.Time) (Event, error) {
	var bad refusals
	e := Event{
		Name:  bad.text(parseText("event.name", "Event name", in.Name, MaxEventNameLen, true)),
		Venue: bad.text(parseText("event.venue", "Venue", in.Venue, MaxPlaceLen, false)),
		City:  bad.text(parseText("event.city", "City", in.City, MaxPlaceLen, false)),
	}
	switch at, err := time.Parse(time.RFC3339, strings.TrimSpace(in.StartsAt)); {
	case strings.TrimSpace(in.StartsAt) == "":
		bad.add(apperr.Field("event.startsAt", "Start time is required"))
	case err != nil:
		bad.add(apperr.Field("event.startsAt", "Start time must be a date and time such as 2027-06-01T20:00:00+02:00"))
	case !at.After(now):
		bad.add(apperr.Field("event.startsAt", "Start time must be in the future"))
	default:
		e.StartsAt = at.UTC().Truncate(time.Millisecond)
	}
	if err := bad.Err(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// ParseSeat checks a seat: each part optional, up to MaxSeatPartLen
// characters of visible text, reported as "seat.section" and so on.
func ParseSeat(in SeatInput) (Seat, error) {
	var bad refusals
	s := Seat{
		Section: bad.text(parseText("seat.section", "Section", in.Section, MaxSeatPartLen, false)),
		Row:     bad.text(parseText("seat.row", "Row", in.Row, MaxSeatPartLen, false)),
		Number:  bad.text(parseText("seat.number", "Seat number", in.Number, MaxSeatPartLen, false)),
	}
	if err := bad.Err(); err != nil {
		return Seat{}, err
	}
	return s, nil
}

// parseText checks one line of text a seller wrote, trimmed: at most max
// characters, none of them control or invisible formatting characters,
// and at least one a reader can see unless it is empty and not required.
// label names the field in the messages.
func parseText(field, label, s string, max int, required bool) (string, *apperr.Error) {
	t := strings.TrimSpace(s)
	switch {
	case t == "" && required:
		return "", apperr.Field(field, label+" is required")
	case t == "":
		return "", nil
	case utf8.RuneCountInString(t) > max:
		return "", apperr.Field(field, fmt.Sprintf("%s must be between 1 and %d characters", label, max))
	case strings.IndexFunc(t, unicode.IsControl) >= 0:
		return "", apperr.Field(field, label+" must not contain control characters")
	case strings.IndexFunc(t, hidden) >= 0:
		return "", apperr.Field(field, label+" must not contain invisible formatting characters")
	case strings.IndexFunc(t, visible) < 0:
		return "", apperr.Field(field, label+" must contain a visible character")
	}
	return t, nil
}

// Input is a listing or an edit as a client wrote it: ParseDetails' title
// and price, and an event and a seat when the client gave them.
type Input struct {
	Title, Price string
	Event        *EventInput
	Seat         *SeatInput
}

// Parse checks in at now, reporting every failed field at once as
// apperr.Fields: the title and price as ParseDetails does, the event as
// ParseEvent does and the seat as ParseSeat does.
func Parse(in Input, now time.Time) (Details, error) {
	var bad refusals
	d, err := ParseDetails(in.Title, in.Price)
	bad.all(err)
	if in.Event != nil {
		e, err := ParseEvent(*in.Event, now)
		bad.all(err)
		d.Event = &e
	}
	if in.Seat != nil {
		s, err := ParseSeat(*in.Seat)
		bad.all(err)
		d.Seat = &s
	}
	if err := bad.Err(); err != nil {
		return Details{}, err
	}
	return d, nil
}

// refusals gathers the field refusals of one parse, so that all of them
// are reported at once (apperr.Fields).
type refusals struct{ apperr.Fields }

// add records the refusal err.
func (r *refusals) add(err *apperr.Error) { r.Fields = append(r.Fields, err) }

// text records err, the refusal of one field's text, if any, and returns
// the text: parseText's results, as they come.
func (r *refusals) text(s string, err *apperr.Error) string {
	if err != nil {
		r.add(err)
	}
	return s
}

// all records every refusal of err, a parse's apperr.Fields; nil records
// none.
func (r *refusals) all(err error) {
	var fs apperr.Fields
	if errors.As(err, &fs) {
		r.Fields = append(r.Fields, fs...)
	}
}
