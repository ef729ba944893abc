package server

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/render"
)

// Rendered is a document rendered once: its bytes, its strong ETag (from
// the bytes) and its compressed encodings, each made once, when first asked
// for, with the header values that go with each.
type Rendered struct {
	Body         []byte
	LastModified time.Time
	// path (decoded) and query are the document's canonical URL: a cached
	// copy is served only there.
	path, query string

	// The strong ETag of each coding, by codingIndex: `"…"` from Body for
	// identity, the same with "-gzip" or "-br" before the closing quote.
	tags [len(codings)]string
	enc  [len(codings)]encoding
	// Header values shared by every response: Content-Type,
	// Last-Modified, and Link (nil for none).
	hdrType, hdrLastModified, hdrLink []string
}

// encoding is the document in one content coding, and its header values.
type encoding struct {
	once                          sync.Once
	made                          atomic.Bool // once has run
	body                          []byte
	hdrETag, hdrLength, hdrCoding []string
}

// codings are the content codings served, by index.
var codings = [...]string{"", "gzip", "br"}

func codingIndex(coding string) int {
	for i, c := range codings {
		if c == coding {
			return i
		}
	}
	return 0
}

// NewRendered wraps a document's bytes, with the HTTP Link header's value
// ("" for none).
func NewRendered(body []byte, contentType string, lastModified time.Time, link string) *Rendered {
	if cap(body)-len(body) > len(body)/8 {
		// A buffer grown while rendering has up to as much again spare:
		// the cache counts a document by its length, so it keeps no more.
		body = bytes.Clone(body)
	}
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	r := &Rendered{Body: body, LastModified: lastModified, hdrType: []string{contentType},
		// RFC 9110 wants a distinct strong tag per coding: the identity
		// tag with the coding as a suffix.
		tags: [...]string{`"` + tag + `"`, `"` + tag + `-gzip"`, `"` + tag + `-br"`}}
	if !lastModified.IsZero() && !lastModified.Equal(time.Unix(0, 0)) { // as ServeContent: unknown
		r.hdrLastModified = []string{lastModified.UTC().Format(http.TimeFormat)}
	}
	if link != "" {
		r.hdrLink = []string{link}
	}
	return r
}

// encoding returns the document in a content coding ("" for identity,
// "gzip", "br"), compressing it the first time, in a slot (withSlot); nil
// if ctx ends while it waits for one.
func (r *Rendered) encoding(ctx context.Context, coding string) *encoding {
	i := codingIndex(coding)
	if e := &r.enc[i]; e.made.Load() {
		return e
	}
	if !withSlot(ctx, func() { r.make(i) }) {
		return nil
	}
	return &r.enc[i]
}

// make makes the encoding of index i, once; the caller holds a slot.
func (r *Rendered) make(i int) {
	e := &r.enc[i]
	e.once.Do(func() {
		e.body = compress(r.Body, codings[i])
		e.hdrETag = []string{r.tags[i]}
		e.hdrLength = []string{strconv.Itoa(len(e.body))}
		if codings[i] != "" {
			e.hdrCoding = []string{codings[i]}
		}
		e.made.Store(true)
	})
}

// errGone is a request given up on while it waited for a slot.
var errGone = errors.New("the client went away")

// gaveUp answers a request given up on while it waited for a slot: the
// client has most likely gone, and metrics and logs count a 503, not an
// empty 200.
func gaveUp(w http.ResponseWriter) {
	httpError(w, http.StatusServiceUnavailable, "the request ended while it waited for the server")
}

// makeDoc renders a document, and makes the coding r asks for, in one
// slot: no document rendered waits for a slot to be compressed in, so
// the documents in the making are never more than the slots.
func makeDoc(r *http.Request, render func() (*Rendered, error)) (doc *Rendered, err error) {
	if !withSlot(r.Context(), func() {
		if doc, err = render(); err == nil {
			doc.make(codingIndex(negotiate(r.Header.Get("Accept-Encoding"))))
		}
	}) {
		return nil, errGone
	}
	return doc, err
}

// slots bound the documents rendered and compressed at once in the whole
// process to one per core: requests for documents not made yet wait their
// turn, so their memory never piles up whatever comes in, while documents
// made already are served without waiting.
var slots = make(chan struct{}, runtime.GOMAXPROCS(0))

