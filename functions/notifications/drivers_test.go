package notifications_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/functions/notifications/internal/mail"
	notificationsstore "github.com/buytickets/buytickets/functions/notifications/internal/store"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// TestEmailsOnEveryDriver queues, waits for an address, sends, unsubscribes
// and gives up on the embedded default's store and on production's, through
// the Firestore emulator.
func TestEmailsOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "notifications", func(t *testing.T, db store.Store) {
		f := newFn(t, db, "")
		s := notificationsstore.New(db)
		buyer, seller := newPerson("buyer"), newPerson("seller")
		order, expired := newOrderID(), newOrderID()

		f.MustDeliver(completed(t, order, buyer, seller))
		f.MustDeliver(issued(t, order, buyer, seller))
		f.MustDeliver(issued(t, order, buyer, seller))
		if got := f.inbox(t, buyer, 1)[0]; !strings.Contains(got.Text, "CODE") {
			t.Errorf("confirmation:\n%s", got.Text)
		}
		triedAndFailed(t, s, mail.ID(mail.Sale, order))
		f.clock.Advance(mail.MaxRetry)
		f.MustDeliver(registered(t, seller))
		f.inbox(t, seller, 1)

		f.MustDeliver(created(t, expired, buyer))
		f.MustDeliver(cancelled(t, expired, "expired"))
		notice := f.inbox(t, buyer, 2)[0]
		if res := f.unsubscribe(t, unsubscribeLink(t, notice).RequestURI()); res.Code != http.StatusOK {
			t.Fatalf("unsubscribe: %d %s", res.Code, res.Body)
		}
		if err := s.OptOut(t.Context(), buyer.id, f.clock.Now()); err != nil {
			t.Errorf("opting out again: %v", err)
		}
		storetest.WantCounts(t, db, []string{notificationsstore.Mail, notificationsstore.OptOuts}, map[string]int{
			notificationsstore.Mail: 3, notificationsstore.OptOuts: 1,
		})
	})
}
