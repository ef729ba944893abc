//go:build unix

package feed_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed/feedtest"
)

// BenchmarkGCWithArchive: one full garbage collection while a Set holds
// 100,000 generated posts as feedd serve holds them after its start-up
// scan (bodies deferred, in a bodies.Store): what every collection costs a
// server, and so what each megabyte of requests' garbage costs it. It
// also reports the live heap and its objects.
//
//	go test ./feed -run '^$' -bench GCWithArchive -benchtime 20x
func BenchmarkGCWithArchive(b *testing.B) {
	const n = 100000
	opt := feedtest.ParseOptions()
	opt.DeferBodies = true
	set := newSet(nil, newStore(b, bodies.Options{}))
	set.Apply(feedtest.ParseCorpus(b, n, opt), nil)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu := cpuTime()
	for b.Loop() {
		runtime.GC()
	}
	// CPU time as well as wall time: on a shared machine, the wall time
	// of a collection also counts what other tenants took.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MiB")
	b.ReportMetric(float64(ms.HeapObjects), "live-objects")
	runtime.KeepAlive(set)
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
