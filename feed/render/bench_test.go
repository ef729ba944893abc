package render_test

import (
	"io"
	"testing"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
)

// BenchmarkRenderPage: an uncached 50-item page of the feed of all 100,000
// posts in each format, the bodies (4-5 KB of Markdown each, rendered)
// read from a bodies.Store, as feedd serve keeps them.
//
//	go test ./feed/render -run '^$' -bench RenderPage -benchmem
func BenchmarkRenderPage(b *testing.B) {
	store, err := bodies.Open(bodies.Options{Dir: b.TempDir(), Logger: feedtest.Quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return feedtest.Now }, Logger: feedtest.Quiet, Bodies: store})
	snap := feedtest.Corpus(b, set, 100000)
	v, _ := snap.View(feed.ViewKey{Kind: feed.Everything})
	if v.Len() != 100000 {
		b.Fatalf("%d posts", v.Len())
	}
	site := feedtest.Site()
	for _, f := range render.Formats {
		b.Run(f.File, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// The page's posts are made from the set's records on
				// every miss: part of what a miss costs.
				doc, _ := site.Document(snap, v, f, 1, 50)
				if err := doc.Render(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
