package main

import (
	"context"
	"fmt"
	"time"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// waitReplica polls orders' store, the SQLite file at path, until its
// replica holds every ticket at version, or the timeout passes.
func waitReplica(ctx context.Context, path string, ids []string, version int, timeout time.Duration) error {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	return waitReplicaIn(ctx, db, ids, version, timeout)
}

// waitReplicaIn polls orders' store db as waitReplica does.
func waitReplicaIn(ctx context.Context, db store.Store, ids []string, version int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, id := range ids {
		for {
			var rt struct {
				Version int `store:"version"`
			}
			if err := db.Get(ctx, "tickets", id, &rt); err == nil && rt.Version == version {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("orders' replica lacks ticket %s at version %d after %v", id, version, timeout)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}
