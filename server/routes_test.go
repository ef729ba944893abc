package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/server"
	"github.com/mmcdole/gofeed"
)

func TestRoutes(t *testing.T) {
	srv := fixtureServer(t)
	const (
		text = "text/plain; charset=utf-8"
		html = "text/html; charset=utf-8"
		opml = "text/x-opml; charset=utf-8"
		rss  = "application/rss+xml; charset=utf-8"
		atom = "application/atom+xml; charset=utf-8"
		js   = "application/feed+json; charset=utf-8"
	)
	tests := []struct {
		method, path string
		status       int
		ctype        string
		body         string // a part of the body
	}{
		{"GET", "/rss.xml", 200, rss, "<rss"},
		{"GET", "/atom.xml", 200, atom, "<feed"},
		{"GET", "/feed.json", 200, js, `"version":"https://jsonfeed.org/version/1.1"`},
		{"GET", "/category/national/rss.xml", 200, rss, "National News"},
		{"GET", "/category/real-estate/atom.xml", 200, atom, "Real Estate"},
		{"GET", "/category/%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7/rss.xml", 200, rss, "ជាតិ"}, // percent-encoded Khmer
		{"GET", "/category/ជាតិ/rss.xml", 200, rss, "ជាតិ"},
		{"GET", "/language/km/rss.xml", 200, rss, "<language>km</language>"},
		{"GET", "/language/zh-hant/atom.xml", 200, atom, `xml:lang="zh-Hant"`},
		{"GET", "/language/en-us/feed.json", 200, js, `"language":"en-US"`},
		{"GET", "/language/km/category/business/rss.xml", 200, rss, "Business (ខ្មែរ)"},
		{"GET", "/language/en/category/national/atom.xml", 200, atom, "T-001"},
		{"GET", "/author/ann-writer/rss.xml", 200, rss, "Test Post &#x26; Co — Ann Writer"},
		{"GET", "/author/bopha/atom.xml", 200, atom, "tag:feeds.example.com,2020-05-17:T-002"},
		{"GET", "/author/dara/feed.json", 200, js, `"feed_url":"https://feeds.example.com/author/dara/feed.json"`},
		{"GET", "/language/km/author/dara/feed.json", 200, js, "Dara (ខ្មែរ)"},
		{"GET", "/language/en/author/ann-writer/rss.xml", 200, rss, "Ann Writer (en)"},
		{"GET", "/rss.xml?limit=2", 200, rss, "limit=2&amp;page=3"},
		{"GET", "/rss.xml?limit=2&page=3", 200, rss, "T-005"},
		{"GET", "/healthz", 200, text, "ok"},
		{"GET", "/readyz", 200, text, "ready"},
		{"GET", "/", 200, html, `<link rel="alternate" type="application/rss+xml"`},
		{"GET", "/opml.xml", 200, opml, `<opml version="2.0">`},
		{"HEAD", "/rss.xml", 200, rss, ""},
		{"HEAD", "/category/national/feed.json", 200, js, ""},
		{"HEAD", "/author/bopha/atom.xml", 200, atom, ""},
		{"HEAD", "/", 200, html, ""},

		{"GET", "/category/sport/rss.xml", 404, text, `no posts in category "sport"`},
		{"GET", "/category/hidden/rss.xml", 404, text, `no posts in category "hidden"`}, // only an unpublished post
		{"GET", "/category/duplicates/rss.xml", 404, text, "no posts"},                  // only a duplicate code
		{"GET", "/language/fr/rss.xml", 404, text, `no posts in language "fr"`},
		{"GET", "/language/zh-hant/category/national/rss.xml", 404, text, `no posts in language "zh-hant" and category "national"`},
		{"GET", "/language/zh-hant/category/sport/rss.xml", 404, text, `no posts in category "sport"`},
		{"GET", "/author/nobody/rss.xml", 404, text, `no posts in author "nobody"`},
		{"GET", "/language/km/author/ann-writer/atom.xml", 404, text, `no posts in language "km" and author "ann-writer"`},
		{"GET", "/language/de/author/dara/atom.xml", 404, text, `no posts in language "de"`},
		{"GET", "/category/national/rss.json", 404, text, "not found"},
		{"GET", "/category/national/", 404, text, "not found"},
		{"GET", "/author/rss.xml", 404, text, "not found"},
		{"GET", "/nope", 404, text, "not found: /nope"},
		{"GET", "/rss.xml?page=2", 404, text, "page 2 is past the last page (1)"},
		{"GET", "/author/bopha/rss.xml?page=2", 404, text, "page 2 is past the last page (1)"},
		{"GET", "/rss.xml?limit=0", 400, text, "limit must be a whole number from 1 to 500"},
		{"GET", "/rss.xml?limit=501", 400, text, "limit must be a whole number from 1 to 500"},
		{"GET", "/rss.xml?limit=ten", 400, text, `not "ten"`},
		{"GET", "/rss.xml?limit=", 400, text, "limit must be"},
		{"GET", "/rss.xml?limit=-1", 400, text, "limit must be"},
		{"GET", "/rss.xml?limit=+5", 400, text, "limit must be"},
		{"GET", "/rss.xml?limit=1.5", 400, text, "limit must be"},
		{"GET", "/atom.xml?page=0", 400, text, "page must be a whole number"},
		{"GET", "/atom.xml?page=99999999999999999999", 400, text, "page must be a whole number"},
		{"GET", "/rss.xml?limit=%zz", 400, text, "the query cannot be decoded"},
		{"GET", "/rss.xml?limit=5%", 400, text, "the query cannot be decoded"},
		{"GET", "/rss.xml?limit=5;x", 400, text, "the query cannot be decoded"},
		{"GET", "/author/dara/feed.json?page=%zz", 400, text, "the query cannot be decoded"},
		{"POST", "/rss.xml", 405, text, "method POST not allowed"},
		{"DELETE", "/category/national/atom.xml", 405, text, "not allowed"},
		{"PUT", "/author/dara/feed.json", 405, text, "not allowed"},
		{"PATCH", "/language/km/author/dara/rss.xml", 405, text, "not allowed"},
		{"PUT", "/", 405, text, "not allowed"},
		{"POST", "/opml.xml", 405, text, "not allowed"},
		{"POST", "/healthz", 405, text, "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := fetch(t, tt.method, srv.URL+tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if !strings.Contains(string(body), tt.body) {
				t.Errorf("body does not contain %q:\n%.400s", tt.body, body)
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD returned a body of %d bytes", len(body))
			}
			if tt.status >= 400 {
				if strings.Count(strings.TrimSpace(string(body)), "\n") != 0 {
					t.Errorf("error body is not one line: %q", body)
				}
				if resp.Header.Get("ETag") != "" || resp.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("an error with ETag %q, Cache-Control %q", resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
				}
			}
			if tt.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q, want \"GET, HEAD\"", resp.Header.Get("Allow"))
			}
		})
	}
}

