package ticket

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buytickets/buytickets/functions/tickets/internal/search"
	"github.com/buytickets/buytickets/shared/apperr"
)

// Sort is the order a search lists tickets in.
type Sort string

// The orders of a search.
const (
	// Newest lists the latest listings first, as the shop always has.
	Newest Sort = "newest"
	// Soonest lists by the event's start, the soonest first; tickets that
	// name no event are left out.
	Soonest Sort = "soonest"
	// Cheapest lists by price, the lowest first.
	Cheapest Sort = "price"
)

// MaxQueryLen is the longest search text accepted, in characters.
const MaxQueryLen = 200

// Search narrows the tickets on sale: by words of their title, event,
// venue or city (each a whole word or the start of one, whatever the case
// and accents), by city, by the event's start and by price.
type Search struct {
	// Words are the folded words of the search text, all of which a
	// ticket must hold.
	Words []string
	// City is the folded city a ticket's event must be in; "" for any.
	City string
	// From and To bound the event's start: From ≤ start < To; zero for
	// no bound.
	From, To time.Time
	// MinPrice and MaxPrice bound the price, both included; 0 for none.
	MinPrice, MaxPrice Price
	Sort               Sort
}

// Sifts reports whether the store leaves any of s to be checked ticket by
// ticket (Admits) rather than by its indexes: a second word, or a bound
// on a field other than the one the page is sorted by.
func (s Search) Sifts() bool {
	return len(s.Words) > 1 ||
		(s.Sort != Soonest && (!s.From.IsZero() || !s.To.IsZero())) ||
		(s.Sort != Cheapest && (s.MinPrice > 0 || s.MaxPrice > 0))
}

// Narrows reports whether s selects fewer tickets than the whole shop.
func (s Search) Narrows() bool {
	return len(s.Words) > 0 || s.City != "" || !s.From.IsZero() || !s.To.IsZero() || s.MinPrice > 0 || s.MaxPrice > 0
}

// Terms are the words and word starts t is found by (search.Terms).
func (t Ticket) Terms() []string {
	return search.Terms(t.title, t.event.Name, t.event.Venue, t.event.City)
}

// Admits reports whether t, found by terms (its Terms, as the store keeps
// them), meets every condition of s, and is on sale at now: available,
// and for an event that has not begun.
func (s Search) Admits(t Ticket, terms []string, now time.Time) bool {
	e := t.Event()
	switch {
	case t.Status() != Available || e.StartedAt(now):
		return false
	case len(s.Words) > 0 && !search.Matches(terms, s.Words):
		return false
	case s.City != "" && search.Fold(e.City) != s.City:
		return false
	case (!s.From.IsZero() || !s.To.IsZero() || s.Sort == Soonest) && e.StartsAt.IsZero():
		return false
	case !s.From.IsZero() && e.StartsAt.Before(s.From), !s.To.IsZero() && !e.StartsAt.Before(s.To):
		return false
	case s.MinPrice > 0 && t.Price() < s.MinPrice, s.MaxPrice > 0 && t.Price() > s.MaxPrice:
		return false
	}
	return true
}

// Params are a search's query parameters as a client wrote them.
type Params struct {
	Q, City, From, To, MinPrice, MaxPrice, Sort string
}

// ParseSearch reads a search's parameters, each empty when absent: q (up
// to MaxQueryLen characters), city (up to MaxPlaceLen), from and to (an
// RFC 3339 time, or a date, which is its whole day in UTC), minPrice and
// maxPrice (dollars, at most 2 decimals) and sort (newest, soonest or
// price; newest when absent). It reports each bad one as an apperr.Fields
// entry named for its parameter.
func ParseSearch(p Params) (Search, error) {
	var bad apperr.Fields
	s := Search{Sort: Newest}
	switch q := strings.TrimSpace(p.Q); {
	case utf8.RuneCountInString(q) > MaxQueryLen:
		bad = append(bad, apperr.Field("q", fmt.Sprintf("Search must be at most %d characters", MaxQueryLen)))
	default:
		s.Words = search.Words(q)
	}
	switch city := strings.TrimSpace(p.City); {
	case utf8.RuneCountInString(city) > MaxPlaceLen:
		bad = append(bad, apperr.Field("city", fmt.Sprintf("City must be at most %d characters", MaxPlaceLen)))
	default:
		s.City = search.Fold(city)
	}
	var err *apperr.Error
	if s.From, _, err = parseDay("from", "From", p.From); err != nil {
		bad = append(bad, err)
	}
	var toDate bool
	if s.To, toDate, err = parseDay("to", "To", p.To); err != nil {
		bad = append(bad, err)
	} else if toDate {
		s.To = s.To.AddDate(0, 0, 1) // a date is its whole day
	}
	if !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To) {
		bad = append(bad, apperr.Field("to", "To must be after from"))
	}
	if s.MinPrice, err = parseBound("minPrice", p.MinPrice); err != nil {
		bad = append(bad, err)
	}
	if s.MaxPrice, err = parseBound("maxPrice", p.MaxPrice); err != nil {
		bad = append(bad, err)
	}
	if s.MinPrice > 0 && s.MaxPrice > 0 && s.MaxPrice < s.MinPrice {
		bad = append(bad, apperr.Field("maxPrice", "maxPrice must not be below minPrice"))
	}
	switch sort := Sort(p.Sort); sort {
	case "":
	case Newest, Soonest, Cheapest:
		s.Sort = sort
	default:
		bad = append(bad, apperr.Field("sort", `Sort must be "newest", "soonest" or "price"`))
	}
	if err := bad.Err(); err != nil {
		return Search{}, err
	}
	return s, nil
}

// parseDay reads a bound on the event's start: an RFC 3339 time, or a date
// (2027-06-01), which is that day's start in UTC and reported as a date.
func parseDay(field, label, v string) (at time.Time, date bool, err *apperr.Error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false, nil
	}
	if t, perr := time.Parse(time.DateOnly, v); perr == nil {
		return t, true, nil
	}
	t, perr := time.Parse(time.RFC3339, v)
	if perr != nil {
		return time.Time{}, false, apperr.Field(field, label+" must be a date (2027-06-01) or a date and time (2027-06-01T20:00:00Z)")
	}
	return t.UTC(), false, nil
}

// parseBound reads a price bound in dollars: a number from 0 to MaxPrice
// with at most 2 decimals; 0 when absent.
func parseBound(field, v string) (Price, *apperr.Error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	bad := apperr.Field(field, field+" must be an amount in dollars such as 25 or 19.99")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > MaxPrice.Dollars() {
		return 0, bad
	}
	cents := math.Round(f * 100)
	if math.Abs(cents-f*100) > 1e-6 {
		return 0, bad
	}
	return Price(cents), nil
}
