package feed_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/feedd/feedd/feed"
)

func decode(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	default:
		return body
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s body does not decode: %v", coding, err)
	}
	return out
}

// rawFetch is fetch without the transport's own gzip handling.
func rawFetch(t *testing.T, method, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	if _, ok := hdr["Accept-Encoding"]; !ok {
		if hdr == nil {
			hdr = map[string]string{}
		}
		hdr["Accept-Encoding"] = "identity"
	}
	return fetch(t, method, url, hdr)
}

func TestCompression(t *testing.T) {
	srv := fixtureServer(t)
	resp, identity := rawFetch(t, "GET", srv.URL+"/rss.xml", nil)
	tag := resp.Header.Get("ETag")
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("identity: Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	tests := []struct{ accept, coding string }{
		{"gzip", "gzip"},
		{"br", "br"},
		{"gzip, br", "br"},         // same weight: br
		{"br;q=0.5, gzip", "gzip"}, // weights decide
		{"gzip;q=0.8, br;q=0.9", "br"},
		{"gzip, br;q=0", "gzip"}, // q=0 refuses
		{"br;q=0, gzip;q=0", ""}, // nothing acceptable: identity
		{"*", "br"},              // any coding
		{"*;q=0.1, gzip;q=0.5", "gzip"},
		{"deflate", ""},          // not offered
		{"GZIP;Q=1.000", "gzip"}, // case-insensitive
		{"gzip;q=2", ""},         // an invalid weight refuses
		{"x-gzip", "gzip"},
	}
	for _, tt := range tests {
		resp, body := rawFetch(t, "GET", srv.URL+"/rss.xml", map[string]string{"Accept-Encoding": tt.accept})
		if got := resp.Header.Get("Content-Encoding"); got != tt.coding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.coding)
			continue
		}
		if !bytes.Equal(decode(t, tt.coding, body), identity) {
			t.Errorf("Accept-Encoding %q: the decoded body differs from the identity body", tt.accept)
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
	get, _ := rawFetch(t, "GET", srv.URL+"/atom.xml", map[string]string{"Accept-Encoding": "br"})
	head, body := rawFetch(t, "HEAD", srv.URL+"/atom.xml", map[string]string{"Accept-Encoding": "br"})
	if head.ContentLength != get.ContentLength || get.ContentLength <= 0 {
		t.Errorf("HEAD Content-Length %d, GET %d", head.ContentLength, get.ContentLength)
	}
	for _, h := range []string{"ETag", "Content-Encoding", "Content-Type", "Last-Modified", "Cache-Control", "Vary"} {
		if head.Header.Get(h) != get.Header.Get(h) || get.Header.Get(h) == "" {
			t.Errorf("HEAD %s %q, GET %q", h, head.Header.Get(h), get.Header.Get(h))
		}
	}
	if len(body) != 0 {
		t.Errorf("HEAD returned %d bytes", len(body))
	}
}

