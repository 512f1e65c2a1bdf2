package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

// The home page is the shop: the tickets on sale, narrowed and ordered by
// a search form that is a plain GET form, so that it works without
// JavaScript and a search is a link. Its inputs bear the API's parameter
// names (q, city, from, to, minPrice, maxPrice, sort), so the API's
// refusal of one is shown next to its input.

// searchFields are the home page's search inputs, in the API's names.
var searchFields = []string{"q", "city", "from", "to", "minPrice", "maxPrice", "sort"}

// sortSoonest is the order by the event's start.
const sortSoonest = "soonest"

// sortOptions are the orders the search offers, as the API names them.
var sortOptions = []sortOption{
	{Value: "newest", Label: "Newest listings"},
	{Value: sortSoonest, Label: "Soonest event"},
	{Value: "price", Label: "Lowest price"},
}

// sortOption is one choice of the Sort by menu.
type sortOption struct{ Value, Label string }

// searchOf reads the search of the home page's query, as typed, trimmed.
func searchOf(q url.Values) map[string]string {
	values := make(map[string]string, len(searchFields))
	for _, name := range searchFields {
		values[name] = strings.TrimSpace(q.Get(name))
	}
	return values
}

// apiSearch is the search of values as the API reads it. The dates are
// whole days in the visitor's zone loc, which the API is sent as times:
// from the start of the from day to the end of the to day. A date that
// does not read as one is passed on as typed, for the API to refuse.
func apiSearch(values map[string]string, loc *time.Location) api.Search {
	s := api.Search{Q: values["q"], City: values["city"], MinPrice: values["minPrice"],
		MaxPrice: values["maxPrice"], Sort: values["sort"], From: values["from"], To: values["to"]}
	if d, err := time.ParseInLocation(time.DateOnly, s.From, loc); err == nil {
		s.From = d.Format(time.RFC3339)
	}
	if d, err := time.ParseInLocation(time.DateOnly, s.To, loc); err == nil {
		s.To = d.AddDate(0, 0, 1).Format(time.RFC3339) // the API's to is exclusive
	}
	return s
}

// queryOf is values as the home page's query, without the empty ones.
func queryOf(values map[string]string) url.Values {
	q := url.Values{}
	for _, name := range searchFields {
		if v := values[name]; v != "" {
			q.Set(name, v)
		}
	}
	return q
}

// narrowed reports whether values select fewer tickets than the whole
// shop: any filter, or the soonest order, which leaves out tickets that
// name no event.
func narrowed(values map[string]string) bool {
	for _, name := range searchFields {
		if v := values[name]; v != "" && (name != "sort" || v == sortSoonest) {
			return true
		}
	}
	return false
}

// searchTips say what to change when a search finds nothing, one per
// filter it used, in the form's order.
func searchTips(values map[string]string) []string {
	var tips []string
	if values["q"] != "" {
		tips = append(tips, "Use fewer words, or the start of a word.")
	}
	if values["city"] != "" {
		tips = append(tips, "Try another city, or leave City empty to search everywhere.")
	}
	if values["from"] != "" || values["to"] != "" {
		tips = append(tips, "Widen the date range.")
	}
	if values["minPrice"] != "" || values["maxPrice"] != "" {
		tips = append(tips, "Widen the price range.")
	}
	if values["sort"] == sortSoonest {
		tips = append(tips, "Sort by newest listings: sorting by soonest event leaves out tickets that name no event.")
	}
	return tips
}

// weekAhead is how far ahead "This week" looks. A rolling seven days
// rather than the calendar week, so that on a Sunday it still holds the
// week to come.
const weekAhead = 7 * 24 * time.Hour

// section is a run of a listing's tickets under a heading.
type section struct {
	ID, Heading string
	Tickets     []ticketView
	// ShowStatus is the tickets partial's; the shop shows none.
	ShowStatus bool
}

// sectionsOf splits tickets, sorted by their event's start, into those
// starting within weekAhead of now ("This week") and the rest ("Later"),
// leaving out a section with none. Only a listing sorted by soonest event
// is split: in any other order the two would interleave, and splitting
// them would undo the order the visitor chose.
func sectionsOf(tickets []ticketView, now time.Time) []section {
	week := section{ID: "this-week", Heading: "This week"}
	later := section{ID: "later", Heading: "Later"}
	for _, t := range tickets {
		if t.Event != nil && t.Event.At.Before(now.Add(weekAhead)) {
			week.Tickets = append(week.Tickets, t)
			continue
		}
		later.Tickets = append(later.Tickets, t)
	}
	var out []section
	for _, s := range []section{week, later} {
		if len(s.Tickets) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// shop is the content of the home page: the search form and a page of
// what it found.
type shop struct {
	listing
	// Search is the search form: the values typed and the API's refusal
	// of any of them.
	Search form
	// Sorts are the Sort by menu's choices; Zone names the zone the dates
	// are read in.
	Sorts []sortOption
	Zone  string
	// Sections split the tickets when sorted by soonest event; nil
	// otherwise.
	Sections []section
	// Narrowed is set when the search selects fewer tickets than the
	// whole shop; Tips say what to try when it found none.
	Narrowed bool
	Tips     []string
}

// handleHome shows the tickets on sale that the query's search selects, in
// its order (newest first by default), a page at a time. A search the API
// refuses is shown again, 400, with its reasons next to the inputs.
func (f *Function) handleHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, after, ok := f.visitPage(w, r)
		if !ok {
			return
		}
		// Who is signed in first, so that an expired session is refreshed
		// before anything else is asked.
		if _, err := v.currentUser(); err != nil {
			v.fail(err)
			return
		}
		values, loc := searchOf(r.URL.Query()), visitorZone(r)
		s := shop{Search: form{Values: values}, Sorts: sortOptions, Zone: loc.String(),
			Narrowed: narrowed(values), Tips: searchTips(values)}
		p, err := f.api.Tickets(v.ctx(), v.session, apiSearch(values, loc), after, pageSize)
		switch {
		case api.StatusOf(err) == http.StatusBadRequest && badCursor(err):
			v.notFound() // a cursor that names no ticket
		case api.StatusOf(err) == http.StatusBadRequest:
			s.Search = refusedForm(err, values)
			v.render(http.StatusBadRequest, "home", page{Title: "Tickets for sale", Content: s})
		case err != nil:
			v.fail(err)
		default:
			s.listing = listingOf(p, "/", queryOf(values), after != "", loc, v.now())
			if values["sort"] == sortSoonest {
				s.Sections = sectionsOf(s.Tickets, v.now())
			}
			v.render(http.StatusOK, "home", page{Title: "Tickets for sale", Content: s})
		}
	})
}

// badCursor reports whether the API refused the page's cursor (after),
// which only a hand-made link gets wrong.
func badCursor(err error) bool {
	_, after := refusedForm(err, nil).Errors["after"]
	return after
}
