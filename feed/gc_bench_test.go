package feed_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

// BenchmarkGCWithArchive: one full garbage collection while a Set holds
// 100,000 generated posts as feedd serve holds them after its start-up
// scan (bodies deferred to the store): what every collection costs a
// server, and so what each megabyte of requests' garbage costs it. It also
// reports the live heap.
//
//	go test ./feed -run '^$' -bench GCWithArchive -benchtime 20x
func BenchmarkGCWithArchive(b *testing.B) {
	const n = 100000
	opt := testParseOptions()
	opt.Bodies, opt.DeferBodies = newStore(b, feed.BodyStoreOptions{}), true
	posts := parseCorpus(b, n, opt)
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	set.Apply(posts, nil)
	posts = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for b.Loop() {
		runtime.GC()
	}
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MiB")
	b.ReportMetric(float64(ms.HeapObjects)/1e6, "live-Mobjects")
	runtime.KeepAlive(set)
}
