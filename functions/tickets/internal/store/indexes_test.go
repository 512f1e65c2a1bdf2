package store

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	sharedstore "github.com/buytickets/buytickets/shared/store"
)

// firestoreIndex is a composite index as firestore.indexes.json declares it.
type firestoreIndex struct {
	CollectionGroup string `json:"collectionGroup"`
	Fields          []struct {
		FieldPath   string `json:"fieldPath"`
		Order       string `json:"order"`
		ArrayConfig string `json:"arrayConfig"`
	} `json:"fields"`
}

// serves reports whether ix serves q: the same equality and array fields,
// then q's order field and the document name in q's direction.
func (ix firestoreIndex) serves(q sharedstore.Query) bool {
	dir := "ASCENDING"
	if q.Desc {
		dir = "DESCENDING"
	}
	var eq, arr []string
	for _, f := range q.Filters {
		switch f.Op {
		case sharedstore.Eq:
			eq = append(eq, f.Field)
		case sharedstore.Contains:
			arr = append(arr, f.Field)
		}
	}
	n := len(ix.Fields)
	if n < 2 || ix.Fields[n-1].FieldPath != "__name__" || ix.Fields[n-1].Order != dir ||
		ix.Fields[n-2].FieldPath != q.OrderBy || ix.Fields[n-2].Order != dir {
		return false
	}
	var ixEq, ixArr []string
	for _, f := range ix.Fields[:n-2] {
		if f.ArrayConfig == "CONTAINS" {
			ixArr = append(ixArr, f.FieldPath)
		} else {
			ixEq = append(ixEq, f.FieldPath)
		}
	}
	slices.Sort(eq)
	slices.Sort(ixEq)
	return slices.Equal(eq, ixEq) && slices.Equal(arr, ixArr)
}

func TestEveryListingAndSearchHasTheFirestoreIndexItNeeds(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../../../config/tickets/firestore.indexes.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Indexes []firestoreIndex `json:"indexes"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var listings []ticket.Listing
	listings = append(listings, ticket.Listing{Limit: 10, Mine: true})
	for _, words := range [][]string{nil, {"rock"}} {
		for _, city := range []string{"", "paris"} {
			for _, sort := range []ticket.Sort{ticket.Newest, ticket.Soonest, ticket.Cheapest} {
				listings = append(listings, ticket.Listing{Limit: 10, Search: ticket.Search{
					Words: words, City: city, Sort: sort, From: now, To: now.Add(time.Hour), MinPrice: 100, MaxPrice: 200,
				}})
			}
		}
	}
	for _, l := range listings {
		q := listQuery(l, "seller", now)
		if !slices.ContainsFunc(file.Indexes, func(ix firestoreIndex) bool { return ix.CollectionGroup == Tickets && ix.serves(q) }) {
			t.Errorf("no index in config/tickets/firestore.indexes.json serves %+v", q)
		}
	}
}
