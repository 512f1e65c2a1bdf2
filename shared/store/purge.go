package store

import (
	"context"
	"fmt"
	"time"
)

// MaxBatch is the most documents one transaction may write: Firestore's
// limit, which the SQLite driver's callers keep too so code stays portable.
const MaxBatch = 500

// DeleteOlder deletes the documents of collection whose time field is at
// or before cutoff, batch (at most MaxBatch) at a time, each batch in one
// transaction, and returns how many it deleted. Documents without the
// field are kept: it is how a collection tells what may go (a sent
// outbox entry, a done intent) from what must stay.
func DeleteOlder(ctx context.Context, st Store, collection, field string, cutoff time.Time, batch int) (int, error) {
	batch = min(max(batch, 1), MaxBatch)
	deleted := 0
	for {
		docs, err := st.Query(ctx, collection, Query{
			Filters: []Filter{Where(field, Le, cutoff)},
			OrderBy: field,
			Limit:   batch,
		})
		if err != nil {
			return deleted, fmt.Errorf("store.DeleteOlder %s: %w", collection, err)
		}
		if len(docs) == 0 {
			return deleted, nil
		}
		err = st.RunTransaction(ctx, func(_ context.Context, tx Tx) error {
			for _, d := range docs {
				if err := tx.Delete(collection, d.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return deleted, fmt.Errorf("store.DeleteOlder %s: %w", collection, err)
		}
		deleted += len(docs)
		if len(docs) < batch {
			return deleted, nil
		}
	}
}
