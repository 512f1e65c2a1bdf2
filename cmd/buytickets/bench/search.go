package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// searchListings is how many listings the search section fills the shop
// with before it searches.
const searchListings = 10_000

// searchWords, searchCities and searchVenues make the listings' events:
// every combination is a different event, so a word is held by a share
// of the shop and a city by another.
var (
	searchWords  = []string{"Concert", "Opera", "Jazz", "Comedy", "Ballet", "Festival", "Symphony", "Rock", "Blues", "Theatre"}
	searchCities = []string{"Paris", "Zürich", "Lisboa", "Berlin", "Madrid", "Wien", "Praha", "Roma"}
	searchVenues = []string{"Arena", "Hall", "Club", "Stadium", "Théâtre", "Garden", "Palace"}
)

// searchLatency fills the embedded default with searchListings listings
// of events over the next 90 days, then times searches of each kind.
func searchLatency(ctx context.Context, w *bytes.Buffer, tmp string) error {
	s, err := startStack(ctx, filepath.Join(tmp, "search"), stack.Options{PasswordCost: setupCost})
	if err != nil {
		return err
	}
	defer s.Close()
	const clients = 8
	sellers, err := newSessions(s.URL(), "search-seller%d@example.com", clients)
	if err != nil {
		return err
	}
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	_, filled, err := load(clients, searchListings, func(i int) error {
		word, city := searchWords[i%len(searchWords)], searchCities[i/len(searchWords)%len(searchCities)]
		_, err := sellers[i%clients].expect(http.StatusCreated, "POST", "/api/tickets", map[string]any{
			"title": fmt.Sprintf("%s night %d", word, i), "price": 10 + i%190,
			"event": map[string]any{
				"name": fmt.Sprintf("%s %s %d", word, city, i%97), "venue": searchVenues[i%len(searchVenues)] + " " + city, "city": city,
				"startsAt": day.Add(time.Duration(i%(90*24)) * time.Hour).Format(time.RFC3339),
			},
		})
		return err
	})
	if err != nil {
		return err
	}
	heading(w, "Searching the shop",
		fmt.Sprintf("The embedded default holding %d listings on sale (10 kinds of event in 8 cities over 90 days, prices $10 to $199; filled in %s), %d concurrent clients, 400 searches per row, each asking for the first page of 20 through the router. A word is held by a tenth of the listings, a city by an eighth.", searchListings, filled.Round(time.Second), clients),
		"search", "requests/s", "p50", "p99")
	from, to := day.AddDate(0, 0, 14).Format(time.DateOnly), day.AddDate(0, 0, 21).Format(time.DateOnly)
	for _, q := range []struct{ name, query string }{
		{"newest, no search", ""},
		{"a word (q=jazz)", "q=jazz"},
		{"a prefix (q=sym)", "q=sym"},
		{"two words (q=jazz wien)", "q=" + url.QueryEscape("jazz wien")},
		{"a city (city=zurich)", "city=zurich"},
		{"a week of dates, soonest first", "sort=soonest&from=" + from + "&to=" + to},
		{"a week of dates, newest first", "from=" + from + "&to=" + to},
		{"a price range, cheapest first", "sort=price&minPrice=50&maxPrice=60"},
		{"a price range, newest first", "minPrice=50&maxPrice=60"},
		{"a word, a city and a price range", "q=opera&city=roma&maxPrice=100"},
	} {
		path := "/api/tickets?limit=20"
		if q.query != "" {
			path += "&" + q.query
		}
		lat, elapsed, err := load(clients, 400, func(i int) error {
			_, err := sellers[i%clients].expect(http.StatusOK, "GET", path, nil)
			return err
		})
		if err != nil {
			return err
		}
		row(w, q.name, 400, elapsed, lat)
	}
	return nil
}
