package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
)

// BenchmarkCompress compresses an RSS page of 50 items and one of 500 (the
// largest a request may ask for) with gzip's best, with brotli's quality 9
// and at the settings brotliOptions picks between, reporting the size left
// (ratio) beside the time and the memory each takes.
//
//	go test ./server -run '^$' -bench Compress -benchmem
func BenchmarkCompress(b *testing.B) {
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return feedtest.Now }, Logger: feedtest.Quiet})
	feedtest.Corpus(b, set, 2000)
	s := New(Options{Site: feedtest.Site(), Set: set, Logger: feedtest.Quiet})
	for _, items := range []int{50, 500} {
		rec := httptest.NewRecorder()
		target := "/rss.xml" // 50 items: the default page
		if items != 50 {
			target = fmt.Sprintf("/rss.xml?limit=%d", items)
		}
		s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		page := rec.Body.Bytes()
		if items == 50 {
			page = bytes.Clone(page)
		}
		encoders := []struct {
			name string
			enc  func(io.Writer) io.WriteCloser
		}{
			{"gzip-9", func(w io.Writer) io.WriteCloser { zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression); return zw }},
			{"br-q9-w22", func(w io.Writer) io.WriteCloser {
				return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: 9, LGWin: 22})
			}},
			{"br-q5-w20", func(w io.Writer) io.WriteCloser {
				return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: 5, LGWin: 20})
			}},
			{"br-q4-w18", func(w io.Writer) io.WriteCloser {
				return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: 4, LGWin: 18})
			}},
			{"br-q2-w18", func(w io.Writer) io.WriteCloser {
				return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: 2, LGWin: 18})
			}},
		}
		for _, e := range encoders {
			b.Run(fmt.Sprintf("%dKB/%s", len(page)>>10, e.name), func(b *testing.B) {
				var out bytes.Buffer
				for b.Loop() {
					out.Reset()
					w := e.enc(&out)
					_, _ = w.Write(page)
					_ = w.Close()
				}
				b.ReportMetric(float64(out.Len())/float64(len(page)), "ratio")
			})
		}
	}
}

// TestSlotsBoundRendering: while every slot is taken, a document not
// made yet waits for one, and a cached document is served at once,
// compressed forms included once made.
func TestSlotsBoundRendering(t *testing.T) {
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return feedtest.Now }, Logger: feedtest.Quiet})
	feedtest.Corpus(t, set, 200)
	s := New(Options{Site: feedtest.Site(), Set: set, Logger: feedtest.Quiet})
	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Accept-Encoding", "br")
		s.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/rss.xml"); rec.Code != 200 || rec.Header().Get("Content-Encoding") != "br" {
		t.Fatalf("/rss.xml: %d %q", rec.Code, rec.Header().Get("Content-Encoding"))
	}
	for range cap(slots) {
		slots <- struct{}{}
	}
	// A client that goes away while it waits costs no rendering.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cached := s.cache.Bytes()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/feed.json", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || s.cache.Bytes() != cached {
		t.Errorf("a request given up while every slot was taken: %d %q, cache %d bytes, was %d; want a 503 and nothing rendered", rec.Code, rec.Body, s.cache.Bytes(), cached)
	}
	waiting := make(chan *httptest.ResponseRecorder)
	go func() { waiting <- get("/atom.xml") }()
	if rec := get("/rss.xml"); rec.Code != 200 {
		t.Fatalf("a cached feed while every slot is taken: %d", rec.Code)
	}
	select {
	case rec := <-waiting:
		t.Fatalf("a feed not made yet was served (%d) while every slot was taken", rec.Code)
	default:
	}
	for range cap(slots) {
		<-slots
	}
	if rec := <-waiting; rec.Code != 200 || rec.Header().Get("Content-Encoding") != "br" {
		t.Errorf("/atom.xml once a slot was free: %d %q", rec.Code, rec.Header().Get("Content-Encoding"))
	}
}
