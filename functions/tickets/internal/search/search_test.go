package search_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/buytickets/buytickets/functions/tickets/internal/search"
)

func TestCaseAndAccentsDoNotMatter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b string }{
		{"Zürich", "ZURICH"}, {"Opéra", "opera"}, {"Straße", "STRASSE"}, {"Ñandú", "nandu"}, {"東京", "東京"},
	} {
		if search.Fold(tc.a) != search.Fold(tc.b) {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q; want equal", tc.a, search.Fold(tc.a), tc.b, search.Fold(tc.b))
		}
	}
}

func TestFoldingAtOnceFromManyRequestsGivesEachItsOwnAnswer(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			in, want := fmt.Sprintf("Théâtre Zürich %d", i), fmt.Sprintf("theatre zurich %d", i)
			for range 500 {
				if got := search.Fold(in); got != want {
					t.Errorf("Fold(%q) = %q, want %q", in, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWordsAreRunsOfLettersAndDigits(t *testing.T) {
	t.Parallel()
	got := search.Words("  AC/DC — Live at Wembley, 1986!  ")
	if want := []string{"ac", "dc", "live", "at", "wembley", "1986"}; !slices.Equal(got, want) {
		t.Errorf("Words = %q, want %q", got, want)
	}
	if long := search.Words("Supercalifragilisticexpialidocious"); len([]rune(long[0])) != search.MaxPrefix {
		t.Errorf("a long word is kept as %q", long[0])
	}
}

func TestAListingIsFoundByItsWordsAndTheirStarts(t *testing.T) {
	t.Parallel()
	terms := search.Terms("Spring Gala", "Salle Pleyel", "Paris")
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"gala", true}, {"GAL", true}, {"spring gala", true}, {"gala spring", true}, {"pleyel paris", true},
		{"g", true}, {"ala", false}, {"gala london", false}, {"galas", false}, {"párís", true},
	} {
		if got := search.Matches(terms, search.Words(tc.q)); got != tc.want {
			t.Errorf("%q finds the listing: %v, want %v", tc.q, got, tc.want)
		}
	}
	if !slices.IsSorted(terms) || len(slices.Compact(slices.Clone(terms))) != len(terms) {
		t.Errorf("terms %q are not sorted and unique", terms)
	}
}

func TestTheNarrowestWordIsTheLongest(t *testing.T) {
	t.Parallel()
	if got := search.Narrowest([]string{"at", "wembley", "live"}); got != "wembley" {
		t.Errorf("Narrowest = %q", got)
	}
}