// TestEveryFeedServed: every format of every feed of the fixture is
// served at its URL with its content type and the bytes render gives.
func TestEveryFeedServed(t *testing.T) {
	set, _ := feedtest.Load(t, "posts")
	_, srv := newTestServer(t, set, server.Options{})
	site := feedtest.Site()
	snap := set.Current()
	for _, want := range feedtest.Views() {
		v, ok := snap.View(want.Key)
		if !ok {
			t.Fatalf("no feed %s", want.Key.Dir())
		}
		for _, f := range render.Formats {
			d, _ := site.Document(snap, v, f, 1, site.Limit)
			var b strings.Builder
			if err := d.Render(&b); err != nil {
				t.Fatal(err)
			}
			u := strings.TrimPrefix(d.SelfURL(), site.BaseURL)
			resp, body := fetch(t, "GET", srv.URL+u, nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != f.ContentType || string(body) != b.String() {
				t.Errorf("GET %s: %d %q, %d bytes, want the %d bytes render gives", u, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), b.Len())
			}
		}
	}
}

// TestCanonicalRedirects: a feed asked for by another spelling of its URL
// answers 301 to its canonical URL (the one in its self link), and the
// index page and the OPML list asked for with a query to theirs, so
// readers and caches settle on one URL per document.
func TestCanonicalRedirects(t *testing.T) {
	srv := fixtureServer(t)
	const base = "https://feeds.example.com"
	tests := map[string]string{
		"/category/NATIONAL/feed.json":                           "/category/national/feed.json",
		"/Category/national/rss.xml":                             "", // the route's own words are not a spelling
		"/language/ZH-HANT/atom.xml":                             "/language/zh-hant/atom.xml",
		"/language/en_us/feed.json":                              "/language/en-us/feed.json",
		"/language/zh_Hant/category/World/rss.xml":               "/language/zh-hant/category/world/rss.xml",
		"/language/KM/category/Business/rss.xml":                 "/language/km/category/business/rss.xml",
		"/author/Ann-Writer/atom.xml":                            "/author/ann-writer/atom.xml",
		"/language/KM/author/DARA/feed.json":                     "/language/km/author/dara/feed.json",
		"/language/en_US/category/national/rss.xml?limit=1":      "/language/en-us/category/national/rss.xml?limit=1",
		"/rss.xml?limit=50":                                      "/rss.xml",
		"/rss.xml?page=1":                                        "/rss.xml",
		"/rss.xml?limit=50&page=1":                               "/rss.xml",
		"/rss.xml?page=2&limit=2":                                "/rss.xml?limit=2&page=2",
		"/rss.xml?limit=2&page=3&utm_source=x":                   "/rss.xml?limit=2&page=3",
		"/feed.json?utm_source=x":                                "/feed.json",
		"/author/dara/atom.xml?fbclid=1&page=1":                  "/author/dara/atom.xml",
		"/atom.xml?limit=002":                                    "/atom.xml?limit=2",
		"/category/%e1%9e%87%e1%9e%b6%e1%9e%8f%e1%9e%b7/rss.xml": "", // lower-case percent-encoding names the same path
		"/?utm_source=x":                                         "/",
		"/?":                                                     "/",
		"/opml.xml?limit=2":                                      "/opml.xml",
	}
	for from, to := range tests {
		resp, body := fetch(t, "GET", srv.URL+from, nil)
		if to == "" {
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want it served or not found, not redirected", from, resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != base+to {
			t.Errorf("GET %s: %d to %q, want 301 to %s%s (%s)", from, resp.StatusCode, resp.Header.Get("Location"), base, to, body)
		}
		if cc := resp.Header.Get("Cache-Control"); resp.StatusCode == http.StatusMovedPermanently && cc != "public, max-age=300" {
			t.Errorf("GET %s: a permanent redirect with Cache-Control %q", from, cc)
		}
	}
	if resp, _ := fetch(t, "HEAD", srv.URL+"/category/NATIONAL/rss.xml", nil); resp.StatusCode != http.StatusMovedPermanently {
		t.Errorf("HEAD of a non-canonical URL: %d, want 301", resp.StatusCode)
	}
	if resp, _ := fetch(t, "GET", srv.URL+"/category/NATIONAL/rss.xml?limit=x", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad limit is a 400 before any redirect: %d", resp.StatusCode)
	}
}

