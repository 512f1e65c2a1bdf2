package paging_test

import (
	"slices"
	"testing"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/paging"
)

func TestAPageIsReadWithEachBadParameterNamed(t *testing.T) {
	t.Parallel()
	rule := paging.Rule{
		DefaultLimit: 20, MaxLimit: 50,
		ValidAfter: func(s string) bool { return s == "known" },
		BadAfter:   apperr.Field("after", "After must be the id of a thing"),
	}
	tests := []struct {
		limit, after string
		want         paging.Page
		bad          []string
	}{
		{"", "", paging.Page{Limit: 20}, nil},
		{"50", "known", paging.Page{Limit: 50, After: "known"}, nil},
		{"1", "", paging.Page{Limit: 1}, nil},
		{"0", "", paging.Page{}, []string{"limit"}},
		{"51", "", paging.Page{}, []string{"limit"}},
		{"ten", "nope", paging.Page{}, []string{"limit", "after"}},
		{"", "nope", paging.Page{}, []string{"after"}},
	}
	for _, tc := range tests {
		p, bad := rule.Parse(tc.limit, tc.after)
		var fields []string
		for _, e := range bad {
			fields = append(fields, e.Field)
		}
		if !slices.Equal(fields, tc.bad) || (len(bad) == 0 && p != tc.want) {
			t.Errorf("Parse(%q, %q) = %+v, %v; want %+v, refusals of %v", tc.limit, tc.after, p, bad, tc.want, tc.bad)
		}
	}
}
