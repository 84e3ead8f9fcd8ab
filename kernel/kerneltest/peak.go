package kerneltest

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Peak is what a benchmark's memory peaked at while it ran.
type Peak struct {
	// Heap is the largest heap (live objects and garbage not yet
	// collected) seen, sampled every millisecond.
	Heap uint64
	// RSS is the process's high-water mark of resident memory (VmHWM),
	// reset when the measurement started; 0 where Linux's
	// /proc/self/clear_refs is not available.
	RSS uint64
}

// MeasurePeak runs f and returns the memory it peaked at. It collects the
// garbage and returns free memory to the system first, so that the
// figures are f's own, above the process's floor.
func MeasurePeak(tb testing.TB, f func()) Peak {
	tb.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	resetHWM := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		peak Peak
		mu   sync.Mutex
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	read := func() {
		metrics.Read(sample)
		mu.Lock()
		peak.Heap = max(peak.Heap, sample[0].Value.Uint64())
		mu.Unlock()
	}
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				read()
			}
		}
	}()
	f()
	read()
	close(stop)
	<-done
	if resetHWM {
		peak.RSS = statusKB("VmHWM") << 10
	}
	return peak
}

// Report puts the peak on b's result line in MB.
func (p Peak) Report(b *testing.B) {
	b.ReportMetric(float64(p.Heap)/(1<<20), "peak-heap-MB")
	if p.RSS > 0 {
		b.ReportMetric(float64(p.RSS)/(1<<20), "peak-rss-MB")
	}
}

// statusKB reads a "Name: N kB" line of /proc/self/status.
func statusKB(name string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), name+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
