// Package heapwatch measures the peak live heap while a benchmark runs, to show that the bank-file writers and
// parsers stream (memory flat in the number of payments or entries) rather than build the file in memory. It
// samples runtime/metrics, which does not stop the world, every half millisecond.
package heapwatch

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

const sample = "/memory/classes/heap/objects:bytes"

// Watch is a running measurement.
type Watch struct {
	peak     atomic.Uint64
	retained uint64
	base     uint64
	stop     chan struct{}
	wg       sync.WaitGroup
}

// Start collects garbage (so that the baseline is what is live) and starts sampling.
func Start() *Watch {
	runtime.GC()
	w := &Watch{stop: make(chan struct{})}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.base = m.HeapAlloc
	w.read()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(500 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.read()
			}
		}
	}()
	return w
}

func (w *Watch) read() {
	s := []metrics.Sample{{Name: sample}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	v := s[0].Value.Uint64()
	for {
		p := w.peak.Load()
		if v <= p || w.peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// Timer is the part of testing.B that Checkpoint uses.
type Timer interface {
	StopTimer()
	StartTimer()
}

// Checkpoint stops t's timer, collects garbage, records the heap still in use and restarts the timer.
func (w *Watch) Checkpoint(t Timer) {
	t.StopTimer()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.retained = max(w.retained, m.HeapAlloc)
	t.StartTimer()
}

// Baseline returns the heap in use when the watch started, after a collection, in KiB: subtract it from
// RetainedKiB to get what the measured code keeps.
func (w *Watch) Baseline() float64 { return float64(w.base) / 1024 }

// RetainedKiB returns the largest heap in use at a checkpoint, in KiB.
func (w *Watch) RetainedKiB() float64 { return float64(w.retained) / 1024 }

// Stop ends the sampling and returns the peak heap in use by objects (live and not yet collected), in MiB.
func (w *Watch) Stop() float64 {
	w.read()
	close(w.stop)
	w.wg.Wait()
	return float64(w.peak.Load()) / (1 << 20)
}
