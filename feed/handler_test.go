package feed_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/mmcdole/gofeed"
)

func TestRoutes(t *testing.T) {
	srv := fixtureServer(t)
	const (
		text = "text/plain; charset=utf-8"
		html = "text/html; charset=utf-8"
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
		{"GET", "/rss.xml?limit=2", 200, rss, "limit=2&amp;page=3"},
		{"GET", "/rss.xml?limit=2&page=3", 200, rss, "T-005"},
		{"GET", "/healthz", 200, text, "ok"},
		{"GET", "/readyz", 200, text, "ready"},
		{"GET", "/", 200, html, `<link rel="alternate" type="application/rss+xml"`},
		{"HEAD", "/rss.xml", 200, rss, ""},
		{"HEAD", "/category/national/feed.json", 200, js, ""},

		{"GET", "/category/sport/rss.xml", 404, text, `no posts in category "sport"`},
		{"GET", "/category/hidden/rss.xml", 404, text, `no posts in category "hidden"`}, // only an unpublished post
		{"GET", "/category/duplicates/rss.xml", 404, text, "no posts"},                  // only a duplicate code
		{"GET", "/language/fr/rss.xml", 404, text, `no posts in language "fr"`},
		{"GET", "/language/zh-hant/category/national/rss.xml", 404, text, `no posts in category "national" in language "zh-hant"`},
		{"GET", "/category/national/rss.json", 404, text, "not found"},
		{"GET", "/category/national/", 404, text, "not found"},
		{"GET", "/nope", 404, text, "not found: /nope"},
		{"GET", "/rss.xml?page=2", 404, text, "page 2 is past the last page (1)"},
		{"GET", "/rss.xml?limit=0", 400, text, "limit must be a whole number from 1 to 500"},
		{"GET", "/rss.xml?limit=501", 400, text, "limit must be a whole number from 1 to 500"},
		{"GET", "/rss.xml?limit=ten", 400, text, `not "ten"`},
		{"GET", "/rss.xml?limit=", 400, text, "limit must be"},
		{"GET", "/rss.xml?limit=-1", 400, text, "limit must be"},
		{"GET", "/rss.xml?limit=1.5", 400, text, "limit must be"},
		{"GET", "/atom.xml?page=0", 400, text, "page must be a whole number"},
		{"GET", "/atom.xml?page=99999999999999999999", 400, text, "page must be a whole number"},
		{"POST", "/rss.xml", 405, text, "method POST not allowed"},
		{"DELETE", "/category/national/atom.xml", 405, text, "not allowed"},
		{"PUT", "/", 405, text, "not allowed"},
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
			if tt.status >= 400 && strings.Count(strings.TrimSpace(string(body)), "\n") != 0 {
				t.Errorf("error body is not one line: %q", body)
			}
			if tt.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q, want \"GET, HEAD\"", resp.Header.Get("Allow"))
			}
		})
	}
}

// TestCanonicalRedirects: a feed asked for by another spelling of its URL
// answers 301 to its canonical URL (the one in its self link), so readers
// and caches settle on one URL per document.
func TestCanonicalRedirects(t *testing.T) {
	srv := fixtureServer(t)
	const base = "https://feeds.example.com"
	tests := map[string]string{
		"/category/NATIONAL/feed.json":                           "/category/national/feed.json",
		"/Category/national/rss.xml":                             "",
		"/language/ZH-HANT/atom.xml":                             "/language/zh-hant/atom.xml",
		"/language/en_us/feed.json":                              "/language/en-us/feed.json",
		"/language/KM/category/Business/rss.xml":                 "/language/km/category/business/rss.xml",
		"/rss.xml?limit=50&page=1":                               "/rss.xml",
		"/rss.xml?page=2&limit=2":                                "/rss.xml?limit=2&page=2",
		"/rss.xml?limit=2&page=3&utm_source=x":                   "/rss.xml?limit=2&page=3",
		"/atom.xml?limit=002":                                    "/atom.xml?limit=2",
		"/category/%e1%9e%87%e1%9e%b6%e1%9e%8f%e1%9e%b7/rss.xml": "", // lower-case percent-encoding names the same path
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
	if len(seen) != len(wantPosts) {
		t.Errorf("paging visited %d items, want %d", len(seen), len(wantPosts))
	}
}

func TestWebSubLinkHeader(t *testing.T) {
	srv := fixtureServer(t)
	resp, _ := fetch(t, "GET", srv.URL+"/category/national/atom.xml?limit=1", nil)
	want := `<https://hub.example.com/>; rel="hub", <https://feeds.example.com/category/national/atom.xml?limit=1>; rel="self"`
	if got := resp.Header.Get("Link"); got != want {
		t.Errorf("Link %q, want %q", got, want)
	}
}

func TestConditionalGet(t *testing.T) {
	srv := fixtureServer(t)
	resp, _ := fetch(t, "GET", srv.URL+"/rss.xml", nil)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") || lm == "" {
		t.Fatalf("ETag %q (want strong), Last-Modified %q", etag, lm)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control %q", cc)
	}
	resp, body := fetch(t, "GET", srv.URL+"/rss.xml", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match with the ETag: %d, want 304 with no body", resp.StatusCode)
	}
	resp, _ = fetch(t, "GET", srv.URL+"/rss.xml", map[string]string{"If-Modified-Since": lm})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since with Last-Modified: %d, want 304", resp.StatusCode)
	}
	resp, _ = fetch(t, "GET", srv.URL+"/rss.xml", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a non-matching If-None-Match must win over If-Modified-Since: %d, want 200", resp.StatusCode)
	}
	other, _ := fetch(t, "GET", srv.URL+"/atom.xml", nil)
	if other.Header.Get("ETag") == etag {
		t.Error("two different documents share an ETag")
	}
}