// TestSelfLinksAndPaging: every format names its own canonical URL, and
// the RFC 5005 links of a middle page lead to its neighbours.
func TestSelfLinksAndPaging(t *testing.T) {
	srv := fixtureServer(t)
	const base = "https://feeds.example.com"
	_, body := fetch(t, "GET", srv.URL+"/category/national/feed.json?limit=1&page=2", nil)
	var jf struct {
		FeedURL string `json:"feed_url"`
		NextURL string `json:"next_url"`
		Items   []any  `json:"items"`
	}
	if err := json.Unmarshal(body, &jf); err != nil {
		t.Fatal(err)
	}
	if jf.FeedURL != base+"/category/national/feed.json?limit=1&page=2" || jf.NextURL != "" || len(jf.Items) != 1 {
		t.Errorf("feed_url %q, next_url %q (want none on the last page), %d items", jf.FeedURL, jf.NextURL, len(jf.Items))
	}
	_, body = fetch(t, "GET", srv.URL+"/feed.json?limit=2", nil)
	if err := json.Unmarshal(body, &jf); err != nil {
		t.Fatal(err)
	}
	if jf.NextURL != base+"/feed.json?limit=2&page=2" {
		t.Errorf("next_url of the first page %q", jf.NextURL)
	}

	_, body = fetch(t, "GET", srv.URL+"/atom.xml?limit=2&page=2", nil)
	for _, want := range []string{
		`href="` + base + `/atom.xml?limit=2&amp;page=2" rel="self"`,
		`href="` + base + `/atom.xml?limit=2" rel="first"`,
		`href="` + base + `/atom.xml?limit=2" rel="previous"`,
		`href="` + base + `/atom.xml?limit=2&amp;page=3" rel="next"`,
		`href="` + base + `/atom.xml?limit=2&amp;page=3" rel="last"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("Atom page 2 lacks %s", want)
		}
	}
	_, body = fetch(t, "GET", srv.URL+"/author/bopha/rss.xml", nil)
	if !strings.Contains(string(body), `<atom:link href="`+base+`/author/bopha/rss.xml" rel="self"`) {
		t.Error("an author feed's RSS lacks its self link")
	}
	// Walking next links from page 1 visits every item once.
	seen := map[string]bool{}
	next := "/rss.xml?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("next links do not end")
		}
		_, body := fetch(t, "GET", srv.URL+next, nil)
		parsed, err := gofeed.NewParser().ParseString(string(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range parsed.Items {
			if seen[it.GUID] {
				t.Errorf("item %s on two pages", it.GUID)
			}
			seen[it.GUID] = true
		}
		next = ""
		if i := strings.Index(string(body), `rel="next"`); i >= 0 {
			start := strings.LastIndex(string(body[:i]), `href="`) + len(`href="`+base)
			next = strings.ReplaceAll(string(body[start:i-2]), "&amp;", "&")
		}
	}
	if len(seen) != len(feedtest.Posts) {
		t.Errorf("paging visited %d items, want %d", len(seen), len(feedtest.Posts))
	}
}

func TestWebSubLinkHeader(t *testing.T) {
	srv := fixtureServer(t)
	resp, _ := fetch(t, "GET", srv.URL+"/category/national/atom.xml?limit=1", nil)
	want := `<https://hub.example.com/>; rel="hub", <https://feeds.example.com/category/national/atom.xml?limit=1>; rel="self"`
	if got := resp.Header.Get("Link"); got != want {
		t.Errorf("Link %q, want %q", got, want)
	}
	// Without hubs, no Link header.
	set, _ := feedtest.Load(t, "posts")
	site := feedtest.Site()
	site.Hubs = nil
	_, plain := newTestServer(t, set, server.Options{Site: site})
	if resp, _ := fetch(t, "GET", plain.URL+"/rss.xml", nil); resp.Header.Get("Link") != "" {
		t.Errorf("Link %q without hubs", resp.Header.Get("Link"))
	}
}

// TestNotReady: before the first scan is applied, /readyz, the feeds and
// the pages say 503 with Retry-After; /healthz says 200.
func TestNotReady(t *testing.T) {
	set := feedtest.NewSet()
	_, srv := newTestServer(t, set, server.Options{})
	for path, want := range map[string]int{"/readyz": 503, "/rss.xml": 503, "/author/x/atom.xml": 503, "/": 503, "/opml.xml": 503, "/healthz": 200} {
		resp, body := fetch(t, "GET", srv.URL+path, nil)
		if resp.StatusCode != want {
			t.Errorf("%s before the first scan: %d %s, want %d", path, resp.StatusCode, body, want)
		}
		if want == 503 && (resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "not ready")) {
			t.Errorf("%s: 503 with Retry-After %q and %q", path, resp.Header.Get("Retry-After"), body)
		}
	}
	set.Apply(nil, nil)
	for path, want := range map[string]int{"/readyz": 200, "/rss.xml": 200, "/feed.json": 200, "/": 200, "/opml.xml": 200} {
		if resp, body := fetch(t, "GET", srv.URL+path, nil); resp.StatusCode != want {
			t.Errorf("%s after an empty scan: %d %s, want %d", path, resp.StatusCode, body, want)
		}
	}
	// An empty feed still has "items" (JSON Feed requires it) and valid dates.
	_, body := fetch(t, "GET", srv.URL+"/feed.json", nil)
	if !strings.Contains(string(body), `"items":[]`) {
		t.Errorf("empty JSON Feed without items: %s", body)
	}
	_, body = fetch(t, "GET", srv.URL+"/atom.xml", nil)
	if !strings.Contains(string(body), "<updated>1970-01-01T00:00:00Z</updated>") {
		t.Errorf("empty Atom feed should have a fixed updated time: %s", body)
	}
}

