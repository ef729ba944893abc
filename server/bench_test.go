package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/metrics"
	"github.com/feedd/feedd/server"
)

// benchServer serves 100,000 posts of the benchmark corpus, their bodies
// in a bodies.Store, with every request observed by the Prometheus
// metrics, as feedd serve wires them.
func benchServer(b *testing.B) *server.Server {
	store, err := bodies.Open(bodies.Options{Dir: b.TempDir(), Logger: feedtest.Quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return feedtest.Now }, Logger: feedtest.Quiet, Bodies: store})
	feedtest.Corpus(b, set, 100000)
	var s *server.Server
	m := metrics.New(metrics.Sources{
		Posts: func() metrics.Posts {
			snap := set.Current()
			return metrics.Posts{Ready: true, Published: snap.Len(), Feeds: len(snap.Views()), Version: snap.Version}
		},
		Cache: func() metrics.Cache {
			return metrics.Cache{Hits: s.Cache().Hits(), Misses: s.Cache().Misses(), Bytes: s.Cache().Bytes()}
		},
		Bodies: func() metrics.Bodies {
			st := store.Stats()
			return metrics.Bodies{LiveBytes: st.LiveBytes, FileBytes: st.FileBytes, Compactions: st.Compactions}
		},
	})
	s = server.New(server.Options{Site: feedtest.Site(), Set: set, Logger: feedtest.Quiet, Metrics: m.Handler(), Observe: m.ObserveRequest})
	return s
}

// BenchmarkServe: a cached feed through the server (routing, cache,
// ServeContent, metrics), as identity, gzip and brotli, and a 304 for a
// poller that has it. The writer keeps nothing and, like net/http's own,
// implements io.ReaderFrom without allocating: what a request allocates
// beyond that is the server's.
//
//	go test ./server -run '^$' -bench Serve -benchmem
func BenchmarkServe(b *testing.B) {
	s := benchServer(b)
	warm := httptest.NewRecorder()
	s.ServeHTTP(warm, httptest.NewRequest("GET", "/rss.xml", nil))
	if warm.Code != 200 {
		b.Fatalf("GET /rss.xml: %d", warm.Code)
	}
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
			w := newDiscardWriter()
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				s.ServeHTTP(w, req)
				if w.code != bc.want || (w.code == 200 && w.n == 0) {
					b.Fatalf("status %d, %d bytes", w.code, w.n)
				}
			}
			b.ReportMetric(float64(w.n), "body-bytes")
		})
	}
}

// BenchmarkServeContent is http.ServeContent alone on the same writer, for
// comparison: it copies through the writer's ReadFrom.
func BenchmarkServeContent(b *testing.B) {
	body := make([]byte, 200<<10)
	w := newDiscardWriter()
	req := httptest.NewRequest("GET", "/rss.xml", nil)
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		w.h.Set("Content-Type", "application/rss+xml; charset=utf-8")
		http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(body))
		if w.n != len(body) {
			b.Fatalf("%d bytes", w.n)
		}
	}
}

// discardWriter is a ResponseWriter that counts the body and keeps
// nothing, as a network connection's writer would, with a ReadFrom that
// copies through its own buffer as net/http's response does through a
// pooled one.
type discardWriter struct {
	h    http.Header
	code int
	n    int
	buf  []byte
}

func newDiscardWriter() *discardWriter {
	return &discardWriter{h: http.Header{}, buf: make([]byte, 32<<10)}
}

func (w *discardWriter) reset() {
	clear(w.h)
	w.code, w.n = 0, 0
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

func (w *discardWriter) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		k, err := r.Read(w.buf)
		w.n += k
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
