package feed

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andybalholm/brotli"
)

// Rendered is a document rendered once: its bytes, its strong ETag (from
// the bytes) and its compressed encodings, each made once, when first asked
// for, with the header values that go with each, so that serving it again
// computes nothing.
type Rendered struct {
	Body         []byte
	LastModified time.Time
	ContentType  string
	Link         string // the HTTP Link header, when there is one
	// The document's canonical path (decoded) and query, for a cached copy
	// to be served only at its own URL.
	CanonicalPath, CanonicalQuery string

	// The strong ETag of each coding, by codingIndex: `"…"` from Body for
	// identity, the same with "-gzip" or "-br" before the closing quote.
	tags [3]string
	enc  [3]encoding

	hdrOnce                      sync.Once
	hdrType, hdrLastMod, hdrLink []string
}

// encoding is the document in one content coding, and its header values.
type encoding struct {
	once                          sync.Once
	body                          []byte
	hdrETag, hdrLength, hdrCoding []string
}

// codings are the content codings served, by index.
var codings = [3]string{"", "gzip", "br"}

func codingIndex(coding string) int {
	switch coding {
	case "gzip":
		return 1
	case "br":
		return 2
	}
	return 0
}

// NewRendered wraps a document's bytes.
func NewRendered(body []byte, contentType string, lastModified time.Time) *Rendered {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	// RFC 9110 wants a distinct strong tag per coding: the identity tag
	// with the coding as a suffix.
	return &Rendered{Body: body, ContentType: contentType, LastModified: lastModified,
		tags: [3]string{`"` + tag + `"`, `"` + tag + `-gzip"`, `"` + tag + `-br"`}}
}

// encoding returns the document in a content coding ("" for identity,
// "gzip", "br"), compressing it the first time.
func (r *Rendered) encoding(coding string) *encoding {
	i := codingIndex(coding)
	e := &r.enc[i]
	e.once.Do(func() {
		switch i {
		case 0:
			e.body = r.Body
		case 1:
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			_, _ = zw.Write(r.Body)
			_ = zw.Close()
			e.body = b.Bytes()
		case 2:
			var b bytes.Buffer
			bw := brotli.NewWriterLevel(&b, 9)
			_, _ = bw.Write(r.Body)
			_ = bw.Close()
			e.body = b.Bytes()
		}
		e.hdrETag = []string{r.tags[i]}
		e.hdrLength = []string{strconv.Itoa(len(e.body))}
		if i != 0 {
			e.hdrCoding = []string{codings[i]}
		}
	})
	return e
}

// headers returns the header values common to every coding, made once.
func (r *Rendered) headers() (ctype, lastMod, link []string) {
	r.hdrOnce.Do(func() {
		r.hdrType = []string{r.ContentType}
		if !r.LastModified.IsZero() {
			r.hdrLastMod = []string{r.LastModified.UTC().Format(http.TimeFormat)}
		}
		if r.Link != "" {
			r.hdrLink = []string{r.Link}
		}
	})
	return r.hdrType, r.hdrLastMod, r.hdrLink
}

// Matches reports whether an If-None-Match value names any representation
// of the document (weak comparison, as RFC 9110 says for If-None-Match).
func (r *Rendered) Matches(ifNoneMatch string) bool {
	for rest := ifNoneMatch; rest != ""; {
		var t string
		t, rest, _ = strings.Cut(rest, ",")
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == r.tags[0] || t == r.tags[1] || t == r.tags[2] {
			return true
		}
	}
	return false
}

// cacheKey names a document: a page of a view in a format.
type cacheKey struct {
	view   ViewKey
	format Format
	page   int
	limit  int
}

type cacheEntry struct {
	key  cacheKey
	from *View // the view the document was rendered from
	doc  *Rendered
	size int64
}

// Cache keeps rendered documents, least recently used first out, within a
// memory bound. An entry is valid while the current snapshot still holds
// the very View it was rendered from: snapshots share the views a change
// did not touch, so a change in one category leaves the other categories'
// documents (and ETags) in place.
type Cache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	entries map[cacheKey]*list.Element
	lru     *list.List

	hits, misses atomic.Uint64

	// current holds the documents of one snapshot asked for by a URL with
	// no query (the first page at the default limit: nearly every poll),
	// by that URL's path. One map lookup, without a lock, serves them: the
	// view's lookup, the cache's lock and its key's hashing cost about a
	// tenth of a cached 304. Each is also an entry of the cache, and goes
	// from current when it goes from the cache. A lookup by path does not
	// move an entry up the LRU list; an entry the list drops anyway is
	// rendered again at its next request.
	current atomic.Pointer[pathDocs]
}

