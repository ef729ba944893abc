package feed_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
)

// archive is a generated archive of posts (bench/corpus: 4-5 KB bodies,
// eight categories of skewed sizes, en, km and zh, over several years).
// Up to 1,000 distinct posts are parsed; post i is a copy of one of them
// under its own path, id and date. Copies are made unprepared, so that
// each put in a set gets a body of its own.
type archive struct {
	src []*feed.Post
}

func newArchive(tb testing.TB, distinct int, opt parse.Options) *archive {
	tb.Helper()
	return &archive{src: feedtest.ParseCorpus(tb, distinct, opt)}
}

// post is the archive's post i, version v (0 for the first).
func (a *archive) post(i, v int) *feed.Post {
	p := *a.src[i%len(a.src)]
	d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 17 * time.Minute)
	p.Path = fmt.Sprintf("%s/p%07d.md", d.Format("2006/01"), i)
	p.ID = fmt.Sprintf("P%07d", i)
	p.Date, p.Updated = d, d
	if v > 0 {
		p.Title = fmt.Sprintf("edit %d", v)
	}
	return &p
}

// posts are the archive's first n posts.
func (a *archive) posts(n int) []*feed.Post {
	out := make([]*feed.Post, n)
	for i := range out {
		out[i] = a.post(i, 0)
	}
	return out
}

// BenchmarkApply: publishing a new snapshot of 100,000 posts after a batch
// of 1 or 100 changed posts, their bodies in a bodies.Store as feedd serve
// keeps them (each changed body put, each old one released).
//
//	go test ./feed -run '^$' -bench Apply -benchmem
func BenchmarkApply(b *testing.B) {
	const n = 100000
	a := newArchive(b, 1000, feedtest.ParseOptions())
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("posts=%d/batch=%d", n, batch), func(b *testing.B) {
			set := newSet(nil, newStore(b, bodies.Options{}))
			set.Apply(a.posts(n), nil)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				changed := make([]*feed.Post, batch)
				for j := range changed {
					changed[j] = a.post((i*batch+j*997)%n, i)
				}
				set.Apply(changed, nil)
			}
		})
	}
}
