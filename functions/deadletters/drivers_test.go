package deadletters_test

import (
	"net/http"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// TestDeadLettersOnEveryDriver records, lists and replays dead letters over
// HTTP on the embedded default's store and on production's, through the
// Firestore emulator.
func TestDeadLettersOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "deadletters", func(t *testing.T, db store.Store) {
		s := newSink(t, db)
		sub := s.subscriber("orders", http.StatusOK)
		for _, id := range []string{"e0", "e1", "e2"} {
			s.MustDeliver(failedAt(orderCreated(id), sub.events(), 500, "down"))
		}
		s.MustDeliver(failedAt(orderCreated("e1"), sub.events(), 500, "down again"))

		first, res := s.list("/deadletters?limit=2")
		if len(first) != 2 || first[0].EventID != "e0" || first[1].EventID != "e1" || first[1].ErrorData != "down" {
			t.Fatalf("first page %+v, want e0 and e1 as first stored", first)
		}
		rest, _ := s.list(nextPath(t, res.Header.Get("Link")))
		if len(rest) != 1 || rest[0].EventID != "e2" || rest[0].ErrorCode != 500 || rest[0].ErrorDest != sub.events() {
			t.Fatalf("second page %+v, want e2 with its error details", rest)
		}

		if res := s.replay(first[1].ID); res.Code != http.StatusOK {
			t.Fatalf("replay: %d %s", res.Code, res.Body)
		}
		if got := sub.got(); len(got) != 1 || got[0].Event == nil || got[0].Event.ID() != "e1" {
			t.Errorf("the subscriber got %+v, want e1 once", got)
		}
		if left := s.all(); len(left) != 2 || left[0].EventID != "e0" || left[1].EventID != "e2" {
			t.Errorf("dead letters after the replay %+v, want e0 and e2", left)
		}
	})
}
