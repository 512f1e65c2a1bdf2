package ticket

import (
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/paging"
)

// The bounds of a listing's page.
const (
	// DefaultLimit is the page size of a listing that asks for none.
	DefaultLimit = 100
	// MaxLimit is the largest page a listing answers.
	MaxLimit = 100
)

// SellerMe is the only seller a listing may ask for: the caller.
const SellerMe = "me"

// ErrBadCursor is an after that names no ticket.
var ErrBadCursor = apperr.Field("after", "After must be the id of a ticket")

// Listing selects a page of tickets, newest first.
type Listing struct {
	// Limit is how many tickets the page holds at most.
	Limit int
	// After is the id of the last ticket of the previous page; empty for
	// the first page.
	After string
	// Mine lists the caller's own tickets in every status, rather than the
	// tickets on sale.
	Mine bool
	// Search narrows and orders the tickets on sale.
	Search Search
}

// ErrSearchOfMine refuses a search of the caller's own tickets: a search
// looks through the shop.
var ErrSearchOfMine = apperr.Field("seller", "A search looks through the shop; it cannot be combined with seller=me")

// WithSearch returns l narrowed by s, or ErrSearchOfMine when l lists the
// caller's own tickets and s narrows or orders them.
func (l Listing) WithSearch(s Search) (Listing, error) {
	if l.Mine && (s.Narrows() || s.Sort != Newest) {
		return Listing{}, ErrSearchOfMine
	}
	l.Search = s
	return l, nil
}

// ParseListing reads a listing's ?limit, ?after and ?seller parameters,
// empty when absent. It reports each bad one as an apperr.Fields entry: a
// limit that is no whole number from 1 to MaxLimit, an after that is no
// ticket id, a seller other than SellerMe.
func ParseListing(limit, after, seller string) (Listing, error) {
	p, bad := pages.Parse(limit, after)
	if seller != "" && seller != SellerMe {
		bad = append(bad, apperr.Field("seller", `Seller must be "me"`))
	}
	if err := bad.Err(); err != nil {
		return Listing{}, err
	}
	return Listing{Limit: p.Limit, After: p.After, Mine: seller == SellerMe}, nil
}

// pages is what a listing accepts as a page.
var pages = paging.Rule{DefaultLimit: DefaultLimit, MaxLimit: MaxLimit, ValidAfter: ValidID, BadAfter: ErrBadCursor}

// ParseQuery reads a listing's page, seller (ParseListing) and search
// (ParseSearch) at once, reporting every bad parameter together, and
// ErrSearchOfMine for a search of the caller's own tickets.
func ParseQuery(limit, after, seller string, p Params) (Listing, error) {
	var bad refusals
	l, err := ParseListing(limit, after, seller)
	bad.all(err)
	s, err := ParseSearch(p)
	bad.all(err)
	if err := bad.Err(); err != nil {
		return Listing{}, err
	}
	return l.WithSearch(s)
}
