package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The garbage collector's budget. Most of feedd's heap is the posts'
// metadata, which lives as long as the process; what a request allocates
// (net/http's 2 to 3 KB) dies at once. Go's default (GOGC=100: collect
// when the heap has doubled) would cost as much memory again as the
// archive holds. So feedd collects when the heap passes 1.4 times the live
// data plus 80 MiB: at 100,000 posts (about 70 MB live) that is about
// 180 MiB, and the process stays under 300 MB; a small archive gets up to
// 5 times its live data (GOGC=400). The posts are held without pointers
// (feed/table.go), so a collection has little to trace (1.5 ms of CPU at
// 100,000 posts) and the room mostly saves collections' fixed costs.
// GOGC or GOMEMLIMIT in the environment turn this off.
const (
	gcLiveFactor = 1.4
	gcHeadroom   = 80 << 20
	// startGCPercent bounds the heap while the first scan fills it.
	startGCPercent = 50
	// servingGCPercent lets the memory limit decide, but for heaps so small
	// that 5 times the live data is under the limit.
	servingGCPercent = 400
)

// gcTuned says whether feedd sets the collector's budget itself.
func gcTuned(getenv func(string) string) bool {
	return getenv("GOGC") == "" && getenv("GOMEMLIMIT") == ""
}

// gcLimit is the memory limit for a live heap of live bytes.
func gcLimit(live uint64) int64 {
	return int64(float64(live)*gcLiveFactor) + gcHeadroom
}

// tuneGC holds the heap to the start-up budget until ready is closed, then
// moves the memory limit with the live heap, every second, until ctx ends.
func tuneGC(ctx context.Context, ready <-chan struct{}) {
	debug.SetGCPercent(startGCPercent)
	select {
	case <-ready:
	case <-ctx.Done():
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	update := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(gcLimit(sample[0].Value.Uint64()))
		}
	}
	// The start-up garbage goes now, and the live heap is measured.
	runtime.GC()
	update()
	debug.SetGCPercent(servingGCPercent)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			update()
		case <-ctx.Done():
			return
		}
	}
}
