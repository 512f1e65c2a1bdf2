package deadletters_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestListingPagesOldestFirstWithLimitAndAfter(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	for i := range 5 {
		s.mustDeliver(failedAt(orderCreated(fmt.Sprint("e", i)), "http://orders.buytickets.svc.cluster.local/events", 500, ""))
	}

	var ids []string
	path := "/deadletters?limit=2"
	for pages := 0; path != ""; pages++ {
		if pages == 3 {
			t.Fatalf("more than 3 pages of 2 for 5 dead letters")
		}
		page, res := s.list(path)
		if len(page) == 0 || len(page) > 2 {
			t.Fatalf("GET %s: %d dead letters, want 1 or 2", path, len(page))
		}
		for _, r := range page {
			ids = append(ids, r.EventID)
		}
		path = nextPath(t, res.Header.Get("Link"))
	}
	if got, want := strings.Join(ids, ","), "e0,e1,e2,e3,e4"; got != want {
		t.Errorf("paged through %s, want %s", got, want)
	}

	all, res := s.list("/deadletters")
	if len(all) != 5 || res.Header.Get("Link") != "" {
		t.Errorf("default page: %d dead letters, Link %q; want all 5 and no next", len(all), res.Header.Get("Link"))
	}
	for i, r := range all {
		if want := t0.Add(time.Duration(i) * time.Second); !r.ReceivedAt.Equal(want) {
			t.Errorf("dead letter %d received at %v, want %v", i, r.ReceivedAt, want)
		}
	}
	after, _ := s.list("/deadletters?after=" + all[3].ID)
	if len(after) != 1 || after[0].EventID != "e4" {
		t.Errorf("after the fourth: %+v, want the fifth only", after)
	}
}

// nextPath returns the path of a Link rel="next" header, or "" when empty.
func nextPath(tb testing.TB, link string) string {
	tb.Helper()
	if link == "" {
		return ""
	}
	target, ok := strings.CutSuffix(link, `>; rel="next"`)
	if !ok || !strings.HasPrefix(target, "</deadletters?") {
		tb.Fatalf("Link %q, want </deadletters?...>; rel=\"next\"", link)
	}
	return target[1:]
}

func TestABadListQueryIsRefused400(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	unknown := strings.Repeat("ab", 32)
	tests := []struct {
		query, message, field string
	}{
		{"limit=0", "Limit must be a whole number from 1 to 500", "limit"},
		{"limit=501", "Limit must be a whole number from 1 to 500", "limit"},
		{"limit=ten", "Limit must be a whole number from 1 to 500", "limit"},
		{"limit=-1", "Limit must be a whole number from 1 to 500", "limit"},
		{"after=../x", "After must be the id of a dead letter", "after"},
		{"after=" + strings.ToUpper(unknown), "After must be the id of a dead letter", "after"},
		{"after=" + unknown, "Invalid cursor", ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			wantError(t, s.do(s.request(http.MethodGet, "/deadletters?"+tc.query, nil)), http.StatusBadRequest, tc.message, tc.field)
		})
	}
}
