package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// A run collects garbage at runGCPercent, unless GOGC says otherwise.
func TestTuneRunGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	tuneRunGC()
	if got := debug.SetGCPercent(100); got != runGCPercent {
		t.Errorf("GC percent %d without GOGC, want %d", got, runGCPercent)
	}
	t.Setenv("GOGC", "100")
	tuneRunGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d with GOGC=100, want GOGC's", got)
	}
}
