package web

import "testing"

// Pages are parsed when first rendered; every one of them must parse.
func TestEveryPageParses(t *testing.T) {
	t.Parallel()
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.byName) == 0 {
		t.Fatal("no pages")
	}
	for name, parse := range p.byName {
		if _, err := parse(); err != nil {
			t.Errorf("page %s: %v", name, err)
		}
	}
}
