package feed_test

import (
	"fmt"

	"github.com/feedd/feedd/bench/corpus"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

// benchPosts makes n posts over several years from the generated corpus
// (bench/corpus: 4-5 KB bodies, eight categories of skewed sizes, en, km
// and zh). 1,000 distinct posts are parsed, their bodies kept in store (in
// memory if nil); the rest are copies of them under other paths, ids and
// dates, sharing their bodies.
func benchPosts(tb testing.TB, n int, store *feed.BodyStore) []*feed.Post {
	tb.Helper()
	opt := testParseOptions()
	opt.Bodies = store
	src := parseCorpus(tb, min(n, 1000), opt)
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	posts := make([]*feed.Post, n)
	for i := range posts {
		p := *src[i%len(src)]
		d := start.Add(time.Duration(i) * 17 * time.Minute)
		p.Path = fmt.Sprintf("%s/p%07d.md", d.Format("2006/01"), i)
		p.ID = fmt.Sprintf("P%07d", i)
		p.Date, p.Updated = d, d
		posts[i] = &p
	}
	return posts
}

// parseCorpus parses the n posts of the generated corpus of n (seed 1).
func parseCorpus(tb testing.TB, n int, opt feed.ParseOptions) []*feed.Post {
	tb.Helper()
	posts := make([]*feed.Post, n)
	for i := range posts {
		rel, data := corpus.Post(1, i, n)
		p, err := feed.Parse(rel, data, time.Time{}, opt)
		if err != nil {
			tb.Fatal(err)
		}
		posts[i] = p
	}
	return posts
}

// BenchmarkApply: publishing a new snapshot of 100,000 posts after a batch
// of 1 or 100 changed posts, their bodies in a body store as feedd serve
// keeps them.
//
//	go test ./feed -run '^$' -bench Apply -benchmem
func BenchmarkApply(b *testing.B) {
	const n = 100000
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("posts=%d/batch=%d", n, batch), func(b *testing.B) {
			posts := benchPosts(b, n, newStore(b, feed.BodyStoreOptions{}))
			set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }})
			set.Apply(posts, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				changed := make([]*feed.Post, batch)
				for j := range changed {
					p := *posts[(i*batch+j*997)%n]
					p.Title = fmt.Sprintf("edit %d", i)
					changed[j] = &p
				}
				set.Apply(changed, nil)
			}
		})
	}
}
