package render_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/feed/text"
	"github.com/mmcdole/gofeed"
)

// addSeeds adds every post file of the fixture, the awkward corpus and the
// samples to the fuzzer's seed corpus.
func addSeeds(f *testing.F) {
	for _, dir := range []string{feedtest.Dir("posts"), feedtest.Dir("awkward"), feedtest.Samples()} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
				if data, err := os.ReadFile(path); err == nil {
					f.Add(data)
				}
			}
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
}

// terms are a post's category names then its tags, each once: what items
// carry as categories (RSS, Atom) and tags (JSON Feed).
func terms(p *feed.Post) []string {
	var out []string
	for _, c := range p.Categories {
		if !slices.Contains(out, c.Name) {
			out = append(out, c.Name)
		}
	}
	for _, tag := range p.Tags {
		if !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	return out
}

// FuzzRender: for any bytes that make a post, the three documents of the
// feed of every post are read back by encoding/xml, gofeed and
// encoding/json (with the JSON Feed 1.1 rules), and the item's title, id,
// link and categories come back as they went in.
//
//	go test ./feed/render -run '^$' -fuzz '^FuzzRender$' -fuzztime 1m
func FuzzRender(f *testing.F) {
	addSeeds(f)
	site := feedtest.Site()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parse.Post("fuzz/post.md", data, time.Time{}, feedtest.ParseOptions())
		if err != nil {
			return
		}
		// A clock at the end of time, so that every post is published.
		set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }, Logger: feedtest.Quiet})
		snap := set.Apply([]*feed.Post{p}, nil)
		want := 1
		if p.Draft {
			want = 0
		}
		authors := map[string]bool{}
		for _, a := range p.Authors {
			if s := text.Slug(a); s != "" {
				authors[s] = true
			}
		}
		views := snap.Views()
		// A feed of each kind for every combination of the post's values
		// of the kind's facets (and the feed of every post, even empty).
		values := map[*feed.Facet]int{feed.ByCategory: len(p.Categories), feed.ByLanguage: 1, feed.ByAuthor: len(authors)}
		wantViews := 1
		for _, k := range feed.Kinds[1:] {
			n := want
			for _, f := range k.Facets {
				c, ok := values[f]
				if !ok {
					t.Fatalf("this test does not know facet %s: add how many values a post has of it", f.Name)
				}
				n *= c
			}
			wantViews += n
		}
		if len(views) != wantViews {
			t.Fatalf("%d feeds for a post in %d categories by %d authors, want %d", len(views), len(p.Categories), len(authors), wantViews)
		}
		for _, f := range render.Formats {
			doc, ok := site.Document(snap, views[0], f, 1, site.Limit)
			if !ok {
				t.Fatal("no first page")
			}
			var b bytes.Buffer
			if err := doc.Render(&b); err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			body := b.Bytes()
			if f == render.JSONFeed {
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatalf("JSON Feed is not JSON: %v", err)
				}
				if problems := feedtest.CheckJSONFeed(body, doc.SelfURL()); len(problems) > 0 {
					t.Fatalf("JSON Feed: %q", problems)
				}
			} else if err := feedtest.WellFormed(body); err != nil {
				t.Fatalf("%s is not well-formed: %v\n%s", f.Name, err, body)
			}
			parsed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("gofeed cannot read the %s document: %v\n%s", f.Name, err, body)
			}
			if len(parsed.Items) != want {
				t.Fatalf("%s: %d items, want %d", f.Name, len(parsed.Items), want)
			}
			if want == 0 {
				continue
			}
			it := parsed.Items[0]
			id := p.ID
			if f == render.Atom {
				id = site.AtomID(p)
			}
			if it.GUID != id {
				t.Fatalf("%s: id %q, want %q", f.Name, it.GUID, id)
			}
			if it.Title != p.Title {
				t.Fatalf("%s: title %q, want %q", f.Name, it.Title, p.Title)
			}
			if it.Link != p.Link {
				t.Fatalf("%s: link %q, want %q", f.Name, it.Link, p.Link)
			}
			if terms := terms(p); !slices.Equal(it.Categories, terms) && len(it.Categories)+len(terms) > 0 {
				t.Fatalf("%s: categories %q, want %q", f.Name, it.Categories, terms)
			}
		}
	})
}
