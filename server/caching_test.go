package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/server"
)

func TestCompression(t *testing.T) {
	srv := fixtureServer(t)
	resp, identity := fetch(t, "GET", srv.URL+"/rss.xml", nil)
	tag := resp.Header.Get("ETag")
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("identity: Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	tests := []struct{ accept, coding string }{
		{"", ""},
		{"identity", ""},
		{"gzip", "gzip"},
		{"br", "br"},
		{"gzip, br", "br"}, // same weight: br
		{"br, gzip", "br"}, // whatever the order
		{"gzip;q=0.5, br;q=0.5", "br"},
		{"br;q=0.5, gzip", "gzip"}, // weights decide
		{"gzip;q=0.8, br;q=0.9", "br"},
		{"gzip, br;q=0", "gzip"}, // q=0 refuses
		{"br, gzip;q=0", "br"},
		{"br;q=0, gzip;q=0", ""}, // nothing acceptable: identity
		{"br;q=0", ""},
		{"*", "br"}, // any coding
		{"*;q=0.1, gzip;q=0.5", "gzip"},
		{"*;q=0, gzip", "gzip"},
		{"deflate", ""},          // not offered
		{"GZIP;Q=1.000", "gzip"}, // case-insensitive
		{"gzip;q=2", ""},         // an invalid weight refuses
		{"gzip;q=x", ""},
		{"x-gzip", "gzip"},
	}
	for _, tt := range tests {
		hdr := map[string]string{}
		if tt.accept != "" {
			hdr["Accept-Encoding"] = tt.accept
		}
		resp, body := fetch(t, "GET", srv.URL+"/rss.xml", hdr)
		if got := resp.Header.Get("Content-Encoding"); got != tt.coding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.coding)
			continue
		}
		if !bytes.Equal(decode(t, tt.coding, body), identity) {
			t.Errorf("Accept-Encoding %q: the decoded body differs from the identity body", tt.accept)
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("Accept-Encoding %q: Content-Length %d for %d bytes", tt.accept, resp.ContentLength, len(body))
		}
		wantTag := tag
		if tt.coding != "" {
			wantTag = strings.TrimSuffix(tag, `"`) + "-" + tt.coding + `"`
		}
		if resp.Header.Get("ETag") != wantTag || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: ETag %q (want %q), Vary %q", tt.accept, resp.Header.Get("ETag"), wantTag, resp.Header.Get("Vary"))
		}
	}
	// HEAD: the same headers as GET, no body.
	for _, accept := range []string{"", "gzip", "br"} {
		hdr := map[string]string{"Accept-Encoding": accept}
		get, _ := fetch(t, "GET", srv.URL+"/author/ann-writer/atom.xml", hdr)
		head, body := fetch(t, "HEAD", srv.URL+"/author/ann-writer/atom.xml", hdr)
		if head.StatusCode != 200 || head.ContentLength != get.ContentLength || get.ContentLength <= 0 {
			t.Errorf("%q: HEAD %d, Content-Length %d, GET %d", accept, head.StatusCode, head.ContentLength, get.ContentLength)
		}
		for _, h := range []string{"ETag", "Content-Type", "Last-Modified", "Cache-Control", "Vary", "Link", "Access-Control-Allow-Origin"} {
			if head.Header.Get(h) != get.Header.Get(h) || get.Header.Get(h) == "" {
				t.Errorf("%q: HEAD %s %q, GET %q", accept, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
		if head.Header.Get("Content-Encoding") != get.Header.Get("Content-Encoding") {
			t.Errorf("%q: HEAD Content-Encoding %q, GET %q", accept, head.Header.Get("Content-Encoding"), get.Header.Get("Content-Encoding"))
		}
		if len(body) != 0 {
			t.Errorf("%q: HEAD returned %d bytes", accept, len(body))
		}
	}
}

// TestPreconditions: conditional requests and ranges, decided by
// http.ServeContent from the headers the server sets, with every tag of a
// document (any coding) naming the document.
func TestPreconditions(t *testing.T) {
	srv := fixtureServer(t)
	resp, identity := fetch(t, "GET", srv.URL+"/feed.json", nil)
	tag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if !strings.HasPrefix(tag, `"`) || lm == "" {
		t.Fatalf("ETag %q (want strong), Last-Modified %q", tag, lm)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control %q", cc)
	}
	gz := strings.TrimSuffix(tag, `"`) + `-gzip"`
	br := strings.TrimSuffix(tag, `"`) + `-br"`
	other, _ := fetch(t, "GET", srv.URL+"/atom.xml", nil)
	if other.Header.Get("ETag") == tag {
		t.Error("two different documents share an ETag")
	}
	const old = "Mon, 01 Jan 2001 00:00:00 GMT"
	tests := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"identity tag", map[string]string{"If-None-Match": tag}, 304},
		{"identity tag, asking for gzip", map[string]string{"If-None-Match": tag, "Accept-Encoding": "gzip"}, 304},
		{"identity tag, asking for br", map[string]string{"If-None-Match": tag, "Accept-Encoding": "br"}, 304},
		{"gzip tag, asking for br", map[string]string{"If-None-Match": gz, "Accept-Encoding": "br"}, 304},
		{"gzip tag, asking for identity", map[string]string{"If-None-Match": gz}, 304},
		{"br tag, asking for gzip", map[string]string{"If-None-Match": br, "Accept-Encoding": "gzip"}, 304},
		{"br tag, asking for br", map[string]string{"If-None-Match": br, "Accept-Encoding": "br"}, 304},
		{"a list", map[string]string{"If-None-Match": `"a", ` + gz + `, "b"`}, 304},
		{"weak form", map[string]string{"If-None-Match": "W/" + tag}, 304},
		{"star", map[string]string{"If-None-Match": "*"}, 304},
		{"other tags", map[string]string{"If-None-Match": `"a", "b"`}, 200},
		{"another document's tag", map[string]string{"If-None-Match": other.Header.Get("ETag")}, 200},
		{"If-Modified-Since", map[string]string{"If-Modified-Since": lm}, 304},
		{"If-Modified-Since, asking for gzip", map[string]string{"If-Modified-Since": lm, "Accept-Encoding": "gzip"}, 304},
		{"If-Modified-Since earlier", map[string]string{"If-Modified-Since": old}, 200},
		{"If-None-Match decides over If-Modified-Since", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm}, 200},
		{"If-None-Match match with an old If-Modified-Since", map[string]string{"If-None-Match": tag, "If-Modified-Since": old}, 304},
		{"If-Modified-Since not a date", map[string]string{"If-Modified-Since": "yesterday"}, 200},
		{"If-Match its tag", map[string]string{"If-Match": tag}, 200},
		{"If-Match another tag", map[string]string{"If-Match": `"other"`}, 412},
		{"If-Match another tag, asking for gzip", map[string]string{"If-Match": `"other"`, "Accept-Encoding": "gzip"}, 412},
		{"If-Unmodified-Since earlier", map[string]string{"If-Unmodified-Since": old}, 412},
		{"If-Match decides before If-None-Match", map[string]string{"If-Match": `"other"`, "If-None-Match": tag}, 412},
		{"Range", map[string]string{"Range": "bytes=0-9"}, 206},
		{"If-Modified-Since decides before a Range", map[string]string{"If-Modified-Since": lm, "Range": "bytes=0-9"}, 304},
		{"Range with a stale If-Range", map[string]string{"Range": "bytes=0-9", "If-Range": `"other"`}, 200},
		{"Range with a current If-Range", map[string]string{"Range": "bytes=0-9", "If-Range": tag}, 206},
		{"Range past the end", map[string]string{"Range": fmt.Sprintf("bytes=%d-", len(identity))}, 416},
		{"ranges larger than the document", map[string]string{"Range": fmt.Sprintf("bytes=0-%d,0-%d", len(identity)-1, len(identity)-1)}, 200},
	}
	for _, tt := range tests {
		resp, body := fetch(t, "GET", srv.URL+"/feed.json", tt.hdr)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
			continue
		}
		switch tt.status {
		case 304:
			// RFC 9110 15.4.5: what a cache updates by, and no
			// representation metadata.
			if len(body) != 0 || resp.Header.Get("ETag") == "" || resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Cache-Control") != "public, max-age=300" {
				t.Errorf("%s: 304 with %d bytes, ETag %q, Vary %q, Cache-Control %q", tt.name, len(body), resp.Header.Get("ETag"), resp.Header.Get("Vary"), resp.Header.Get("Cache-Control"))
			}
			for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
				if v, ok := resp.Header[k]; ok {
					t.Errorf("%s: 304 with %s: %q", tt.name, k, v)
				}
			}
			if want := tt.hdr["Accept-Encoding"]; want != "" && !strings.HasSuffix(resp.Header.Get("ETag"), "-"+want+`"`) {
				t.Errorf("%s: 304 with ETag %q, want the %s representation's", tt.name, resp.Header.Get("ETag"), want)
			}
		case 206:
			if string(body) != string(identity[:10]) || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", len(identity)) {
				t.Errorf("%s: %q, Content-Range %q", tt.name, body, resp.Header.Get("Content-Range"))
			}
		case 200:
			if !bytes.Equal(decode(t, resp.Header.Get("Content-Encoding"), body), identity) {
				t.Errorf("%s: 200 without the whole document", tt.name)
			}
		}
	}
	// A range of a compressed body is not offered: the whole body, in the
	// coding asked for.
	for _, coding := range []string{"gzip", "br"} {
		resp, body := fetch(t, "GET", srv.URL+"/feed.json", map[string]string{"Range": "bytes=0-9", "Accept-Encoding": coding})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != coding || resp.Header.Get("Content-Range") != "" || !bytes.Equal(decode(t, coding, body), identity) {
			t.Errorf("Range with %s accepted: %d, Content-Encoding %q, Content-Range %q", coding, resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Range"))
		}
	}
	// HEAD with a matching tag: 304 as for GET.
	if resp, _ := fetch(t, "HEAD", srv.URL+"/feed.json", map[string]string{"If-None-Match": gz}); resp.StatusCode != 304 {
		t.Errorf("HEAD with If-None-Match: %d, want 304", resp.StatusCode)
	}
}

