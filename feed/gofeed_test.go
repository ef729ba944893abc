package feed_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/mmcdole/gofeed"
)

// TestEveryFeedParsesWithGofeed fetches every format of every view of the
// fixture over HTTP and reads it back with gofeed: the items, their order,
// ids, titles, links, dates, categories and the feed's language must be
// what the posts say.
func TestEveryFeedParsesWithGofeed(t *testing.T) {
	srv := fixtureServer(t)
	views := wantViews()
	if len(views) != 16 {
		t.Fatalf("the fixture should give 16 feeds, wantViews gives %d", len(views))
	}
	for _, v := range views {
		for _, f := range feed.Formats {
			path := v.key.Path(f)
			t.Run(path, func(t *testing.T) {
				resp, body := fetch(t, http.MethodGet, srv.URL+path, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				if got := resp.Header.Get("Content-Type"); got != f.ContentType() {
					t.Errorf("Content-Type %q, want %q", got, f.ContentType())
				}
				parsed, err := gofeed.NewParser().ParseString(string(body))
				if err != nil {
					t.Fatalf("gofeed cannot parse it: %v\n%s", err, body)
				}
				checkParsed(t, f, v, parsed)
			})
		}
	}
}

func checkParsed(t *testing.T, f feed.Format, v wantView, parsed *gofeed.Feed) {
	t.Helper()
	if parsed.Language != v.lang {
		t.Errorf("feed language %q, want %q", parsed.Language, v.lang)
	}
	if !strings.HasPrefix(parsed.Title, "Test Post & Co") {
		t.Errorf("feed title %q does not start with the site title", parsed.Title)
	}
	if len(parsed.Items) != len(v.posts) {
		t.Fatalf("%d items, want %d", len(parsed.Items), len(v.posts))
	}
	for i, want := range v.posts {
		got := parsed.Items[i]
		wantID := want.id
		if f == feed.Atom {
			wantID = fmt.Sprintf("tag:feeds.example.com,%s:%s", want.date.UTC().Format("2006-01-02"), want.id)
		}
		if got.GUID != wantID {
			t.Errorf("item %d: id %q, want %q", i, got.GUID, wantID)
		}
		if got.Title != want.title {
			t.Errorf("item %d: title %q, want %q", i, got.Title, want.title)
		}
		if got.Link != want.link {
			t.Errorf("item %d: link %q, want %q", i, got.Link, want.link)
		}
		if got.PublishedParsed == nil || !got.PublishedParsed.Equal(want.date.Truncate(time.Second)) {
			t.Errorf("item %d: published %v, want %v", i, got.PublishedParsed, want.date.Truncate(time.Second))
		}
		if !slices.Equal(got.Categories, want.names) {
			t.Errorf("item %d: categories %q, want %q", i, got.Categories, want.names)
		}
		if got.Content == "" || got.Description == "" {
			t.Errorf("item %d: content %q and summary %q must both be there", i, got.Content, got.Description)
		}
	}
}
