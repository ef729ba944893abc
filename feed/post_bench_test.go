package feed_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

// BenchmarkParse: one post of the real archive's size (the sample post,
// 4.4 KB) from its bytes to a feed.Post.
//
//	go test ./feed -run '^$' -bench Parse -benchmem
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "posts", "000_9998e3ab84582ced.md"))
	if err != nil {
		b.Fatal(err)
	}
	opt := testParseOptions()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := feed.Parse("000_9998e3ab84582ced.md", data, time.Time{}, opt); err != nil {
			b.Fatal(err)
		}
	}
}
