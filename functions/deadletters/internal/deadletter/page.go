package deadletter

import (
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/paging"
)

// The bounds of a listing's page.
const (
	// DefaultLimit is the page size of a listing that asks for none.
	DefaultLimit = 100
	// MaxLimit is the largest page a listing answers.
	MaxLimit = 500
)

// Page selects part of the listing, oldest first: at most Limit dead
// letters, after the dead letter After (empty for the first page).
type Page = paging.Page

// pages is what the listing accepts as a page.
var pages = paging.Rule{
	DefaultLimit: DefaultLimit, MaxLimit: MaxLimit, ValidAfter: ValidID,
	BadAfter: apperr.Field("after", "After must be the id of a dead letter"),
}

// ParsePage reads a listing's ?limit and ?after parameters, empty when
// absent. It reports each bad one as an apperr.Fields entry: a limit that is
// no whole number from 1 to MaxLimit, or an after that is no dead letter id.
func ParsePage(limit, after string) (Page, error) {
	p, bad := pages.Parse(limit, after)
	if err := bad.Err(); err != nil {
		return Page{}, err
	}
	return p, nil
}
