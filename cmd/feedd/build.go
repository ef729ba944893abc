package main

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/feed/text"
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
//
// Its memory grows with the archive: the posts' metadata, held as serve
// holds it, and the workers' documents and compressors, whose number grows
// with the documents to write (buildWorkers).
func build(cfg *Config, out string, stderr io.Writer) int {
	start := time.Now()
	if cfg.BaseURLGuessed {
		fmt.Fprintf(stderr, "feedd build: warning: no base URL is set: links say %s; give -base-url, FEEDD_BASE_URL or site.base_url\n", cfg.Site.BaseURL)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, closeStore := openBodyStore(cfg, quiet)
	defer closeStore()
	set := feed.NewSet(feed.SetOptions{Logger: quiet, Bodies: store})
	snap, posts, err := scanPosts(cfg, set, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "feedd build: %s: %v\n", cfg.Posts, err)
		return 1
	}
	docs := staticDocs(&cfg.Site, snap)
	workers := buildWorkers(len(docs))
	handler := server.New(server.Options{Site: &cfg.Site, Set: set, Logger: quiet, MaxLimit: cfg.MaxLimit, MaxAge: cfg.MaxAge,
		CacheBytes: buildCacheBytes(workers, cfg.CacheBytes)})
	n, bytes, err := writeAll(handler, docs, out, workers, newProgress(stderr, len(docs)))
	if err == nil {
		err = removeStale(out, docs)
	}
	if err != nil {
		fmt.Fprintf(stderr, "feedd build: %v\n", err)
		return 1
	}
	if isTerminal(stderr) {
		fmt.Fprintf(stderr, "feedd build: %d documents (%d files, %.1f MB) from %d posts in %s to %s\n",
			n, 3*n, float64(bytes)/1e6, posts, time.Since(start).Round(time.Millisecond), out)
	}
	return 0
}

// scanPosts reads every post into set, reports the bad ones on stderr, and
// returns the snapshot and how many posts are in it. The parsed posts are
// dropped on return: the set keeps its own copy of each.
func scanPosts(cfg *Config, set *feed.Set, stderr io.Writer) (*feed.Snapshot, int, error) {
	res, err := watcher.Scan(cfg.Posts, cfg.Parse, set.Prepare)
	if err != nil {
		return nil, 0, err
	}
	for _, err := range res.Problems {
		fmt.Fprintf(stderr, "feedd build: bad post left out: %v\n", err)
	}
	return set.Apply(res.Posts, nil), len(res.Posts), nil
}

// Build's workers each render and compress one document at a time. A
// worker takes about 15 MB while it compresses pages of the default size
// (brotli's window and hash tables and gzip's, made for every document,
// and the garbage they leave), whatever the size of the archive. So there
// is one worker per docsPerWorker documents, not one per core: a small
// archive gets one, and a machine's cores do not multiply the cost of a
// build. maxWorkers bounds the cost for the largest archives.
const (
	docsPerWorker = 256
	maxWorkers    = 8
)

// buildWorkers is how many documents build renders and compresses at
// once: one per docsPerWorker documents, at least one, and at most one
// per core and maxWorkers.
func buildWorkers(docs int) int {
	return max(1, min(runtime.GOMAXPROCS(0), maxWorkers, (docs+docsPerWorker-1)/docsPerWorker))
}

// cachePerWorker is the bound of build's document cache for each worker.
// A worker asks for a document in its three codings one after the other,
// so the cache need only hold the documents the workers are on; serve's
// bound (feed.cache_mb, 64 MiB by default) would fill with documents build
// is done with. Within this bound the cache keeps documents of 512 KB at
// least (a page of 50 items with bodies of 5 KB is about 300 KB); a larger
// one is rendered again for each coding, to the same bytes.
const cachePerWorker = 4 << 20

