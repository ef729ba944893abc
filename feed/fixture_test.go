package feed_test

import (
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/watcher"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixedNow is the clock of the fixture: after every fixture post but
// future.md, which is dated 2030.
var fixedNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func testSite() *feed.Site {
	return &feed.Site{
		Title:         "Test Post & Co",
		Description:   "Fixture feeds <for> tests",
		BaseURL:       "https://feeds.example.com",
		Link:          "https://www.example.com",
		Language:      "en",
		Author:        "Fixture Staff",
		Icon:          "https://feeds.example.com/icon.png",
		CategoryNames: map[string]string{"national": "National News"},
		LanguageNames: map[string]string{"km": "ខ្មែរ"},
		Limit:         50,
		MaxLimit:      500,
		MaxAge:        300 * time.Second,
		Hubs:          []string{"https://hub.example.com/"},
	}
}

func testParseOptions() feed.ParseOptions {
	base, _ := url.Parse("https://feeds.example.com")
	return feed.ParseOptions{BaseURL: base, Location: time.UTC, Language: "en"}
}

// loadFixture reads testdata/posts into a Set whose clock is fixedNow.
func loadFixture(t testing.TB) (*feed.Set, *watcher.Result) {
	t.Helper()
	res, err := watcher.Scan("testdata/posts", testParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	set.Apply(res.Posts, nil)
	return set, res
}

// fixtureServer serves the fixture over a real loopback HTTP server.
func fixtureServer(t testing.TB) *httptest.Server {
	t.Helper()
	set, _ := loadFixture(t)
	srv := httptest.NewServer(feed.NewHandler(testSite(), set, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv
}

// client never follows redirects: the fixture's base URL is not on this
// machine, and tests check Location themselves.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t testing.TB, method, u string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// wantPost is what a fixture post must look like in every feed, written out
// by hand from testdata/posts.
type wantPost struct {
	id, title, link string
	date            time.Time
	categories      []string // slugs
	names           []string // categories then tags, as items carry them
	lang            string   // canonical tag
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// wantPosts are the published fixture posts, newest first; T-001 and T-002
// share a date and are ordered by id. Left out: future.md (2030), draft.md,
// unpublished.md, bad.md (no date), z/dup.md (T-001 again), .hidden.md,
// a.md~ and notes.txt.
var wantPosts = []wantPost{
	{"T-001", `Rates & <rules> "change"`, "https://www.example.com/national/a-and-b", utc("2024-03-01T10:00:00Z"),
		[]string{"national", "real-estate"}, []string{"National", "Real Estate", "Tag One"}, "en"},
	{"T-002", "ពាណិជ្ជកម្ម", "https://feeds.example.com/b", utc("2024-03-01T10:00:00Z"),
		[]string{"business"}, []string{"Business"}, "km"},
	{"c", "No code, Khmer category", "https://feeds.example.com/c", utc("2024-02-15T00:00:00Z"),
		[]string{"ជាតិ"}, []string{"ជាតិ"}, "km"},
	{"T-004", "繁體中文", "https://feeds.example.com/d", utc("2024-01-10T08:00:00Z"),
		[]string{"world"}, []string{"World"}, "zh-Hant"},
	{"T-005", "Fractional seconds and a region", "https://feeds.example.com/e", utc("2024-01-04T22:00:00.5Z"),
		[]string{"national"}, []string{"NATIONAL"}, "en-US"},
}

// wantView is a feed of the fixture and the posts it holds, in order.
type wantView struct {
	key   feed.ViewKey
	lang  string // the feed's language
	posts []wantPost
}

// wantViews derives every feed the fixture must have from wantPosts, by
// plain filtering.
func wantViews() []wantView {
	lower := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 32
			}
		}
		return string(b)
	}
	views := []wantView{{key: feed.ViewKey{}, lang: "en", posts: wantPosts}}
	seen := map[feed.ViewKey]bool{}
	add := func(k feed.ViewKey, lang string) {
		if seen[k] {
			return
		}
		seen[k] = true
		v := wantView{key: k, lang: lang}
		for _, p := range wantPosts {
			if (k.Category == "" || slices.Contains(p.categories, k.Category)) && (k.Language == "" || lower(p.lang) == k.Language) {
				v.posts = append(v.posts, p)
			}
		}
		views = append(views, v)
	}
	for _, p := range wantPosts {
		add(feed.ViewKey{Language: lower(p.lang)}, p.lang)
		for _, c := range p.categories {
			add(feed.ViewKey{Category: c}, "en")
			add(feed.ViewKey{Category: c, Language: lower(p.lang)}, p.lang)
		}
	}
	return views
}
