package feedtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/feedd/feedd/bench/corpus"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/parse"
)

// Corpus applies n posts of the benchmark corpus (bench/corpus, seed 1) to
// set and returns the snapshot. At most 1,000 posts are made and their
// bodies put in the set's store; beyond that, posts are copies of those
// (with their bodies) under their own path, id and date, 17 minutes apart
// from 2020, so that an archive of 100,000 costs a thousand bodies.
func Corpus(tb testing.TB, set *feed.Set, n int) *feed.Snapshot {
	tb.Helper()
	src := make([]*feed.Post, min(n, 1000))
	for i := range src {
		rel, data := corpus.Post(1, i, len(src))
		p, err := parse.Post(rel, data, time.Time{}, ParseOptions())
		if err != nil {
			tb.Fatal(err)
		}
		if err := set.Prepare(p); err != nil {
			tb.Fatal(err)
		}
		src[i] = p
	}
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
	return set.Apply(posts, nil)
}

// ParseCorpus parses the n posts of the benchmark corpus of n (bench/corpus,
// seed 1) with opt: n distinct posts, with their own codes.
func ParseCorpus(tb testing.TB, n int, opt parse.Options) []*feed.Post {
	tb.Helper()
	posts := make([]*feed.Post, n)
	for i := range posts {
		rel, data := corpus.Post(1, i, n)
		p, err := parse.Post(rel, data, time.Time{}, opt)
		if err != nil {
			tb.Fatal(err)
		}
		posts[i] = p
	}
	return posts
}
