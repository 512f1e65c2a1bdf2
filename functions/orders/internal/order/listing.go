package order

import (
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/paging"
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

// Listing selects a page of a buyer's orders, newest first: at most Limit
// orders, after the order After (empty for the first page).
type Listing = paging.Page

// listings is what a buyer's listing accepts as a page.
var listings = paging.Rule{DefaultLimit: DefaultLimit, MaxLimit: MaxLimit, ValidAfter: ValidID, BadAfter: ErrBadCursor}

// ParseListing reads a listing's ?limit and ?after, empty when absent,
// reporting each bad one as an apperr.Fields entry: a limit that is no
// whole number from 1 to MaxLimit, an after that is no order id.
func ParseListing(limit, after string) (Listing, error) {
	l, bad := listings.Parse(limit, after)
	if err := bad.Err(); err != nil {
		return Listing{}, err
	}
	return l, nil
}