// TestStopping: once the process begins to shut down, /readyz answers 503
// (a load balancer stops sending), and the feeds are still served.
func TestStopping(t *testing.T) {
	set, _ := feedtest.Load(t, "posts")
	s, srv := newTestServer(t, set, server.Options{})
	s.Stopping()
	if resp, body := fetch(t, "GET", srv.URL+"/readyz", nil); resp.StatusCode != 503 || !strings.Contains(string(body), "shutting down") {
		t.Errorf("/readyz while stopping: %d %s, want 503", resp.StatusCode, body)
	}
	if resp, body := fetch(t, "GET", srv.URL+"/rss.xml", nil); resp.StatusCode != 200 {
		t.Errorf("/rss.xml while stopping: %d %s, want 200", resp.StatusCode, body)
	}
}

// TestTransferEncodingRefused: a request with Transfer-Encoding (feedd
// takes no bodies; beside a Content-Length it is request smuggling) is a
// 400, and its connection is closed: what follows it on the connection is
// never served as a request.
func TestTransferEncodingRefused(t *testing.T) {
	set, _ := feedtest.Load(t, "posts")
	_, srv := newTestServer(t, set, server.Options{})
	for _, hdr := range []string{"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding: chunked\r\n"} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /rss.xml HTTP/1.1\r\nHost: x\r\n"+hdr+"\r\n0\r\n\r\nGET /atom.xml HTTP/1.1\r\nHost: x\r\n\r\n")
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		out, err := io.ReadAll(conn)
		if err != nil {
			t.Fatalf("%q: the connection was not closed: %v", hdr, err)
		}
		if !strings.HasPrefix(string(out), "HTTP/1.1 400 ") || strings.Count(string(out), "HTTP/1.1 ") != 1 {
			t.Errorf("%q: got %q, want one 400 and the connection closed", hdr, out)
		}
	}
}

