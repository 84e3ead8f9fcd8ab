package main

import (
	"os"
	"runtime/debug"
)

// runGCPercent is the Go GC's target for `ocs run` (Go's default is 100).
// A run's live heap is small (a few MB: the record, a cell's capped
// output), but a cell that prints megabytes makes garbage as fast as it
// prints: the heap then peaks at twice the live heap before each
// collection. At 50 it peaks at one and a half times, for about a
// collection more per 4 MB of output (docs/record.md, "Outputs", says
// so to users).
const runGCPercent = 50

// tuneRunGC sets runGCPercent for this process unless GOGC says otherwise.
// The Go kernel's worker is another process and keeps Go's default: the
// interpreter makes garbage of its own and its memory is not ocs's.
func tuneRunGC() {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	debug.SetGCPercent(runGCPercent)
}
