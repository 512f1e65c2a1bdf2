package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/buytickets/buytickets/functions/notifications/internal/mail"
	notificationsstore "github.com/buytickets/buytickets/functions/notifications/internal/store"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestATryThatOutlivedItsLeaseCannotUndoAnotherTrysOutcome: a sender whose
// relay hung past the lease reports after a second sender has taken the
// email; what the slow one reports changes nothing the second one decided.
func TestATryThatOutlivedItsLeaseCannotUndoAnotherTrysOutcome(t *testing.T) {
	t.Parallel()
	t0 := testenv.Epoch
	failed := errors.New("relay timed out")
	for _, tc := range []struct {
		name        string
		second      func(*notificationsstore.Store, notificationsstore.Queued) error
		slow        func(*notificationsstore.Store, notificationsstore.Queued) error
		wantPending bool
		wantSent    bool
	}{{
		name: "a slow retry after another try sent it",
		second: func(s *notificationsstore.Store, q notificationsstore.Queued) error {
			return s.Sent(t.Context(), q, t0)
		},
		slow: func(s *notificationsstore.Store, q notificationsstore.Queued) error {
			return s.Retry(t.Context(), q, t0, failed)
		},
		wantSent: true,
	}, {
		name:   "a slow retry while another try holds it",
		second: func(*notificationsstore.Store, notificationsstore.Queued) error { return nil },
		slow: func(s *notificationsstore.Store, q notificationsstore.Queued) error {
			return s.Retry(t.Context(), q, t0, failed)
		},
		wantPending: true,
	}, {
		name:   "a slow drop while another try holds it",
		second: func(*notificationsstore.Store, notificationsstore.Queued) error { return nil },
		slow: func(s *notificationsstore.Store, q notificationsstore.Queued) error {
			return s.Drop(t.Context(), q, t0, "refused")
		},
		wantPending: true,
	}, {
		name:   "a slow send while another try holds it",
		second: func(*notificationsstore.Store, notificationsstore.Queued) error { return nil },
		slow: func(s *notificationsstore.Store, q notificationsstore.Queued) error {
			return s.Sent(t.Context(), q, t0)
		},
		wantSent: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := storetest.OpenSQLite(t, filepath.Join(t.TempDir(), "notifications.db"))
			s := notificationsstore.New(db)
			id := mail.ID(mail.Sale, "order-1")
			err := db.RunTransaction(t.Context(), func(_ context.Context, tx store.Tx) error {
				write, err := s.QueueIn(tx, notificationsstore.Queued{ID: id, Kind: mail.Sale, UserID: "seller"}, t0)
				if err != nil {
					return err
				}
				return write()
			})
			if err != nil {
				t.Fatal(err)
			}
			slow, err := s.Claim(t.Context(), id, t0, mail.Lease)
			if err != nil {
				t.Fatal(err)
			}
			second, err := s.Claim(t.Context(), id, t0.Add(mail.Lease), mail.Lease)
			if err != nil {
				t.Fatalf("claim after the lease: %v", err)
			}
			if err := tc.second(s, second); err != nil {
				t.Fatal(err)
			}
			if err := tc.slow(s, slow); err != nil {
				t.Fatal(err)
			}
			st, err := s.Status(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if st.Pending != tc.wantPending || !st.SentAt.IsZero() != tc.wantSent || (!tc.wantSent && st.DropReason != "") {
				t.Errorf("status %+v, want pending %v, sent %v", st, tc.wantPending, tc.wantSent)
			}
		})
	}
}