// TestPagesServed: the index page and the OPML list are served with their
// types and ETags, conditional GETs work on them, a second request is a
// cache hit, and a change of the posts makes them again.
func TestPagesServed(t *testing.T) {
	set, _ := feedtest.Load(t, "posts")
	s, srv := newTestServer(t, set, server.Options{})
	pages := []struct{ path, ctype, part, added string }{
		{"/", "text/html; charset=utf-8", `<a href="https://feeds.example.com/language/km/author/dara/feed.json">JSON Feed</a>`, `<a href="https://feeds.example.com/category/sport/rss.xml">`},
		{"/opml.xml", "text/x-opml; charset=utf-8", `xmlUrl="https://feeds.example.com/author/bopha/rss.xml"`, `xmlUrl="https://feeds.example.com/category/sport/rss.xml"`},
	}
	etags := map[string]string{}
	for _, p := range pages {
		resp, body := fetch(t, "GET", srv.URL+p.path, nil)
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != p.ctype || etag == "" || !strings.Contains(string(body), p.part) {
			t.Fatalf("GET %s: %d %q ETag %q, holds %q: %v", p.path, resp.StatusCode, resp.Header.Get("Content-Type"), etag, p.part, strings.Contains(string(body), p.part))
		}
		etags[p.path] = etag
		hits, misses := s.Cache().Hits(), s.Cache().Misses()
		again, body2 := fetch(t, "GET", srv.URL+p.path, nil)
		if again.Header.Get("ETag") != etag || string(body2) != string(body) {
			t.Errorf("GET %s twice: ETag %s then %s", p.path, etag, again.Header.Get("ETag"))
		}
		if s.Cache().Hits() != hits+1 || s.Cache().Misses() != misses {
			t.Errorf("GET %s again: %d hits and %d misses more, want one hit", p.path, s.Cache().Hits()-hits, s.Cache().Misses()-misses)
		}
		if resp, _ := fetch(t, "GET", srv.URL+p.path, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", p.path, resp.StatusCode)
		}
		if resp, body := fetch(t, "GET", srv.URL+p.path, map[string]string{"Accept-Encoding": "br"}); resp.Header.Get("Content-Encoding") != "br" || string(decode(t, "br", body)) != string(body2) {
			t.Errorf("GET %s in br: Content-Encoding %q, or not the same page", p.path, resp.Header.Get("Content-Encoding"))
		}
	}
	set.Apply([]*feed.Post{parsePost(t, "new.md", "code: NEW\ntitle: New\ndate: 2024-05-01\ncategory: Sport")}, nil)
	for _, p := range pages {
		resp, body := fetch(t, "GET", srv.URL+p.path, nil)
		if resp.Header.Get("ETag") == etags[p.path] || !strings.Contains(string(body), p.added) {
			t.Errorf("GET %s after a new post: ETag %s (was %s), lists the new feed: %v", p.path, resp.Header.Get("ETag"), etags[p.path], strings.Contains(string(body), p.added))
		}
	}
}

