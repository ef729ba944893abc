package feed_test

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedd/feedd/feed"
	"github.com/mmcdole/gofeed"
)

// addSeeds adds every post file of the fixtures, the awkward corpus and the
// samples to the fuzzer's seed corpus.
func addSeeds(f *testing.F) {
	for _, dir := range []string{"testdata/posts", "testdata/awkward", "../posts"} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
				if data, err := os.ReadFile(path); err == nil {
					f.Add(data)
				}
			}
			return nil
		})
	}
}

// FuzzParse: for any bytes, Parse gives either a one-line *PostError or a
// post whose fields a feed can carry as they are.
//
//	go test ./feed -run '^$' -fuzz '^FuzzParse$' -fuzztime 1m
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := feed.Parse("fuzz/post.md", data, time.Time{}, testParseOptions())
		if err != nil {
			var pe *feed.PostError
			if !errors.As(err, &pe) || pe.Reason == "" {
				t.Fatalf("error %v (%T) is not a *PostError with a reason", err, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		for name, v := range map[string]string{"ID": p.ID, "Title": p.Title, "Summary": p.Summary, "Content": p.Content, "Link": p.Link, "Image": p.Image} {
			if !utf8.ValidString(v) || feed.XMLSafe(v) != v {
				t.Fatalf("%s holds characters a feed cannot: %q", name, v)
			}
		}
		if p.Title == "" || p.Summary == "" || p.Content == "" || p.ID == "" {
			t.Fatalf("empty title %q, summary %q, content %q or id %q", p.Title, p.Summary, p.Content, p.ID)
		}
		if lang, err := feed.CanonicalLanguage(p.Language); err != nil || lang != p.Language {
			t.Fatalf("language %q is not a canonical tag: %v", p.Language, err)
		}
		if !absoluteHTTPURL(p.Link) || (p.Image != "" && !absoluteHTTPURL(p.Image)) {
			t.Fatalf("link %q or image %q is not an absolute URL", p.Link, p.Image)
		}
		if p.Updated.Before(p.Date) {
			t.Fatalf("updated %v before date %v", p.Updated, p.Date)
		}
		for _, c := range p.Categories {
			if c.Slug == "" || c.Slug != feed.Slug(c.Name) {
				t.Fatalf("category %+v", c)
			}
		}
	})
}

// FuzzRender: for any bytes that make a post, the three documents are read
// back by encoding/xml, gofeed and encoding/json (with the JSON Feed 1.1
// rules), and the item's title, id and link come back as they went in.
//
//	go test ./feed -run '^$' -fuzz '^FuzzRender$' -fuzztime 1m
func FuzzRender(f *testing.F) {
	addSeeds(f)
	site := testSite()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := feed.Parse("fuzz/post.md", data, time.Time{}, testParseOptions())
		if err != nil {
			return
		}
		// A clock at the end of time, so that every post is published.
		set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }, Logger: quiet})
		snap := set.Apply([]*feed.Post{p}, nil)
		want := 1
		if p.Draft {
			want = 0
		}
		views := snap.Views()
		if len(views) != 1+(2*len(p.Categories)+1)*want {
			t.Fatalf("%d views for a post in %d categories", len(views), len(p.Categories))
		}
		for _, f := range feed.Formats {
			doc, ok := site.NewDocument(snap, views[0], f, 1, site.Limit)
			if !ok {
				t.Fatal("no first page")
			}
			var b strings.Builder
			if err := doc.Render(&b); err != nil {
				t.Fatalf("%v: %v", f, err)
			}
			body := b.String()
			if f == feed.JSONFeed {
				var v any
				if err := json.Unmarshal([]byte(body), &v); err != nil {
					t.Fatalf("JSON Feed is not JSON: %v", err)
				}
				if problems := checkJSONFeed([]byte(body), doc.SelfURL()); len(problems) > 0 {
					t.Fatalf("JSON Feed: %q", problems)
				}
			} else if err := wellFormed([]byte(body)); err != nil {
				t.Fatalf("%v is not well-formed: %v\n%s", f, err, body)
			}
			parsed, err := gofeed.NewParser().ParseString(body)
			if err != nil {
				t.Fatalf("gofeed cannot read the %v document: %v\n%s", f, err, body)
			}
			if len(parsed.Items) != want {
				t.Fatalf("%v: %d items, want %d", f, len(parsed.Items), want)
			}
			if want == 0 {
				continue
			}
			it := parsed.Items[0]
			id := p.ID
			if f == feed.Atom {
				id = site.AtomID(p)
			}
			if it.GUID != id {
				t.Fatalf("%v: id %q, want %q", f, it.GUID, id)
			}
			if it.Title != p.Title {
				t.Fatalf("%v: title %q, want %q", f, it.Title, p.Title)
			}
			if it.Link != p.Link {
				t.Fatalf("%v: link %q, want %q", f, it.Link, p.Link)
			}
			if !slices.Equal(it.Categories, p.Terms()) && len(it.Categories)+len(p.Terms()) > 0 {
				t.Fatalf("%v: categories %q, want %q", f, it.Categories, p.Terms())
			}
		}
	})
}
