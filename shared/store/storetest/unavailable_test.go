package storetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestUnavailableFailsEveryCallAsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var db store.Store = storetest.Unavailable{}
	ran := false
	if err := db.RunTransaction(ctx, func(context.Context, store.Tx) error { ran = true; return nil }); !errors.Is(err, store.ErrUnavailable) || ran {
		t.Errorf("RunTransaction = %v, ran %v; want ErrUnavailable without running", err, ran)
	}
	if err := db.Get(ctx, "things", "a", &doc{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get = %v, want ErrUnavailable", err)
	}
	if docs, err := db.Query(ctx, "things", store.Query{}); !errors.Is(err, store.ErrUnavailable) || docs != nil {
		t.Errorf("Query = %v, %v; want ErrUnavailable", docs, err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}
