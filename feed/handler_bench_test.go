package feed_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/metrics"
)

// benchHandler serves 100,000 posts, their bodies in a body store, with
// every request observed by the metrics, as feedd serve does.
func benchHandler(b *testing.B) http.Handler {
	store := newStore(b, feed.BodyStoreOptions{})
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	set.Apply(benchPosts(b, 100000, store), nil)
	h := feed.NewHandler(testSite(), set, quiet)
	m := metrics.New(&metrics.Sources{Set: set, Cache: h.Cache(), Bodies: store})
	h.Mount("/metrics", "metrics", m.Handler())
	h.Observe(m.ObserveRequest)
	return h
}

// BenchmarkServe: a cached feed through the handler (routing, metrics), as
// identity, gzip and brotli, and a 304 for a poller that has it.
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
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code, w.n = 0, 0
				h.ServeHTTP(w, req)
				if w.code != bc.want || (w.code == 200 && w.n == 0) {
					b.Fatalf("status %d, %d bytes", w.code, w.n)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that counts the body and keeps
// nothing, as a network connection's writer would: the benchmark measures
// the handler, not a recorder's copy of the body.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(200)
	w.n += len(p)
	return len(p), nil
}

// BenchmarkRenderPage: an uncached 50-item page of the feed of all 100,000
// posts in each format, the bodies (4-5 KB of Markdown each) read from the
// body store.
//
//	go test ./feed -run '^$' -bench RenderPage -benchmem
func BenchmarkRenderPage(b *testing.B) {
	store := newStore(b, feed.BodyStoreOptions{})
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	snap := set.Apply(benchPosts(b, 100000, store), nil)
	v, _ := snap.View(feed.ViewKey{})
	site := testSite()
	for _, f := range feed.Formats {
		b.Run(f.File(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// The page's posts are made from the set's records on
				// every miss: part of what a miss costs.
				doc, _ := site.NewDocument(snap, v, f, 1, 50)
				if err := doc.Render(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
