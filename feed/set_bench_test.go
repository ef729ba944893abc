package feed_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

// benchPosts makes n parsed posts over several years, in eight categories
// and three languages.
func benchPosts(n int) []*feed.Post {
	cats := []string{"national", "business", "world", "sport", "lifestyle", "opinion", "tech", "real-estate"}
	langs := []string{"en", "km", "zh"}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	posts := make([]*feed.Post, n)
	for i := range posts {
		d := start.Add(time.Duration(i) * 17 * time.Minute)
		posts[i] = &feed.Post{
			Path: fmt.Sprintf("%s/p%07d.md", d.Format("2006/01"), i), ID: fmt.Sprintf("P%07d", i),
			Title: "Post", Summary: "Summary", Content: "<p>Body</p>", Link: "https://example.com/p",
			Categories: []feed.Category{{Slug: cats[(i*7)%len(cats)], Name: cats[(i*7)%len(cats)]}},
			Language:   langs[i%len(langs)], Date: d, Updated: d,
		}
	}
	return posts
}

// BenchmarkApply: publishing a new snapshot of 100,000 posts after a batch
// of 1 or 100 changed posts.
//
//	go test ./feed -run '^$' -bench Apply -benchmem
func BenchmarkApply(b *testing.B) {
	const n = 100000
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("posts=%d/batch=%d", n, batch), func(b *testing.B) {
			posts := benchPosts(n)
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
