package feed_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

// benchHandler serves 100,000 posts.
func benchHandler(b *testing.B) http.Handler {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	set.Apply(benchPosts(100000), nil)
	return feed.NewHandler(testSite(), set, quiet)
}

// BenchmarkServe: a cached feed through the router, as identity, gzip and
// brotli, and a 304 for a poller that has it.
//
//	go test ./feed -run '^$' -bench Serve -benchmem
func BenchmarkServe(b *testing.B) {
	h := benchHandler(b)
	warm := httptest.NewRecorder()
	h.ServeHTTP(warm, httptest.NewRequest("GET", "/rss.xml", nil))
	etag := warm.Header().Get("ETag")
	for _, bc := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"cached-identity", nil, 200},
		{"cached-gzip", map[string]string{"Accept-Encoding": "gzip"}, 200},
		{"cached-br", map[string]string{"Accept-Encoding": "br"}, 200},
		{"304", map[string]string{"If-None-Match": etag, "Accept-Encoding": "gzip"}, 304},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/rss.xml", nil)
			for k, v := range bc.hdr {
				req.Header.Set(k, v)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != bc.want {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// BenchmarkRenderPage: an uncached 50-item page in each format.
//
//	go test ./feed -run '^$' -bench RenderPage -benchmem
func BenchmarkRenderPage(b *testing.B) {
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }})
	snap := set.Apply(benchPosts(100000), nil)
	v, _ := snap.View(feed.ViewKey{})
	site := testSite()
	for _, f := range feed.Formats {
		b.Run(f.File(), func(b *testing.B) {
			doc, _ := site.NewDocument(snap, v, f, 1, 50)
			b.ReportAllocs()
			for b.Loop() {
				if err := doc.Render(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
