// Package search holds what makes listings findable by their words: text
// folded so that case and accents do not matter, and the words and word
// prefixes a listing is found by. The store keeps a listing's terms in one
// array, which Firestore's array-contains filter matches (it has no full-
// text search), and the SQLite driver matches the same way.
package search

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// MaxPrefix is the longest prefix of a word that is a term, in
// characters: a longer query word is matched by its first MaxPrefix
// characters, which keeps a listing's terms bounded.
const MaxPrefix = 20

// folders holds the transformers that remove accents (the combining marks
// of the canonical decomposition) and fold case. A transformer keeps state
// as it runs, so each use takes one of its own; building one costs more
// than the folding itself, and every write of a ticket folds its texts.
var folders = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC, cases.Fold())
}}

// Fold returns s without accents and in folded case: "Zürich" and
// "ZURICH" fold alike. It is safe for concurrent use.
func Fold(s string) string {
	folder := folders.Get().(transform.Transformer)
	defer folders.Put(folder)
	out, _, err := transform.String(folder, s) // which resets folder first
	if err != nil {
		return strings.ToLower(s)
	}
	return out
}

// Words returns the folded words of s: its runs of letters and digits,
// each cut to MaxPrefix characters.
func Words(s string) []string {
	words := strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	for i, w := range words {
		if r := []rune(w); len(r) > MaxPrefix {
			words[i] = string(r[:MaxPrefix])
		}
	}
	return words
}

// Terms returns the terms texts are found by: every prefix of each of
// their words, sorted, each once.
func Terms(texts ...string) []string {
	var terms []string
	for _, text := range texts {
		for _, w := range Words(text) {
			r := []rune(w)
			for n := 1; n <= len(r); n++ {
				terms = append(terms, string(r[:n]))
			}
		}
	}
	slices.Sort(terms)
	return slices.Compact(terms)
}

// Matches reports whether a listing of terms (as Terms returns them) is
// found by every one of words (as Words returns them): each is a word of
// the listing or the start of one.
func Matches(terms, words []string) bool {
	for _, w := range words {
		if _, ok := slices.BinarySearch(terms, w); !ok {
			return false
		}
	}
	return true
}

// Narrowest returns the word of words that the fewest listings are likely
// to hold, the longest: a query asks the store for it and checks the
// others itself.
func Narrowest(words []string) string {
	best := ""
	for _, w := range words {
		if len([]rune(w)) > len([]rune(best)) {
			best = w
		}
	}
	return best
}
