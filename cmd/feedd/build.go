package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/server"
	"github.com/feedd/feedd/watcher"
)

// staticDoc is one document build writes: its URL's path (decoded, as a
// web server maps it to a file) and query.
type staticDoc struct {
	path, query string
}

// file is where the document goes under out: its path, with "index.html"
// for a directory, and "?query" appended for the pages after the first
// (see the README for serving those).
func (d staticDoc) file(out string) string {
	p := d.path
	if strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	if d.query != "" {
		p += "?" + d.query
	}
	return filepath.Join(out, filepath.FromSlash(strings.TrimPrefix(p, "/")))
}

// build writes every document serve would give for the posts, each with
// its .gz and .br, and returns the exit code: 1 if the posts cannot be
// read or a file cannot be written, 0 otherwise (bad posts are reported
// and left out, as serve does).
func build(cfg *Config, out string, stderr io.Writer) int {
	start := time.Now()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, closeStore := openBodyStore(cfg, quiet)
	defer closeStore()
	set := feed.NewSet(feed.SetOptions{Logger: quiet, Bodies: store})
	res, err := watcher.Scan(cfg.Posts, cfg.Parse, set.Prepare)
	if err != nil {
		fmt.Fprintf(stderr, "feedd build: %s: %v\n", cfg.Posts, err)
		return 1
	}
	for _, err := range res.Problems {
		fmt.Fprintf(stderr, "feedd build: bad post left out: %v\n", err)
	}
	snap := set.Apply(res.Posts, nil)
	handler := server.New(server.Options{Site: &cfg.Site, Set: set, Logger: quiet, MaxLimit: cfg.MaxLimit, MaxAge: cfg.MaxAge, CacheBytes: cfg.CacheBytes})
	docs := staticDocs(&cfg.Site, snap)
	n, bytes, err := writeAll(handler, docs, out, newProgress(stderr, len(docs)))
	if err != nil {
		fmt.Fprintf(stderr, "feedd build: %v\n", err)
		return 1
	}
	if isTerminal(stderr) {
		fmt.Fprintf(stderr, "feedd build: %d documents (%d files, %.1f MB) from %d posts in %s to %s\n",
			n, 3*n, float64(bytes)/1e6, len(res.Posts), time.Since(start).Round(time.Millisecond), out)
	}
	return 0
}

// staticDocs lists every document serve gives at the default page size:
// the index, the OPML list, and every page of every feed in every format.
func staticDocs(site *render.Site, snap *feed.Snapshot) []staticDoc {
	docs := []staticDoc{{path: "/"}, {path: "/opml.xml"}}
	for _, v := range snap.Views() {
		for _, f := range render.Formats {
			for page := 1; page <= v.Pages(site.Limit); page++ {
				if doc, ok := site.Document(snap, v, f, page, site.Limit); ok {
					p, q := doc.Canonical()
					docs = append(docs, staticDoc{path: p, query: q})
				}
			}
		}
	}
	return docs
}

// writeAll writes every document in every coding, on every core:
// compressing is most of the work. It returns how many documents it wrote
// and their bytes.
func writeAll(handler http.Handler, docs []staticDoc, out string, progress *progress) (int, int64, error) {
	next := make(chan staticDoc)
	type result struct {
		n   int64
		err error
	}
	results := make(chan result)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for d := range next {
				var r result
				for _, coding := range []string{"identity", "gzip", "br"} {
					n, err := writeDoc(handler, d, coding, out)
					r.n += n
					if err != nil {
						r.err = err
						break
					}
				}
				results <- r
			}
		})
	}
	go func() {
		for _, d := range docs {
			next <- d
		}
		close(next)
		wg.Wait()
		close(results)
	}()
	var bytes int64
	var firstErr error
	done := 0
	for r := range results {
		done++
		bytes += r.n
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		progress.show(done)
	}
	progress.done()
	return done, bytes, firstErr
}

// writeDoc asks the handler for one document in one coding, as a client
// of serve would, and writes the body it gets.
func writeDoc(h http.Handler, d staticDoc, coding, out string) (int64, error) {
	target := requestTarget(d.path, d.query)
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept-Encoding", coding)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return 0, fmt.Errorf("%s: status %d: %s", target, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	name := d.file(out)
	switch coding {
	case "gzip":
		name += ".gz"
	case "br":
		name += ".br"
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(name, rec.Body.Bytes(), 0o644); err != nil {
		return 0, err
	}
	return int64(rec.Body.Len()), nil
}

// requestTarget escapes a decoded path back into a request's target, with
// its query.
func requestTarget(path, query string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	if query != "" {
		return strings.Join(segs, "/") + "?" + query
	}
	return strings.Join(segs, "/")
}

// progress draws a bar on a terminal and nothing elsewhere.
type progress struct {
	w     io.Writer
	total int
	on    bool
	last  time.Time
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, on: isTerminal(w)}
}

func (p *progress) show(n int) {
	if !p.on || (n < p.total && time.Since(p.last) < 100*time.Millisecond) {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := width * n / p.total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d documents", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), n, p.total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\n")
	}
}