// TestUncleanPaths: paths with dot segments or doubled slashes are
// redirected to their clean form by the router, feeds included.
func TestUncleanPaths(t *testing.T) {
	srv := fixtureServer(t)
	for path, want := range map[string]string{
		"/language/../rss.xml":          "/rss.xml",
		"/category/national/./atom.xml": "/category/national/atom.xml",
		"/category//atom.xml":           "/category/atom.xml",
		"/author/dara/../bopha/rss.xml": "/author/bopha/rss.xml",
	} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.URL.Opaque = path // sent as it is, not cleaned by the client
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Errorf("%s: %d to %q, want 301 to %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

// observed records what Options.Observe is told, in order.
type observed chan string

func (o observed) observe(route string, status int, took time.Duration) {
	if took < 0 {
		route += " (negative time)"
	}
	o <- fmt.Sprintf("%s %d", route, status)
}

// next waits for the next observation: a response can reach the client
// before its handler returns.
func (o observed) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-o:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no request observed in 10 s")
		return ""
	}
}

// TestObserve: each request is observed once, named by the route it
// matched (the kind of feed, or the page), "unmatched" outside any route,
// with its status: what the request metrics are made of.
func TestObserve(t *testing.T) {
	set, _ := feedtest.Load(t, "posts")
	o := make(observed, 100)
	_, srv := newTestServer(t, set, server.Options{Observe: o.observe})
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/rss.xml", "feed 200"},
		{"GET", "/category/national/atom.xml", "category 200"},
		{"GET", "/language/km/feed.json", "language 200"},
		{"GET", "/language/km/category/business/rss.xml", "language_category 200"},
		{"GET", "/author/dara/rss.xml", "author 200"},
		{"GET", "/language/km/author/dara/rss.xml", "language_author 200"},
		{"GET", "/category/sport/rss.xml", "category 404"},
		{"GET", "/rss.xml?limit=0", "feed 400"},
		{"GET", "/category/NATIONAL/rss.xml", "category 301"},
		{"GET", "/", "index 200"},
		{"GET", "/opml.xml", "opml 200"},
		{"GET", "/healthz", "healthz 200"},
		{"GET", "/readyz", "readyz 200"},
		{"GET", "/nope", "unmatched 404"},
		{"POST", "/rss.xml", "unmatched 405"},
	} {
		fetch(t, tt.method, srv.URL+tt.path, nil)
		if got := o.next(t); got != tt.want {
			t.Errorf("%s %s observed as %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
	select {
	case s := <-o:
		t.Errorf("one more observation: %q", s)
	default:
	}
}

// TestPanicIs500: a panic while serving a request is a logged 500 with a
// one-line message, observed as such, and the server goes on serving; a
// handler that aborts (http.ErrAbortHandler) drops the connection
// instead.
func TestPanicIs500(t *testing.T) {
	set, _ := feedtest.Load(t, "posts")
	o := make(observed, 100)
	var abort atomic.Bool
	metrics := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if abort.Load() {
			panic(http.ErrAbortHandler)
		}
		panic("a bug")
	})
	_, srv := newTestServer(t, set, server.Options{Metrics: metrics, Observe: o.observe})
	resp, body := fetch(t, "GET", srv.URL+"/metrics", nil)
	if resp.StatusCode != 500 || strings.TrimSpace(string(body)) != "internal error" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("a panic gave %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if got := o.next(t); got != "metrics 500" {
		t.Errorf("the panic observed as %q", got)
	}
	if resp, _ := fetch(t, "GET", srv.URL+"/rss.xml", nil); resp.StatusCode != 200 {
		t.Errorf("after a panic /rss.xml answers %d", resp.StatusCode)
	}
	abort.Store(true)
	if resp, err := client.Get(srv.URL + "/metrics"); err == nil {
		resp.Body.Close()
		t.Errorf("an aborted handler answered %d, want the connection dropped", resp.StatusCode)
	}
}