func TestPreconditions(t *testing.T) {
	srv := fixtureServer(t)
	resp, _ := rawFetch(t, "GET", srv.URL+"/feed.json", nil)
	tag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	gz := strings.TrimSuffix(tag, `"`) + `-gzip"`
	tests := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"identity tag", map[string]string{"If-None-Match": tag}, 304},
		{"identity tag, asking for gzip", map[string]string{"If-None-Match": tag, "Accept-Encoding": "gzip"}, 304},
		{"gzip tag, asking for br", map[string]string{"If-None-Match": gz, "Accept-Encoding": "br"}, 304},
		{"a list", map[string]string{"If-None-Match": `"a", ` + gz + `, "b"`}, 304},
		{"weak form", map[string]string{"If-None-Match": "W/" + tag}, 304},
		{"star", map[string]string{"If-None-Match": "*"}, 304},
		{"other tags", map[string]string{"If-None-Match": `"a", "b"`}, 200},
		{"If-Modified-Since", map[string]string{"If-Modified-Since": lm}, 304},
		{"If-Modified-Since earlier", map[string]string{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200},
		{"If-None-Match decides over If-Modified-Since", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm}, 200},
		{"If-None-Match match with an old If-Modified-Since", map[string]string{"If-None-Match": tag, "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 304},
		{"If-Modified-Since not a date", map[string]string{"If-Modified-Since": "yesterday"}, 200},
		{"If-Match its tag", map[string]string{"If-Match": tag}, 200},
		{"If-Match another tag", map[string]string{"If-Match": `"other"`}, 412},
		{"If-Unmodified-Since earlier", map[string]string{"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 412},
		{"If-Match decides before If-None-Match", map[string]string{"If-Match": `"other"`, "If-None-Match": tag}, 412},
		{"Range", map[string]string{"Range": "bytes=0-9"}, 206},
		{"If-Modified-Since decides before a Range", map[string]string{"If-Modified-Since": lm, "Range": "bytes=0-9"}, 304},
		{"Range with a stale If-Range", map[string]string{"Range": "bytes=0-9", "If-Range": `"other"`}, 200},
	}
	for _, tt := range tests {
		resp, body := rawFetch(t, "GET", srv.URL+"/feed.json", tt.hdr)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		if tt.status == 304 && (len(body) != 0 || resp.Header.Get("ETag") == "" || resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Cache-Control") == "") {
			t.Errorf("%s: 304 with %d bytes, ETag %q, Vary %q, Cache-Control %q", tt.name, len(body), resp.Header.Get("ETag"), resp.Header.Get("Vary"), resp.Header.Get("Cache-Control"))
		}
		if tt.status == 304 {
			for _, k := range []string{"Content-Type", "Content-Encoding", "Content-Length", "Last-Modified", "X-Content-Type-Options", "Link"} {
				if v := resp.Header.Get(k); v != "" {
					t.Errorf("%s: 304 with %s: %q (RFC 9110 15.4.5: no other representation metadata)", tt.name, k, v)
				}
			}
		}
	}
}

// cacheServer serves a set the test changes, and its handler.
func cacheServer(t *testing.T, site *feed.Site) (*feed.Set, *feed.Handler, *httptest.Server) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	h := feed.NewHandler(site, set, quiet)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return set, h, srv
}

// TestCacheKeepsUntouchedFeeds: a change in one category re-renders that
// category's documents only; the others keep their bytes and ETags and are
// served from the cache.
func TestCacheKeepsUntouchedFeeds(t *testing.T) {
	set, h, srv := cacheServer(t, testSite())
	set.Apply([]*feed.Post{
		mustParse(t, "a.md", "code: A\ntitle: a\ndate: 2024-01-01\ncategory: Sport"),
		mustParse(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-02\ncategory: World"),
	}, nil)
	etag := func(path string) string {
		resp, _ := rawFetch(t, "GET", srv.URL+path, nil)
		return resp.Header.Get("ETag")
	}
	sport, world, all := etag("/category/sport/rss.xml"), etag("/category/world/rss.xml"), etag("/rss.xml")
	before := h.Cache().Stats()
	set.Apply([]*feed.Post{mustParse(t, "b.md", "code: B\ntitle: b edited\ndate: 2024-01-02\ncategory: World")}, nil)
	if got := etag("/category/sport/rss.xml"); got != sport {
		t.Errorf("sport's ETag changed from %s to %s after an edit in world", sport, got)
	}
	if after := h.Cache().Stats(); after.Hits != before.Hits+1 || after.Misses != before.Misses {
		t.Errorf("sport was not served from the cache: %+v then %+v", before, after)
	}
	if etag("/category/world/rss.xml") == world || etag("/rss.xml") == all {
		t.Error("the edited category's and the main feed's ETags did not change")
	}
}

// TestCacheBounded: odd limit and page values cannot grow the cache past its
// bound.
func TestCacheBounded(t *testing.T) {
	site := testSite()
	site.CacheBytes = 64 << 10
	set, h, srv := cacheServer(t, site)
	var posts []*feed.Post
	for i := range 200 {
		posts = append(posts, mustParse(t, fmt.Sprintf("p%d.md", i), fmt.Sprintf("code: P%d\ntitle: post %d\ndate: 2024-01-01\n", i, i)))
	}
	set.Apply(posts, nil)
	for limit := 1; limit <= 200; limit++ {
		if limit == site.Limit {
			continue // the default: /rss.xml?limit=50 redirects to /rss.xml
		}
		if resp, _ := rawFetch(t, "GET", fmt.Sprintf("%s/rss.xml?limit=%d", srv.URL, limit), nil); resp.StatusCode != 200 {
			t.Fatalf("limit=%d: %d", limit, resp.StatusCode)
		}
	}
	st := h.Cache().Stats()
	if st.Bytes > site.CacheBytes || st.Entries == 0 || st.Entries >= 200 {
		t.Errorf("cache holds %d entries in %d bytes, bound %d", st.Entries, st.Bytes, site.CacheBytes)
	}
}

// TestCacheByPath: the documents served by their plain URL (no query:
// nearly every poll) are found by path, are the current ones after every
// change, and leave memory when the cache drops them.
func TestCacheByPath(t *testing.T) {
	site := testSite()
	site.CacheBytes = 256 << 10 // the three documents below, not all of the limits
	set, h, srv := cacheServer(t, site)
	var posts []*feed.Post
	for i := range 200 {
		posts = append(posts, mustParse(t, fmt.Sprintf("p%d.md", i), fmt.Sprintf("code: P%d\ntitle: post %d\ndate: 2024-01-01\ncategory: Sport\n", i, i)))
	}
	set.Apply(posts, nil)
	get := func(path string) (string, string) {
		resp, body := rawFetch(t, "GET", srv.URL+path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return resp.Header.Get("ETag"), string(body)
	}
	for _, path := range []string{"/rss.xml", "/atom.xml", "/category/sport/feed.json"} {
		first, _ := get(path)
		if again, _ := get(path); again != first {
			t.Errorf("%s: ETag %s then %s with nothing changed", path, first, again)
		}
	}
	if n, held := h.Cache().PathDocs(); n != 3 || !held {
		t.Errorf("%d documents by path (want 3), all held by the cache: %v", n, held)
	}
	before, _ := get("/rss.xml")
	set.Apply([]*feed.Post{mustParse(t, "p0.md", "code: P0\ntitle: post 0 edited\ndate: 2024-01-02\ncategory: Sport\n")}, nil)
	if after, body := get("/rss.xml"); after == before || !strings.Contains(body, "post 0 edited") {
		t.Errorf("after an edit /rss.xml has ETag %s (was %s) and the edit: %v", after, before, strings.Contains(body, "post 0 edited"))
	}
	// Other documents push the plain ones out of the bounded cache.
	for limit := 1; limit <= 200; limit++ {
		if limit != site.Limit {
			get(fmt.Sprintf("/rss.xml?limit=%d", limit))
		}
	}
	if _, held := h.Cache().PathDocs(); !held {
		t.Error("a document the cache dropped is still held to be served by path")
	}
	if _, body := get("/rss.xml"); !strings.Contains(body, "post 0 edited") {
		t.Error("/rss.xml lost the edit after the cache dropped it")
	}
}

// TestLastModifiedAfterRemoval: removing a post moves Last-Modified forward
// though the newest item stays the same, so If-Modified-Since pollers see
// the retraction.
func TestLastModifiedAfterRemoval(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return now }, Logger: quiet})
	srv := httptest.NewServer(feed.NewHandler(testSite(), set, quiet))
	defer srv.Close()
	set.Apply([]*feed.Post{
		mustParse(t, "new.md", "code: NEW\ntitle: new\ndate: 2024-05-01"),
		mustParse(t, "old.md", "code: OLD\ntitle: old\ndate: 2024-01-01"),
	}, nil)
	resp, _ := rawFetch(t, "GET", srv.URL+"/rss.xml", nil)
	lm := resp.Header.Get("Last-Modified")
	set.Apply(nil, []string{"old.md"})
	resp, _ = rawFetch(t, "GET", srv.URL+"/rss.xml", map[string]string{"If-Modified-Since": lm})
	if resp.StatusCode != 200 {
		t.Fatalf("after a retraction If-Modified-Since %s gave %d, want 200", lm, resp.StatusCode)
	}
	if got := resp.Header.Get("Last-Modified"); got != now.Format(http.TimeFormat) {
		t.Errorf("Last-Modified %s, want the removal's time %s", got, now.Format(http.TimeFormat))
	}
}