// TestManyRanges: more than 10 ranges get the whole document, not a
// multipart answer of every range.
func TestManyRanges(t *testing.T) {
	srv := fixtureServer(t)
	_, identity := fetch(t, "GET", srv.URL+"/rss.xml", nil)
	var ranges []string
	for i := range 11 {
		ranges = append(ranges, fmt.Sprintf("%d-%d", i*10, i*10+4))
	}
	resp, body := fetch(t, "GET", srv.URL+"/rss.xml", map[string]string{"Range": "bytes=" + strings.Join(ranges, ",")})
	if resp.StatusCode != 200 || !bytes.Equal(body, identity) {
		t.Errorf("11 ranges: %d %q, want 200 and the whole document", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = fetch(t, "GET", srv.URL+"/rss.xml", map[string]string{"Range": "bytes=" + strings.Join(ranges[:10], ",")})
	if resp.StatusCode != 206 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") {
		t.Errorf("10 ranges: %d %q, want 206 multipart/byteranges", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestCacheKeepsUntouchedFeeds: a change in one category re-renders that
// category's documents only; the others keep their bytes and ETags and are
// served from the cache.
func TestCacheKeepsUntouchedFeeds(t *testing.T) {
	set := feedtest.NewSet()
	s, srv := newTestServer(t, set, server.Options{})
	set.Apply([]*feed.Post{
		parsePost(t, "a.md", "code: A\ntitle: a\ndate: 2024-01-01\ncategory: Sport\nauthor: Ann"),
		parsePost(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-02\ncategory: World\nauthor: Bo"),
	}, nil)
	etag := func(path string) string {
		resp, _ := fetch(t, "GET", srv.URL+path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return resp.Header.Get("ETag")
	}
	untouched := []string{"/category/sport/rss.xml", "/author/ann/atom.xml", "/language/en/category/sport/feed.json"}
	before := map[string]string{}
	for _, p := range untouched {
		before[p] = etag(p)
	}
	world, bo, all := etag("/category/world/rss.xml"), etag("/author/bo/rss.xml"), etag("/rss.xml")
	set.Apply([]*feed.Post{parsePost(t, "b.md", "code: B\ntitle: b edited\ndate: 2024-01-02\ncategory: World\nauthor: Bo")}, nil)
	for _, p := range untouched {
		hits, misses := s.Cache().Hits(), s.Cache().Misses()
		if got := etag(p); got != before[p] {
			t.Errorf("%s's ETag changed from %s to %s after an edit in world", p, before[p], got)
		}
		if s.Cache().Hits() != hits+1 || s.Cache().Misses() != misses {
			t.Errorf("%s was not served from the cache", p)
		}
	}
	if etag("/category/world/rss.xml") == world || etag("/author/bo/rss.xml") == bo || etag("/rss.xml") == all {
		t.Error("the edited post's feeds did not change ETags")
	}
}

// TestCacheBounded: odd limit values cannot grow the cache past its bound,
// and what it drops is made again when asked for.
func TestCacheBounded(t *testing.T) {
	const bound = 256 << 10
	set := feedtest.NewSet()
	s, srv := newTestServer(t, set, server.Options{CacheBytes: bound})
	var posts []*feed.Post
	for i := range 200 {
		posts = append(posts, parsePost(t, fmt.Sprintf("p%d.md", i), fmt.Sprintf("code: P%d\ntitle: post %d\ndate: 2024-01-01\n", i, i)))
	}
	set.Apply(posts, nil)
	for limit := 1; limit <= 200; limit++ {
		if limit == feedtest.Site().Limit {
			continue // the default: /rss.xml?limit=50 redirects to /rss.xml
		}
		if resp, _ := fetch(t, "GET", fmt.Sprintf("%s/rss.xml?limit=%d", srv.URL, limit), nil); resp.StatusCode != 200 {
			t.Fatalf("limit=%d: %d", limit, resp.StatusCode)
		}
		if b := s.Cache().Bytes(); b > bound {
			t.Fatalf("after limit=%d the cache holds %d bytes, bound %d", limit, b, bound)
		}
	}
	if s.Cache().Bytes() == 0 {
		t.Error("the cache holds nothing")
	}
	misses := s.Cache().Misses()
	if resp, _ := fetch(t, "GET", srv.URL+"/rss.xml?limit=2", nil); resp.StatusCode != 200 || s.Cache().Misses() != misses+1 {
		t.Errorf("an early page, long dropped: %d, %d misses more", resp.StatusCode, s.Cache().Misses()-misses)
	}
}

// TestCacheKeepsNoHugePage: a page that would take more than an eighth of
// the cache's bound (and over 1 MiB) is served but never kept, so that
// one-off large pages cannot push out the feeds everyone polls; the
// default page is kept.
func TestCacheKeepsNoHugePage(t *testing.T) {
	const bound = 4 << 20
	set := feedtest.NewSet()
	s, srv := newTestServer(t, set, server.Options{CacheBytes: bound})
	var posts []*feed.Post
	long := strings.Repeat("word ", 500)
	for i := range 200 {
		posts = append(posts, parsePost(t, fmt.Sprintf("p%d.md", i), fmt.Sprintf("code: P%d\ntitle: post %d\ndate: 2024-01-01\ndescription: %s", i, i, long)))
	}
	set.Apply(posts, nil)
	for _, tc := range []struct {
		path string
		kept bool
	}{{"/rss.xml?limit=200", false}, {"/rss.xml", true}} {
		var size int
		misses := s.Cache().Misses()
		for range 2 {
			resp, body := fetch(t, "GET", srv.URL+tc.path, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", tc.path, resp.StatusCode)
			}
			size = len(body)
		}
		if want := map[bool]uint64{true: 1, false: 2}[tc.kept]; s.Cache().Misses()-misses != want {
			t.Errorf("%s (%d bytes), fetched twice: %d misses, want %d", tc.path, size, s.Cache().Misses()-misses, want)
		}
	}
}

// TestLastModifiedAfterRemoval: removing a post moves Last-Modified forward
// though the newest item stays the same, so If-Modified-Since pollers see
// the retraction.
func TestLastModifiedAfterRemoval(t *testing.T) {
	set := feedtest.NewSet()
	_, srv := newTestServer(t, set, server.Options{})
	set.Apply([]*feed.Post{
		parsePost(t, "new.md", "code: NEW\ntitle: new\ndate: 2024-05-01\nauthor: Ann"),
		parsePost(t, "old.md", "code: OLD\ntitle: old\ndate: 2024-01-01\nauthor: Ann"),
	}, nil)
	for _, path := range []string{"/rss.xml", "/author/ann/atom.xml"} {
		resp, _ := fetch(t, "GET", srv.URL+path, nil)
		if lm := resp.Header.Get("Last-Modified"); lm != "Wed, 01 May 2024 00:00:00 GMT" {
			t.Errorf("%s: Last-Modified %s, want the newest post's", path, lm)
		}
	}
	set.Apply(nil, []string{"old.md"})
	for _, path := range []string{"/rss.xml", "/author/ann/atom.xml"} {
		resp, _ := fetch(t, "GET", srv.URL+path, map[string]string{"If-Modified-Since": "Wed, 01 May 2024 00:00:00 GMT"})
		if resp.StatusCode != 200 {
			t.Errorf("%s: after a retraction If-Modified-Since gave %d, want 200", path, resp.StatusCode)
		}
		if got, want := resp.Header.Get("Last-Modified"), feedtest.Now.Format(http.TimeFormat); got != want {
			t.Errorf("%s: Last-Modified %s, want the removal's time %s", path, got, want)
		}
	}
}

// vanishingStore is a body store in which, once armed, the first Get runs
// hook before it reads: the hook edits a post, so the body being read is
// released under the reader.
type vanishingStore struct {
	feed.BodyStore
	armed atomic.Bool
	once  sync.Once
	hook  func()
	fail  atomic.Bool // every Get fails
}

func (s *vanishingStore) Get(id uint64) ([]byte, error) {
	if s.fail.Load() {
		return nil, fmt.Errorf("body %d: the disk is gone", id)
	}
	if s.armed.Load() {
		s.once.Do(s.hook)
	}
	return s.BodyStore.Get(id)
}

// TestBodyGoneRendersCurrent: a post edited while a request renders from
// the snapshot before the edit releases the body being read; the server
// then renders the current snapshot (the edit) instead of failing. A body
// gone from the current snapshot too is a 500, not a retry loop.
func TestBodyGoneRendersCurrent(t *testing.T) {
	files, err := bodies.Open(bodies.Options{Dir: t.TempDir(), Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = files.Close() })
	store := &vanishingStore{BodyStore: files}
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return feedtest.Now }, Logger: feedtest.Quiet, Bodies: store})
	post := func(path, front, md string) *feed.Post {
		p, err := parse.Post(path, []byte("---\n"+front+"\n---\n"+md), time.Time{}, feedtest.ParseOptions())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	set.Apply([]*feed.Post{post("a.md", "code: A\ntitle: Before\ndate: 2024-01-01", "The first body.")}, nil)
	before := set.Current()
	store.hook = func() {
		set.Apply([]*feed.Post{post("a.md", "code: A\ntitle: After\ndate: 2024-01-01", "The edited body.")}, nil)
	}
	s, srv := newTestServer(t, set, server.Options{})
	store.armed.Store(true)
	resp, got := fetch(t, "GET", srv.URL+"/rss.xml", nil)
	if set.Current() == before {
		t.Fatal("the edit did not happen during the request: the test proves nothing")
	}
	if resp.StatusCode != 200 || !strings.Contains(string(got), "The edited body.") || !strings.Contains(string(got), "<title>After</title>") {
		t.Fatalf("GET /rss.xml while its post was edited: %d\n%s", resp.StatusCode, got)
	}
	// What was served is what the cache holds for the current snapshot.
	hits := s.Cache().Hits()
	again, _ := fetch(t, "GET", srv.URL+"/rss.xml", nil)
	if again.Header.Get("ETag") != resp.Header.Get("ETag") || s.Cache().Hits() != hits+1 {
		t.Errorf("the page made from the current snapshot is not the one cached: ETag %s then %s", resp.Header.Get("ETag"), again.Header.Get("ETag"))
	}

	store.fail.Store(true)
	resp, got = fetch(t, "GET", srv.URL+"/atom.xml", nil)
	if resp.StatusCode != 500 || strings.Count(strings.TrimSpace(string(got)), "\n") != 0 || strings.Contains(string(got), "disk") {
		t.Errorf("a body that cannot be read: %d %q, want a one-line 500 that does not leak the error", resp.StatusCode, got)
	}
}
