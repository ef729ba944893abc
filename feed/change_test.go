package feed_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/watcher"
)

// keyDirs lists the feeds' URL directories, in order.
func keyDirs(keys []feed.ViewKey) string {
	var s []string
	for _, k := range keys {
		s = append(s, k.Dir())
	}
	return strings.Join(s, " ")
}

// titles lists the posts as "ID=Title".
func titles(posts []*feed.Post) string {
	var s []string
	for _, p := range posts {
		s = append(s, p.ID+"="+p.Title)
	}
	return strings.Join(s, ",")
}

// TestChangeFirst: before the first Apply the latest change has no
// snapshot; the first Apply's change is First and publishes every post,
// and lists every feed.
func TestChangeFirst(t *testing.T) {
	set := feedtest.NewSet()
	start := set.Latest()
	if start == nil || start.Snapshot != nil || start.Next() != nil {
		t.Fatalf("a new set's latest change: %+v", start)
	}
	select {
	case <-start.Done():
		t.Fatal("Done is closed before any change")
	default:
	}
	res, err := watcher.Scan(feedtest.Dir("posts"), feedtest.ParseOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := set.Apply(res.Posts, nil)
	<-start.Done()
	c := start.Next()
	if c == nil || c != set.Latest() || c.Snapshot != snap || !c.First {
		t.Fatalf("the first change: %+v, want First and the snapshot published", c)
	}
	var want []string
	for _, p := range feedtest.Posts {
		want = append(want, p.ID)
	}
	if got := ids(c.Published()); got != strings.Join(want, ",") {
		t.Errorf("Published %s, want every post newest first: %s", got, strings.Join(want, ","))
	}
	if len(c.Updated())+len(c.Withdrawn()) != 0 {
		t.Errorf("Updated %s, Withdrawn %s", ids(c.Updated()), ids(c.Withdrawn()))
	}
	var all []feed.ViewKey
	for _, v := range snap.Views() {
		all = append(all, v.Key)
	}
	if keyDirs(c.Views) != keyDirs(all) {
		t.Errorf("Views:\n %s\nwant every feed in order:\n %s", keyDirs(c.Views), keyDirs(all))
	}
	if c.Next() != nil {
		t.Error("Next before the next change")
	}
	if c2 := set.Refresh(); set.Latest().First || set.Latest().Snapshot != c2 {
		t.Error("a later change is First")
	}
}

// next waits for the change after c.
func next(t *testing.T, c *feed.Change) *feed.Change {
	t.Helper()
	select {
	case <-c.Done():
		return c.Next()
	case <-time.After(10 * time.Second):
		t.Fatal("no change published")
		return nil
	}
}

// TestChangeKinds: an edit is an update, a removal a withdrawal, a new
// post a publication; each lists exactly the feeds it touches, in the
// order of Kinds, a feed left empty among them and missing from the
// snapshot.
func TestChangeKinds(t *testing.T) {
	set := newSet(nil, nil)
	set.Apply([]*feed.Post{
		mustParse(t, "a.md", "code: A\ntitle: a\ndate: 2024-01-01\ncategory: Old\nauthor: Bo"),
		mustParse(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-02\ncategory: World\nlanguage: km"),
	}, nil)
	c := set.Latest()

	set.Apply([]*feed.Post{mustParseBody(t, "n.md", "code: N\ntitle: new\ndate: 2024-01-03\ncategories: [World, Sport]\nlanguage: en_US\nauthors: [Ann Writer, Bo]", "Text.")}, nil)
	c = next(t, c)
	if c.First || ids(c.Published()) != "N" || len(c.Updated())+len(c.Withdrawn()) != 0 {
		t.Errorf("a new post: Published %s, Updated %s, Withdrawn %s, First %v", ids(c.Published()), ids(c.Updated()), ids(c.Withdrawn()), c.First)
	}
	if html, err := c.Published()[0].HTML(); err != nil || html != "<p>Text.</p>" {
		t.Errorf("the published post's body: %q, %v", html, err)
	}
	want := "/ /category/sport/ /category/world/ /language/en-us/ " +
		"/language/en-us/category/sport/ /language/en-us/category/world/ " +
		"/author/ann-writer/ /author/bo/ /language/en-us/author/ann-writer/ /language/en-us/author/bo/"
	if got := keyDirs(c.Views); got != want {
		t.Errorf("a new post's feeds:\n %s\nwant\n %s", got, want)
	}
	for _, k := range c.Views {
		if _, ok := c.Snapshot.View(k); !ok {
			t.Errorf("feed %s listed, not in the snapshot", k.Dir())
		}
	}

	set.Apply([]*feed.Post{mustParse(t, "b.md", "code: B\ntitle: b2\ndate: 2024-01-02\ncategory: World\nlanguage: km")}, nil)
	c = next(t, c)
	if titles(c.Updated()) != "B=b2" || len(c.Published())+len(c.Withdrawn()) != 0 {
		t.Errorf("an edit: Published %s, Updated %s, Withdrawn %s", ids(c.Published()), titles(c.Updated()), ids(c.Withdrawn()))
	}
	if got, want := keyDirs(c.Views), "/ /category/world/ /language/km/ /language/km/category/world/"; got != want {
		t.Errorf("an edit's feeds: %s, want %s", got, want)
	}

	set.Apply(nil, []string{"a.md"})
	c = next(t, c)
	if titles(c.Withdrawn()) != "A=a" || len(c.Published())+len(c.Updated()) != 0 {
		t.Errorf("a removal: Published %s, Updated %s, Withdrawn %s", ids(c.Published()), ids(c.Updated()), titles(c.Withdrawn()))
	}
	if got, want := keyDirs(c.Views), "/ /category/old/ /language/en/ /language/en/category/old/ /author/bo/ /language/en/author/bo/"; got != want {
		t.Errorf("a removal's feeds: %s, want %s", got, want)
	}
	for _, gone := range []feed.ViewKey{kind(t, "category").Key("old"), kind(t, "language").Key("en"), kind(t, "language_author").Key("en", "bo")} {
		if _, ok := c.Snapshot.View(gone); ok {
			t.Errorf("%s has no post left, yet is in the snapshot", gone.Dir())
		}
	}
	if _, ok := c.Snapshot.View(kind(t, "author").Key("bo")); !ok {
		t.Error("bo's feed went, though N is in it")
	}

	// A post that changes its code: the old id withdrawn, the new one
	// published; made a draft: withdrawn; published again: published.
	set.Apply([]*feed.Post{mustParse(t, "b.md", "code: B2\ntitle: b2\ndate: 2024-01-02\ncategory: World\nlanguage: km")}, nil)
	c = next(t, c)
	if ids(c.Published()) != "B2" || ids(c.Withdrawn()) != "B" || len(c.Updated()) != 0 {
		t.Errorf("a new code: Published %s, Updated %s, Withdrawn %s", ids(c.Published()), ids(c.Updated()), ids(c.Withdrawn()))
	}
	set.Apply([]*feed.Post{mustParse(t, "n.md", "code: N\ntitle: new\ndate: 2024-01-03\ndraft: true")}, nil)
	c = next(t, c)
	if ids(c.Withdrawn()) != "N" || len(c.Published())+len(c.Updated()) != 0 {
		t.Errorf("made a draft: Published %s, Updated %s, Withdrawn %s", ids(c.Published()), ids(c.Updated()), ids(c.Withdrawn()))
	}
	set.Apply([]*feed.Post{mustParse(t, "n.md", "code: N\ntitle: again\ndate: 2024-01-03")}, nil)
	c = next(t, c)
	if titles(c.Published()) != "N=again" || len(c.Withdrawn())+len(c.Updated()) != 0 {
		t.Errorf("published again: Published %s, Updated %s, Withdrawn %s", ids(c.Published()), ids(c.Updated()), ids(c.Withdrawn()))
	}

	// Nothing changed: a change with no posts and no feeds.
	set.Refresh()
	c = next(t, c)
	if len(c.Views)+len(c.Published())+len(c.Updated())+len(c.Withdrawn()) != 0 {
		t.Errorf("a refresh with nothing due: Views %s, posts %s %s %s", keyDirs(c.Views), ids(c.Published()), ids(c.Updated()), ids(c.Withdrawn()))
	}
}

// TestChangeBatchOrder: the posts of one change are listed newest first.
func TestChangeBatchOrder(t *testing.T) {
	set := newSet(nil, nil)
	set.Apply([]*feed.Post{
		mustParse(t, "a.md", "code: A\ntitle: a\ndate: 2024-01-01"),
		mustParse(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-03"),
	}, nil)
	c := set.Latest()
	set.Apply([]*feed.Post{
		mustParse(t, "c.md", "code: C\ntitle: c\ndate: 2024-01-02"),
		mustParse(t, "d.md", "code: D\ntitle: d\ndate: 2024-01-04"),
		mustParse(t, "e.md", "code: E\ntitle: e\ndate: 2024-01-02"),
		mustParse(t, "a.md", "code: A\ntitle: a2\ndate: 2024-01-01"),
		mustParse(t, "b.md", "code: B\ntitle: b2\ndate: 2024-01-03"),
	}, nil)
	c = next(t, c)
	if ids(c.Published()) != "D,C,E" || ids(c.Updated()) != "B,A" {
		t.Errorf("Published %s, Updated %s; want D,C,E and B,A", ids(c.Published()), ids(c.Updated()))
	}
}

// TestChangeFuturePost: a post dated in the future is published by the
// Refresh at its time, in that change's Published and feeds.
func TestChangeFuturePost(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	set := newSet(clock.Now, nil)
	set.Apply([]*feed.Post{mustParse(t, "now.md", "code: NOW\ntitle: now\ndate: 2024-06-01T11:00:00Z")}, nil)
	c := set.Latest()
	set.Apply([]*feed.Post{mustParse(t, "soon.md", "code: SOON\ntitle: soon\ndate: 2024-06-01T13:00:00Z\ncategory: Later")}, nil)
	c = next(t, c)
	if len(c.Published())+len(c.Views) != 0 || c.Snapshot.NextDue.IsZero() {
		t.Errorf("a future post: Published %s, Views %s, NextDue %v", ids(c.Published()), keyDirs(c.Views), c.Snapshot.NextDue)
	}
	clock.Set(c.Snapshot.NextDue)
	set.Refresh()
	c = next(t, c)
	if ids(c.Published()) != "SOON" || len(c.Updated())+len(c.Withdrawn()) != 0 {
		t.Errorf("at its time: Published %s, Updated %s, Withdrawn %s", ids(c.Published()), ids(c.Updated()), ids(c.Withdrawn()))
	}
	if got, want := keyDirs(c.Views), "/ /category/later/ /language/en/ /language/en/category/later/"; got != want {
		t.Errorf("at its time, feeds %s, want %s", got, want)
	}
	// Dated later again: withdrawn.
	set.Apply([]*feed.Post{mustParse(t, "soon.md", "code: SOON\ntitle: soon\ndate: 2024-07-01T00:00:00Z\ncategory: Later")}, nil)
	c = next(t, c)
	if ids(c.Withdrawn()) != "SOON" || len(c.Published())+len(c.Updated()) != 0 {
		t.Errorf("dated into the future: Published %s, Updated %s, Withdrawn %s", ids(c.Published()), ids(c.Updated()), ids(c.Withdrawn()))
	}
}

// TestChangesFollowed: consumers that hold the latest change from before
// the first Apply see every change, in order, none missed: one reading
// as they come, from another goroutine, and one that reads only after
// several more.
func TestChangesFollowed(t *testing.T) {
	set := newSet(nil, nil)
	start := set.Latest()
	const n = 200
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var live []string
	wg.Go(func() {
		c := start
		for len(live) < n {
			select {
			case <-ctx.Done():
				return
			case <-c.Done():
				c = c.Next()
				live = append(live, titles(append(c.Published(), c.Updated()...)))
			}
		}
	})
	var want []string
	for i := range n {
		title := fmt.Sprintf("v%d", i)
		set.Apply([]*feed.Post{mustParse(t, "a.md", "code: A\ntitle: "+title+"\ndate: 2024-01-01")}, nil)
		want = append(want, "A="+title)
	}
	wg.Wait()
	if !slices.Equal(live, want) {
		t.Errorf("a consumer following as changes come saw %d changes, want %d in order:\n%q", len(live), n, live)
	}
	var late []string
	first := true
	for c := start; c.Next() != nil; {
		c = c.Next()
		late = append(late, titles(append(c.Published(), c.Updated()...)))
		if c.First != first {
			t.Errorf("change %d: First %v", len(late), c.First)
		}
		first = false
	}
	if !slices.Equal(late, want) {
		t.Errorf("a consumer reading after every change saw:\n%q", late)
	}
}
