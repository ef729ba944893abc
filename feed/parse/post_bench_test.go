package parse_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
)

// BenchmarkParse: one post of the real archive's size (the sample post,
// 4.4 KB) from its bytes to a feed.Post: its body rendered and kept in
// memory, as feedd check and an edit read it; and deferred, as the
// start-up scan reads it (front matter only).
//
//	go test ./feed/parse -run '^$' -bench Parse -benchmem
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(feedtest.Samples(), "000_9998e3ab84582ced.md"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name        string
		deferBodies bool
	}{{"memory", false}, {"deferred", true}} {
		b.Run(bc.name, func(b *testing.B) {
			opt := feedtest.ParseOptions()
			opt.DeferBodies = bc.deferBodies
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parse.Post("000_9998e3ab84582ced.md", data, time.Time{}, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
