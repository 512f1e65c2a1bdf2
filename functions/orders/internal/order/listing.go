package order

import (
	"strconv"

	"github.com/buytickets/buytickets/shared/apperr"
)

// The bounds of a page of a buyer's orders.
const (
	// DefaultLimit is the page size of a listing that asks for none.
	DefaultLimit = 100
	// MaxLimit is the largest page a listing answers.
	MaxLimit = 100
)

// ErrBadCursor is an after that names no order of the listing.
var ErrBadCursor = apperr.Field("after", "After must be the id of an order")

// Listing selects a page of a buyer's orders, newest first.
type Listing struct {
	// Limit is how many orders the page holds at most.
	Limit int
	// After is the id of the last order of the previous page; empty for
	// the first page.
	After string
}

// ParseListing reads a listing's ?limit and ?after, empty when absent,
// reporting each bad one as an apperr.Fields entry: a limit that is no
// whole number from 1 to MaxLimit, an after that is no order id.
func ParseListing(limit, after string) (Listing, error) {
	l := Listing{Limit: DefaultLimit, After: after}
	var bad apperr.Fields
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			bad = append(bad, apperr.Field("limit", "Limit must be a whole number from 1 to "+strconv.Itoa(MaxLimit)))
		}
		l.Limit = n
	}
	if after != "" && !ValidID(after) {
		bad = append(bad, ErrBadCursor)
	}
	if err := bad.Err(); err != nil {
		return Listing{}, err
	}
	return l, nil
}
