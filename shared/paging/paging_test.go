package paging_test

import (
	"net/url"
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
		if qp, qbad := rule.Query(url.Values{"limit": {tc.limit}, "after": {tc.after}}); qp != p || len(qbad) != len(bad) {
			t.Errorf("Query of ?limit=%s&after=%s = %+v, %v; want Parse's %+v, %v", tc.limit, tc.after, qp, qbad, p, bad)
		}
	}
}

func TestNextLinkPointsAtThePageAfterTheLastItem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path  string
		limit int
		last  string
		extra []string
		want  string
	}{
		{"/api/orders", 20, "0c1b48307f5f9e3575f1e271", nil, `</api/orders?limit=20&after=0c1b48307f5f9e3575f1e271>; rel="next"`},
		{"/api/tickets", 2, "7b1a", []string{"seller=me"}, `</api/tickets?limit=2&after=7b1a&seller=me>; rel="next"`},
		{"/deadletters", 5, "a b&c", nil, `</deadletters?limit=5&after=a+b%26c>; rel="next"`},
	}
	for _, tc := range tests {
		if got := paging.NextLink(tc.path, tc.limit, tc.last, tc.extra...); got != tc.want {
			t.Errorf("NextLink(%q, %d, %q, %q) = %s, want %s", tc.path, tc.limit, tc.last, tc.extra, got, tc.want)
		}
	}
}
