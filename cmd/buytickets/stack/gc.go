package stack

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target (GOGC) for a process that
// runs the whole marketplace. Ten functions, a broker and their stores
// share one heap of a few tens of megabytes that turns over quickly
// (events, documents, requests). At Go's default of 100 it collected so
// often that a 2-minute soak listed a fifth fewer tickets than at 200,
// and listings took a fifth longer to become orderable (BENCHMARKS.md).
// 400 was no faster than 200 and held a third more memory.
const GCPercent = 200

// TuneGC sets the collector's target to GCPercent, unless GOGC in the
// environment sets it: call it once from a main that runs the stack.
func TuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(GCPercent)
	}
}
