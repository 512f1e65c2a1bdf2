package deadletter

import (
	"strconv"

	"github.com/buytickets/buytickets/shared/apperr"
)

// The bounds of a listing's page.
const (
	// DefaultLimit is the page size of a listing that asks for none.
	DefaultLimit = 100
	// MaxLimit is the largest page a listing answers.
	MaxLimit = 500
)

// Page selects part of the listing, oldest first.
type Page struct {
	// Limit is how many dead letters the page holds at most.
	Limit int
	// After is the id of the last dead letter of the previous page; empty
	// for the first page.
	After string
}

// ParsePage reads a listing's ?limit and ?after parameters, empty when
// absent. It reports each bad one as an apperr.Fields entry: a limit that is
// no whole number from 1 to MaxLimit, or an after that is no dead letter id.
func ParsePage(limit, after string) (Page, error) {
	p := Page{Limit: DefaultLimit, After: after}
	var bad apperr.Fields
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			bad = append(bad, apperr.Field("limit", "Limit must be a whole number from 1 to "+strconv.Itoa(MaxLimit)))
		}
		p.Limit = n
	}
	if after != "" && !ValidID(after) {
		bad = append(bad, apperr.Field("after", "After must be the id of a dead letter"))
	}
	if err := bad.Err(); err != nil {
		return Page{}, err
	}
	return p, nil
}
