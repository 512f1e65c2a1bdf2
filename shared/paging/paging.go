// Package paging reads the page a listing's client asks for: ?limit and
// ?after, checked the same way by every listing of the marketplace.
package paging

import (
	"net/url"
	"strconv"

	"github.com/buytickets/buytickets/shared/apperr"
)

// Page is one page of a listing: at most Limit items, starting after the
// item After (empty for the first page).
type Page struct {
	Limit int
	After string
}

// Rule is what one listing accepts as a page.
type Rule struct {
	// DefaultLimit is the page size when ?limit is absent.
	DefaultLimit int
	// MaxLimit is the largest ?limit accepted.
	MaxLimit int
	// ValidAfter reports whether ?after can name an item of the listing.
	ValidAfter func(string) bool
	// BadAfter is the refusal of an ?after ValidAfter refuses.
	BadAfter *apperr.Error
}

// Parse reads a listing's ?limit and ?after, empty when absent, and
// returns the page with each bad one as an apperr.Fields entry (nil when
// both are good): a limit that is no whole number from 1 to MaxLimit, an
// after ValidAfter refuses. A listing with more parameters adds their
// refusals to the same Fields.
func (r Rule) Parse(limit, after string) (Page, apperr.Fields) {
	p := Page{Limit: r.DefaultLimit, After: after}
	var bad apperr.Fields
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > r.MaxLimit {
			bad = append(bad, apperr.Field("limit", "Limit must be a whole number from 1 to "+strconv.Itoa(r.MaxLimit)))
		}
		p.Limit = n
	}
	if after != "" && !r.ValidAfter(after) {
		bad = append(bad, r.BadAfter)
	}
	return p, bad
}

// Query is Parse of the ?limit and ?after in q.
func (r Rule) Query(q url.Values) (Page, apperr.Fields) {
	return r.Parse(q.Get("limit"), q.Get("after"))
}

// NextLink is the value of the Link header that points a client of the
// listing at path to the page of limit items after the item last: ?limit,
// then ?after, then extra, parameters already encoded as key=value that
// the listing keeps from page to page.
func NextLink(path string, limit int, last string, extra ...string) string {
	q := "limit=" + strconv.Itoa(limit) + "&after=" + url.QueryEscape(last)
	for _, kv := range extra {
		q += "&" + kv
	}
	return "<" + path + "?" + q + `>; rel="next"`
}
