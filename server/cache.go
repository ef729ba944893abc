package server

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
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
// "gzip", "br"), compressing it the first time.
func (r *Rendered) encoding(coding string) *encoding {
	i := codingIndex(coding)
	e := &r.enc[i]
	e.once.Do(func() {
		e.body = compress(r.Body, coding)
		e.hdrETag = []string{r.tags[i]}
		e.hdrLength = []string{strconv.Itoa(len(e.body))}
		if coding != "" {
			e.hdrCoding = []string{coding}
		}
	})
	return e
}

// compress encodes body in a content coding, at its best compression: a
// document is compressed once and sent many times.
func compress(body []byte, coding string) []byte {
	var b bytes.Buffer
	switch coding {
	case "gzip":
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
	case "br":
		bw := brotli.NewWriterLevel(&b, 9)
		_, _ = bw.Write(body)
		_ = bw.Close()
	default:
		return body
	}
	return b.Bytes()
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
	if size > c.max {
		return
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