// TestNotReady: before the first scan is applied, /readyz and the feeds say
// 503, /healthz says 200.
func TestNotReady(t *testing.T) {
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }})
	srv := httptest.NewServer(feed.NewHandler(testSite(), set, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	for path, want := range map[string]int{"/readyz": 503, "/rss.xml": 503, "/": 503, "/healthz": 200} {
		if resp, body := fetch(t, "GET", srv.URL+path, nil); resp.StatusCode != want {
			t.Errorf("%s before the first scan: %d %s, want %d", path, resp.StatusCode, body, want)
		}
	}
	set.Apply(nil, nil)
	for path, want := range map[string]int{"/readyz": 200, "/rss.xml": 200, "/feed.json": 200} {
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

func TestIndexPage(t *testing.T) {
	srv := fixtureServer(t)
	_, body := fetch(t, "GET", srv.URL+"/", nil)
	page := string(body)
	for _, v := range wantViews() {
		for _, f := range feed.Formats {
			if !strings.Contains(page, `href="`+v.key.Path(f)+`"`) {
				t.Errorf("index page has no link to %s", v.key.Path(f))
			}
		}
	}
	for _, want := range []string{"<title>Test Post &amp; Co — feeds</title>", `<td class="n">5</td>`, "2024-03-01", "National News", `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("index page lacks %q", want)
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

// FuzzMatchFeed holds the handler's own feed-route matcher to the router:
// for every clean path, a GET matches a feed route in gorilla/mux exactly
// when it matches in matchFeed, with the same route and variables; an
// unclean path never matches (the router redirects it).
func FuzzMatchFeed(f *testing.F) {
	for _, p := range []string{
		"/rss.xml", "/atom.xml", "/feed.json", "/feed.xml", "/RSS.xml", "/", "", "rss.xml",
		"/category/national/rss.xml", "/category/rss.xml", "/category/rss.xml/rss.xml",
		"/category/a b/atom.xml", "/category/é/feed.json", "/category//rss.xml",
		"/language/km/atom.xml", "/language/km/category/national/feed.json",
		"/language/km/category/feed.json", "/language/km/national/x/feed.json",
		"/category/x/language/km/rss.xml", "/language/km/category/a/b/rss.xml",
		"/language/../rss.xml", "/category/./rss.xml", "/rss.xml/", "/healthz", "/opml.xml",
		"/language/category/category/x/rss.xml", "/language/language/rss.xml",
	} {
		f.Add(p)
	}
	set, _ := loadFixture(f)
	h := feed.NewHandler(testSite(), set, nil)
	f.Fuzz(func(t *testing.T, p string) {
		route, category, language, file, ok := feed.MatchFeed(p)
		if p == "" || p[0] != '/' || path.Clean(p) != p {
			if ok {
				t.Fatalf("%q: matched as %s though the router would redirect or refuse it", p, route)
			}
			return
		}
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Header: http.Header{}}
		muxRoute, vars, muxOK := h.RouterMatch(r)
		muxOK = muxOK && (muxRoute == "feed" || muxRoute == "category" || muxRoute == "language" || muxRoute == "language_category")
		if ok != muxOK {
			t.Fatalf("%q: matchFeed %v (%s), router %v (%s)", p, ok, route, muxOK, muxRoute)
		}
		if ok && (route != muxRoute || category != vars["category"] || language != vars["language"] || file != vars["format"]) {
			t.Fatalf("%q: matchFeed %s %q %q %q, router %s %v", p, route, category, language, file, muxRoute, vars)
		}
	})
}