// buildCacheBytes is the bound of build's document cache: cachePerWorker
// per worker, or the configured bound (feed.cache_mb) when that is less.
func buildCacheBytes(workers int, configured int64) int64 {
	if b := int64(workers) * cachePerWorker; configured <= 0 || configured > b {
		return b
	}
	return configured
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

// writeAll writes every document in every coding, with workers at once:
// compressing is most of the work. It returns how many documents it wrote
// and their bytes.
func writeAll(handler http.Handler, docs []staticDoc, out string, workers int, progress *progress) (int, int64, error) {
	next := make(chan staticDoc)
	type result struct {
		n   int64
		err error
	}
	results := make(chan result)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for d := range next {
				var r result
				name := d.file(out)
				if r.err = os.MkdirAll(filepath.Dir(name), 0o755); r.err == nil {
					// One after the other, so that the server renders the
					// document once and keeps it for the other two.
					for _, coding := range []string{"identity", "gzip", "br"} {
						n, err := writeDoc(handler, d, coding, name)
						r.n += n
						if err != nil {
							r.err = err
							break
						}
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
// of serve would, and writes the body it gets to name (with .gz or .br
// for those codings).
func writeDoc(h http.Handler, d staticDoc, coding, name string) (int64, error) {
	target := requestTarget(d.path, d.query)
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept-Encoding", coding)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return 0, fmt.Errorf("%s: status %d: %s", target, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	switch coding {
	case "gzip":
		name += ".gz"
	case "br":
		name += ".br"
	default:
		coding = ""
	}
	if got := rec.Header().Get("Content-Encoding"); got != coding {
		return 0, fmt.Errorf("%s: asked for %q, got the coding %q", target, coding, got)
	}
	modTime, _ := http.ParseTime(rec.Header().Get("Last-Modified"))
	if err := replaceFile(name, rec.Body.Bytes(), modTime); err != nil {
		return 0, err
	}
	return int64(rec.Body.Len()), nil
}

// tempPrefix starts the names of the files build writes before renaming
// them into place.
const tempPrefix = ".feedd-build-"

// replaceFile writes data to name through a temporary file in its directory,
// renamed over it, so that a web server serving the directory while build
// runs never sends half a file; and dates it modTime (the document's
// Last-Modified, when not zero), so that rebuilding the same posts leaves
// a web server's Last-Modified and ETag (nginx's are the file's time and
// size) as they were.
func replaceFile(name string, data []byte, modTime time.Time) error {
	f, err := os.CreateTemp(filepath.Dir(name), tempPrefix+"*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes it 0600: web servers run as other users
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !modTime.IsZero() {
		err = os.Chtimes(f.Name(), modTime, modTime)
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// removeStale removes from out what an earlier build wrote and this one
// did not (the pages and feeds that are gone), the temporary files of a
// build that was stopped, and the directories that leaves empty. Files of
// other names are left alone: build's are index.html and opml.xml at the
// top, a format's file anywhere, each with a query, .gz or .br.
func removeStale(out string, docs []staticDoc) error {
	keep := map[string]bool{}
	for _, d := range docs {
		name := d.file(out)
		keep[name], keep[name+".gz"], keep[name+".br"] = true, true, true
	}
	var emptied []string
	err := filepath.WalkDir(out, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() || keep[p] || !builtName(e.Name(), filepath.Dir(p) == out) {
			return err
		}
		emptied = append(emptied, filepath.Dir(p))
		return os.Remove(p)
	})
	for i := len(emptied) - 1; i >= 0; i-- {
		for dir := emptied[i]; dir != out && strings.HasPrefix(dir, out); dir = filepath.Dir(dir) {
			if os.Remove(dir) != nil { // not empty
				break
			}
		}
	}
	return err
}

// builtName says whether a file of this name is one build writes.
func builtName(name string, top bool) bool {
	if strings.HasPrefix(name, tempPrefix) {
		return true
	}
	for _, ext := range []string{".gz", ".br"} {
		if n, ok := strings.CutSuffix(name, ext); ok {
			name = n
			break
		}
	}
	name, _, _ = strings.Cut(name, "?")
	if _, ok := render.FormatByFile(name); ok {
		return true
	}
	return top && (name == "index.html" || name == "opml.xml")
}

// requestTarget escapes a decoded path back into a request's target, with
// its query.
func requestTarget(path, query string) string {
	if query != "" {
		return text.EscapePath(path) + "?" + query
	}
	return text.EscapePath(path)
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