// TestCORS: documents carry Access-Control-Allow-Origin: * so that web
// readers can fetch them from browsers, whatever the request (a 304 too);
// with CORS off, none does.
func TestCORS(t *testing.T) {
	srv := fixtureServer(t)
	for _, path := range []string{"/rss.xml", "/author/dara/feed.json", "/opml.xml"} {
		resp, _ := fetch(t, "GET", srv.URL+path, nil)
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: Access-Control-Allow-Origin %q", path, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		resp, _ = fetch(t, "GET", srv.URL+path, map[string]string{"If-None-Match": resp.Header.Get("ETag")})
		if resp.StatusCode != http.StatusNotModified || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d, Access-Control-Allow-Origin %q on a 304", path, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	// Redirects and errors too: a reader in a browser follows a redirect,
	// or sees an error's status, only when it carries the header.
	for _, tt := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/rss.xml?utm_source=x", http.StatusMovedPermanently},
		{"GET", "/category/National/rss.xml", http.StatusMovedPermanently},
		{"GET", "/category/nope/rss.xml", http.StatusNotFound},
		{"GET", "/rss.xml?page=99", http.StatusNotFound},
		{"GET", "/rss.xml?limit=x", http.StatusBadRequest},
		{"POST", "/rss.xml", http.StatusMethodNotAllowed},
		{"OPTIONS", "/rss.xml", http.StatusNoContent},
	} {
		resp, _ := fetch(t, tt.method, srv.URL+tt.path, map[string]string{"Origin": "https://reader.example", "Access-Control-Request-Method": "GET"})
		if resp.StatusCode != tt.code || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s %s: %d, Access-Control-Allow-Origin %q; want %d and *", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tt.code)
		}
		if tt.method == "OPTIONS" && (resp.Header.Get("Access-Control-Allow-Methods") != "GET, HEAD" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "If-None-Match")) {
			t.Errorf("a preflight: %v", resp.Header)
		}
	}
	set, _ := feedtest.Load(t, "posts")
	_, off := newTestServer(t, set, server.Options{})
	if resp, _ := fetch(t, "GET", off.URL+"/rss.xml", nil); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("with CORS off: Access-Control-Allow-Origin %q", resp.Header.Get("Access-Control-Allow-Origin"))
	}
}
