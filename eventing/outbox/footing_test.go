package outbox_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

func TestStartValidatesFirstThenBuildsOnTheFunctionsClock(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	deps := outbox.Deps{Store: db, Sink: "http://127.0.0.1:1", Events: eventingtest.Member(t, "orders"), Now: func() time.Time { return at }}
	key := strings.Repeat("k", 32)
	valid := func() error { return nil }

	bad := errors.New("ORDER_EXPIRATION_WINDOW must not be negative")
	if _, err := (outbox.Deps{}).Start(func() error { return bad }, key); !errors.Is(err, bad) {
		t.Errorf("Start with a bad setting: %v, want the setting's error before the missing store's", err)
	}
	if _, err := deps.Start(valid, "too-short"); err == nil {
		t.Error("Start with a short JWT key: no error")
	}
	ft, err := deps.Start(valid, key)
	if err != nil {
		t.Fatal(err)
	}
	if ft.DB != db || ft.Box == nil || ft.Events != deps.Events || ft.Tokens == nil || !ft.Now().Equal(at) {
		t.Errorf("Footing %+v: want the Publisher of deps, Tokens and deps' clock", ft)
	}
	deps.Now = nil
	if ft, err := deps.Start(valid, key); err != nil || ft.Now == nil || time.Since(ft.Now()) > time.Minute {
		t.Errorf("Start without a clock: %v; want time.Now as the clock", err)
	}
}
