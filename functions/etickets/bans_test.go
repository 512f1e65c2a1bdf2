package etickets_test

import (
	"testing"

	"github.com/buytickets/buytickets/eventing/banlist/banlisttest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func TestTheAPIRefusesABannedUser(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	banlisttest.Test(t, banlisttest.Function{Receiver: f.Receiver, Ask: func(tb testing.TB, userID string) httpxtest.Response {
		u := f.user(userID)
		u.TB = tb
		return u.Get("/api/etickets")
	}})
}
