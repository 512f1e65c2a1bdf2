package sqlite

// Waiting is how many writers of d wait for their turn.
func Waiting(d *DB) int { return int(d.waiting.Load()) }
