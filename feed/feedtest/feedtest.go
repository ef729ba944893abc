// Package feedtest holds what the tests of several packages share: the
// posts under feed/testdata (a fixture of every kind of post, and a corpus
// of awkward ones), a site to render them for, and what the fixture's
// feeds must hold, written out by hand.
package feedtest

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/watcher"
)

// Now is the fixture's clock: after every fixture post but future.md,
// which is dated 2030.
var Now = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// Dir is the absolute path of a directory under feed/testdata: "posts"
// (the fixture), "awkward" (the awkward corpus).
func Dir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", name)
}

// Samples is the absolute path of the repository's sample posts.
func Samples() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "posts")
}

// Quiet is a logger that writes nothing.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Site is the site the fixture is rendered for.
func Site() *render.Site {
	return &render.Site{
		Title:       "Test Post & Co",
		Description: "Fixture feeds <for> tests",
		BaseURL:     "https://feeds.example.com",
		Link:        "https://www.example.com",
		Language:    "en",
		Author:      "Fixture Staff",
		Icon:        "https://feeds.example.com/icon.png",
		IDDate:      "2020-05-17",
		Names: map[*feed.Facet]map[string]string{
			feed.ByCategory: {"national": "National News"},
			feed.ByLanguage: {"km": "ខ្មែរ"},
		},
		Limit: 50,
		TTL:   300 * time.Second,
		Hubs:  []string{"https://hub.example.com/"},
	}
}

// ParseOptions are the fixture's parse options.
func ParseOptions() parse.Options {
	base, _ := url.Parse("https://feeds.example.com")
	link, _ := url.Parse("https://www.example.com")
	return parse.Options{BaseURL: base, SiteLink: link, Location: time.UTC, Language: "en"}
}

// NewSet is an empty set whose clock is Now and that logs nothing.
func NewSet() *feed.Set {
	return feed.NewSet(feed.SetOptions{Now: func() time.Time { return Now }, Logger: Quiet})
}

// Load reads the posts of dirs (paths, or names under feed/testdata) into
// a new set (NewSet), one Apply each, and returns it with what the last
// scan found.
func Load(t testing.TB, dirs ...string) (*feed.Set, *watcher.Result) {
	t.Helper()
	set := NewSet()
	var res *watcher.Result
	for _, dir := range dirs {
		if !filepath.IsAbs(dir) {
			dir = Dir(dir)
		}
		var err error
		if res, err = watcher.Scan(dir, ParseOptions(), set.Prepare); err != nil {
			t.Fatal(err)
		}
		set.Apply(res.Posts, nil)
	}
	return set, res
}

// Post is what a fixture post must look like in every feed.
type Post struct {
	ID, Title, Link string
	Date            time.Time
	Categories      []string // slugs
	Names           []string // categories then tags, as items carry them
	Lang            string   // canonical tag
	Authors         []string // slugs
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Posts are the published fixture posts, newest first; T-001 and T-002
// share a date and are ordered by id. Left out: future.md (2030),
// draft.md, unpublished.md, bad.md (no date), z/dup.md (T-001 again),
// .hidden.md, a.md~ and notes.txt.
var Posts = []Post{
	{"T-001", `Rates & <rules> "change"`, "https://www.example.com/national/a-and-b", utc("2024-03-01T10:00:00Z"),
		[]string{"national", "real-estate"}, []string{"National", "Real Estate", "Tag One"}, "en", []string{"ann-writer"}},
	{"T-002", "ពាណិជ្ជកម្ម", "https://www.example.com/b", utc("2024-03-01T10:00:00Z"),
		[]string{"business"}, []string{"Business"}, "km", []string{"bopha", "dara"}},
	{"c", "No code, Khmer category", "https://www.example.com/c", utc("2024-02-15T00:00:00Z"),
		[]string{"ជាតិ"}, []string{"ជាតិ"}, "km", nil},
	{"T-004", "繁體中文", "https://www.example.com/d", utc("2024-01-10T08:00:00Z"),
		[]string{"world"}, []string{"World"}, "zh-Hant", nil},
	{"T-005", "Fractional seconds and a region", "https://www.example.com/e", utc("2024-01-04T22:00:00.5Z"),
		[]string{"national"}, []string{"NATIONAL"}, "en-US", nil},
}

// View is a feed of the fixture and the posts it holds, in order.
type View struct {
	Key   feed.ViewKey
	Lang  string // the feed's language
	Posts []Post
}

// Views derives every feed the fixture must have from Posts, by plain
// filtering, in no particular order.
func Views() []View {
	kind := func(name string) *feed.Kind {
		for _, k := range feed.Kinds {
			if k.Name == name {
				return k
			}
		}
		panic("no kind " + name)
	}
	views := []View{{Key: feed.ViewKey{Kind: feed.Everything}, Lang: "en", Posts: Posts}}
	seen := map[feed.ViewKey]bool{}
	add := func(key feed.ViewKey, lang string, in func(Post) bool) {
		if seen[key] {
			return
		}
		seen[key] = true
		v := View{Key: key, Lang: lang}
		for _, p := range Posts {
			if in(p) {
				v.Posts = append(v.Posts, p)
			}
		}
		views = append(views, v)
	}
	for _, p := range Posts {
		lang := strings.ToLower(p.Lang)
		for _, a := range p.Authors {
			add(kind("author").Key(a), "en", func(q Post) bool { return slices.Contains(q.Authors, a) })
			add(kind("language_author").Key(lang, a), p.Lang, func(q Post) bool {
				return strings.ToLower(q.Lang) == lang && slices.Contains(q.Authors, a)
			})
		}
		add(kind("language").Key(lang), p.Lang, func(q Post) bool { return strings.ToLower(q.Lang) == lang })
		for _, c := range p.Categories {
			add(kind("category").Key(c), "en", func(q Post) bool { return slices.Contains(q.Categories, c) })
			add(kind("language_category").Key(lang, c), p.Lang, func(q Post) bool {
				return strings.ToLower(q.Lang) == lang && slices.Contains(q.Categories, c)
			})
		}
	}
	return views
}

// Render renders page 1 of view v of snap in format f for Site, every
// post on it (up to 500).
func Render(snap *feed.Snapshot, v *feed.View, f *render.Format) ([]byte, error) {
	doc, ok := Site().Document(snap, v, f, 1, 500)
	if !ok {
		return nil, fmt.Errorf("%s: no first page", v.Key.Dir())
	}
	var buf bytes.Buffer
	err := doc.Render(&buf)
	return buf.Bytes(), err
}
