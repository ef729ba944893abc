package feed_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

// BenchmarkParse: one post of the real archive's size (the sample post,
// 4.4 KB) from its bytes to a feed.Post: rendered and kept in memory, as
// feedd check does; rendered into a body store, as a change is read; and
// deferred, as the start-up scan reads it (front matter only).
//
//	go test ./feed -run '^$' -bench Parse -benchmem
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "posts", "000_9998e3ab84582ced.md"))
	if err != nil {
		b.Fatal(err)
	}
	store := newStore(b, feed.BodyStoreOptions{})
	for _, bc := range []struct {
		name        string
		bodies      *feed.BodyStore
		deferBodies bool
	}{{"memory", nil, false}, {"stored", store, false}, {"deferred", store, true}} {
		b.Run(bc.name, func(b *testing.B) {
			opt := testParseOptions()
			opt.Bodies, opt.DeferBodies = bc.bodies, bc.deferBodies
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := feed.Parse("000_9998e3ab84582ced.md", data, time.Time{}, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
