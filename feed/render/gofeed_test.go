package render_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/feed/text"
	"github.com/mmcdole/gofeed"
)

// TestFixtureFeeds: the fixture has exactly the feeds feedtest.Views
// derives from its posts, every kind included.
func TestFixtureFeeds(t *testing.T) {
	snap := fixture(t)
	want := map[feed.ViewKey]int{}
	for _, v := range feedtest.Views() {
		want[v.Key] = len(v.Posts)
	}
	kinds := map[*feed.Kind]bool{}
	for _, v := range snap.Views() {
		n, ok := want[v.Key]
		if !ok {
			t.Errorf("unexpected feed %s", v.Key.Dir())
		} else if v.Len() != n {
			t.Errorf("%s: %d posts, want %d", v.Key.Dir(), v.Len(), n)
		}
		delete(want, v.Key)
		kinds[v.Key.Kind] = true
	}
	for k := range want {
		t.Errorf("missing feed %s", k.Dir())
	}
	if len(kinds) != len(feed.Kinds) {
		t.Errorf("the fixture has feeds of %d kinds of %d", len(kinds), len(feed.Kinds))
	}
}

// TestEveryFeedParsesWithGofeed renders every format of every feed of the
// fixture and reads it back with gofeed: the items, their order, ids,
// titles, links, dates, categories, authors and the feed's title and
// language must be what the posts say.
func TestEveryFeedParsesWithGofeed(t *testing.T) {
	snap := fixture(t)
	site := feedtest.Site()
	for _, v := range feedtest.Views() {
		for _, f := range render.Formats {
			d, body := document(t, site, snap, v.Key, f, 1, 50)
			t.Run(strings.TrimPrefix(d.SelfURL(), site.BaseURL), func(t *testing.T) {
				parsed, err := gofeed.NewParser().ParseString(string(body))
				if err != nil {
					t.Fatalf("gofeed cannot parse it: %v\n%s", err, body)
				}
				if want := map[*render.Format]string{render.RSS: "rss", render.Atom: "atom", render.JSONFeed: "json"}[f]; parsed.FeedType != want {
					t.Errorf("gofeed reads it as %q, want %q", parsed.FeedType, want)
				}
				if parsed.Title != d.Title() {
					t.Errorf("feed title %q, want %q", parsed.Title, d.Title())
				}
				checkParsed(t, f, v, parsed)
			})
		}
	}
}

func checkParsed(t *testing.T, f *render.Format, v feedtest.View, parsed *gofeed.Feed) {
	t.Helper()
	if parsed.Language != v.Lang {
		t.Errorf("feed language %q, want %q", parsed.Language, v.Lang)
	}
	if len(parsed.Items) != len(v.Posts) {
		t.Fatalf("%d items, want %d", len(parsed.Items), len(v.Posts))
	}
	for i, want := range v.Posts {
		got := parsed.Items[i]
		wantID := want.ID
		if f == render.Atom {
			wantID = "tag:feeds.example.com,2020-05-17:" + want.ID
		}
		if got.GUID != wantID {
			t.Errorf("item %d: id %q, want %q", i, got.GUID, wantID)
		}
		if got.Title != want.Title {
			t.Errorf("item %d: title %q, want %q", i, got.Title, want.Title)
		}
		if got.Link != want.Link {
			t.Errorf("item %d: link %q, want %q", i, got.Link, want.Link)
		}
		if got.PublishedParsed == nil || !got.PublishedParsed.Equal(want.Date.Truncate(time.Second)) {
			t.Errorf("item %d: published %v, want %v", i, got.PublishedParsed, want.Date.Truncate(time.Second))
		}
		if !slices.Equal(got.Categories, want.Names) {
			t.Errorf("item %d: categories %q, want %q", i, got.Categories, want.Names)
		}
		if got.Content == "" || got.Description == "" {
			t.Errorf("item %d: content %q and summary %q must both be there", i, got.Content, got.Description)
		}
		var authors []string
		for _, a := range got.Authors {
			names := []string{a.Name}
			if f == render.RSS { // one dc:creator names every author
				names = strings.Split(a.Name, ", ")
			}
			for _, n := range names {
				authors = append(authors, text.Slug(n))
			}
		}
		wantAuthors := want.Authors
		if len(wantAuthors) == 0 { // the site's author
			wantAuthors = []string{"fixture-staff"}
		}
		if !slices.Equal(authors, wantAuthors) {
			t.Errorf("item %d: authors %q, want %q", i, authors, wantAuthors)
		}
	}
}