// withSlot runs f in a slot, once one is free; it reports false, without
// running f, if ctx ends first (the client went away).
func withSlot(ctx context.Context, f func()) bool {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	defer func() { <-slots }()
	f()
	return true
}

// compress encodes body in a content coding: gzip at its best, brotli at
// a quality that costs a few MB and less time than gzip's best for the
// same size on a feed page (BenchmarkCompress: on a 50-item page of 260 KB,
// brotli's quality 9 allocates 46 MB and takes 4 times gzip's time for
// 11% less; quality 5 allocates 4.7 MB, takes three quarters of it, and
// matches gzip). The largest pages get brotli's cheaper settings still.
func compress(body []byte, coding string) []byte {
	if coding == "" {
		return body
	}
	var b bytes.Buffer
	b.Grow(len(body) / 4) // about what a feed compresses to
	switch coding {
	case "gzip":
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
	case "br":
		bw := brotli.NewWriterOptions(&b, brotliOptions(len(body)))
		_, _ = bw.Write(body)
		_ = bw.Close()
	}
	return bytes.Clone(b.Bytes()) // no spare capacity kept in the cache
}

// brotliOptions are the brotli settings for a document of n bytes: past
// 1 MiB (a page of hundreds of items), quality 4 with a 256 KiB window,
// which keeps a 2.5 MB page's compression under 9 MB and 45 ms.
func brotliOptions(n int) brotli.WriterOptions {
	if n <= 1<<20 {
		return brotli.WriterOptions{Quality: 5, LGWin: 20}
	}
	return brotli.WriterOptions{Quality: 4, LGWin: 18}
}

// matches says whether an entity tag names a representation of the
// document, in any coding (compared weakly, as If-None-Match is).
func (r *Rendered) matches(tag string) bool {
	tag = trimWeak(tag)
	for _, t := range r.tags {
		if tag == t {
			return true
		}
	}
	return false
}

// docKey names a document: a page of a view in a format; or, with no
// format, the index page or the OPML list (by name).
type docKey struct {
	name   string
	view   feed.ViewKey
	format *render.Format
	page   int
	limit  int
}

type cacheEntry struct {
	key      docKey
	revision uint64 // of the view (or snapshot) it was rendered from
	doc      *Rendered
	size     int64
}

// Cache keeps rendered documents, least recently used first out, within a
// memory bound. An entry is valid while its view has the revision it was
// rendered from: a change in one category leaves the other categories'
// documents (and ETags) in place.
type Cache struct {
	mu           sync.Mutex // guards the fields below
	max          int64
	size         int64
	entries      map[docKey]*list.Element
	lru          *list.List
	hits, misses atomic.Uint64
}

// DefaultCacheBytes is the cache's memory bound unless configured.
const DefaultCacheBytes = 64 << 20

// NewCache returns a cache holding at most maxBytes of documents (counting
// each document as twice its size, a bound on it and its two compressed
// forms).
func NewCache(maxBytes int64) *Cache {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &Cache{max: maxBytes, entries: map[docKey]*list.Element{}, lru: list.New()}
}

// get returns the document for key if it was rendered from revision.
func (c *Cache) get(key docKey, revision uint64) (*Rendered, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		if e.revision == revision {
			c.lru.MoveToFront(el)
			c.hits.Add(1)
			return e.doc, true
		}
		c.remove(el)
	}
	c.misses.Add(1)
	return nil, false
}

// put keeps a document rendered from revision.
func (c *Cache) put(key docKey, revision uint64, doc *Rendered) {
	size := 2*int64(len(doc.Body)) + 512
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > keepAtMost(c.max) {
		return // it would push out much of the rest for one page
	}
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, revision: revision, doc: doc, size: size})
	c.size += size
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
}

func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.entries, e.key)
	c.size -= e.size
}

// keepAtMost is the largest document a cache of bound bytes keeps: an
// eighth of it, or 1 MiB (the default feed's first page and more) when
// that is more and fits.
func keepAtMost(bound int64) int64 { return min(bound, max(bound/8, 1<<20)) }

// Hits counts the documents served from the cache.
func (c *Cache) Hits() uint64 { return c.hits.Load() }

// Misses counts the documents rendered because the cache had no current
// copy.
func (c *Cache) Misses() uint64 { return c.misses.Load() }

// Bytes is the memory the cache counts for its documents.
func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
