package storetest

import (
	"context"
	"sync"

	"github.com/buytickets/buytickets/shared/store"
)

// CountingStore wraps a store and counts the documents written by its
// transactions that commit, so a test can prove that a refused request
// changed nothing.
type CountingStore struct {
	store.Store
	// Background, when set, names collections whose documents also change
	// on their own time, such as outbox entries the relay marks sent and
	// later deletes: updates and deletes there are not counted. Creates
	// always are.
	Background func(collection string) bool

	mu        sync.Mutex
	committed int
}

// RunTransaction runs fn in the wrapped store's transaction and, once it
// commits, adds the documents its last attempt wrote.
func (c *CountingStore) RunTransaction(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	var n int
	err := c.Store.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		n = 0 // counts the last attempt, the one that commits
		return fn(ctx, countingTx{Tx: tx, n: &n, background: c.Background})
	})
	if err == nil {
		c.mu.Lock()
		c.committed += n
		c.mu.Unlock()
	}
	return err
}

// Writes is the number of documents committed transactions have written.
func (c *CountingStore) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.committed
}

type countingTx struct {
	store.Tx
	n          *int
	background func(collection string) bool
}

func (t countingTx) Create(collection, id string, doc any) error {
	*t.n++
	return t.Tx.Create(collection, id, doc)
}

func (t countingTx) Set(collection, id string, doc any) error {
	t.countChange(collection)
	return t.Tx.Set(collection, id, doc)
}

func (t countingTx) Delete(collection, id string) error {
	t.countChange(collection)
	return t.Tx.Delete(collection, id)
}

// countChange counts an update or delete, unless its collection changes
// in the background.
func (t countingTx) countChange(collection string) {
	if t.background == nil || !t.background(collection) {
		*t.n++
	}
}