// pathDocs are the documents of one snapshot, by its version (not the
// snapshot itself, which would keep its posts after the set has moved on),
// by path (copied on write).
type pathDocs struct {
	version uint64
	docs    map[string]*Rendered
}

// lookup returns the document of snap at path, asked for with no query,
// if the cache holds it.
func (c *Cache) lookup(snap *Snapshot, path string) *Rendered {
	if t := c.current.Load(); t != nil && t.version == snap.Version {
		if doc := t.docs[path]; doc != nil {
			c.hits.Add(1)
			return doc
		}
	}
	return nil
}

// remember makes doc, held under key, the document of snap at its
// canonical path for lookup, when that URL has no query.
func (c *Cache) remember(snap *Snapshot, key cacheKey, doc *Rendered) {
	if doc.CanonicalQuery != "" {
		return
	}
	if t := c.current.Load(); t != nil && t.version == snap.Version && t.docs[doc.CanonicalPath] == doc {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rememberLocked(snap.Version, key, doc)
}

// rememberLocked is remember with c.mu held. Documents of a snapshot older
// than the one current is for are not kept.
func (c *Cache) rememberLocked(version uint64, key cacheKey, doc *Rendered) {
	if el, ok := c.entries[key]; doc.CanonicalQuery != "" || !ok || el.Value.(*cacheEntry).doc != doc {
		return // asked for with a query, too large to keep, or dropped since
	}
	t := c.current.Load()
	docs := map[string]*Rendered{}
	switch {
	case t == nil || t.version < version:
	case t.version == version:
		docs = maps.Clone(t.docs)
	default:
		return
	}
	docs[doc.CanonicalPath] = doc
	c.current.Store(&pathDocs{version: version, docs: docs})
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
	return &Cache{max: maxBytes, entries: map[cacheKey]*list.Element{}, lru: list.New()}
}

// get returns the document for key if it was rendered from view v.
func (c *Cache) get(key cacheKey, v *View) (*Rendered, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		if e.from == v {
			c.lru.MoveToFront(el)
			c.hits.Add(1)
			return e.doc, true
		}
		c.remove(el)
	}
	c.misses.Add(1)
	return nil, false
}

// put keeps a document rendered from view v of snap (and remembers it
// for lookup by path).
func (c *Cache) put(key cacheKey, snap *Snapshot, v *View, doc *Rendered) {
	size := 2*int64(len(doc.Body)) + 512
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.max {
		return
	}
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, from: v, doc: doc, size: size})
	c.size += size
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
	c.rememberLocked(snap.Version, key, doc)
}

func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.entries, e.key)
	c.size -= e.size
	if t := c.current.Load(); t != nil && t.docs[e.doc.CanonicalPath] == e.doc {
		docs := maps.Clone(t.docs)
		delete(docs, e.doc.CanonicalPath)
		c.current.Store(&pathDocs{version: t.version, docs: docs})
	}
}

// CacheStats are the cache's counters.
type CacheStats struct {
	Hits, Misses uint64
	Entries      int
	Bytes        int64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: len(c.entries), Bytes: c.size}
}

// negotiate picks the content coding for an Accept-Encoding value: br or
// gzip by their weights, br when both weigh the same, none for q=0, and
// identity when nothing is acceptable or the header is absent.
func negotiate(accept string) string {
	if accept == "" {
		return ""
	}
	// Parsed in place: this runs on every request.
	brQ, gzQ, xgzQ, starQ := -1.0, -1.0, -1.0, -1.0
	for rest := accept; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		weight := 1.0
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				weight = parseQ(strings.TrimSpace(v))
			}
		}
		switch {
		case strings.EqualFold(name, "br"):
			brQ = weight
		case strings.EqualFold(name, "gzip"):
			gzQ = weight
		case strings.EqualFold(name, "x-gzip"):
			xgzQ = weight
		case name == "*":
			starQ = weight
		}
	}
	if gzQ < 0 {
		gzQ = xgzQ
	}
	if brQ < 0 {
		brQ = max(starQ, 0)
	}
	if gzQ < 0 {
		gzQ = max(starQ, 0)
	}
	switch {
	case brQ > 0 && brQ >= gzQ:
		return "br"
	case gzQ > 0:
		return "gzip"
	}
	return ""
}

// parseQ reads a qvalue (0 to 1, at most three decimals); anything else
// counts as 0, refusing the coding rather than guessing.
func parseQ(s string) float64 {
	if s == "" || len(s) > 5 {
		return 0
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole != "0" && whole != "1" {
		return 0
	}
	v := float64(whole[0] - '0')
	scale := 0.1
	for i := 0; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return 0
		}
		v += float64(frac[i]-'0') * scale
		scale /= 10
	}
	return min(v, 1)
}
