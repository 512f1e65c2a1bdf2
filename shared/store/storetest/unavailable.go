package storetest

import (
	"context"

	"github.com/buytickets/buytickets/shared/store"
)

// Unavailable is a store that is always busy, as Firestore is when
// contention outlasts its retries or it cannot be reached: every
// transaction, read and query fails with store.ErrUnavailable. Closing it
// does nothing.
type Unavailable struct{}

var _ store.Store = Unavailable{}

// RunTransaction returns store.ErrUnavailable without running fn.
func (Unavailable) RunTransaction(context.Context, func(context.Context, store.Tx) error) error {
	return store.ErrUnavailable
}

// Get returns store.ErrUnavailable.
func (Unavailable) Get(context.Context, string, string, any) error { return store.ErrUnavailable }

// Query returns store.ErrUnavailable.
func (Unavailable) Query(context.Context, string, store.Query) ([]store.Doc, error) {
	return nil, store.ErrUnavailable
}

// Close returns nil.
func (Unavailable) Close() error { return nil }
