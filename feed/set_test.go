package feed_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
)

func TestSetOrderAndViews(t *testing.T) {
	set := newSet(nil, nil)
	if set.Current() != nil {
		t.Fatal("a new set must have no snapshot, so the server is not ready")
	}
	snap := set.Apply([]*feed.Post{
		mustParse(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-02T00:00:00Z\ncategory: X\nlanguage: km\nauthor: Ann Writer"),
		mustParse(t, "a.md", "code: A\ntitle: a\ndate: 2024-01-02T07:00:00+07:00\ncategory: [X, Y]\nauthors: [Ann Writer, Bo]"),
		mustParse(t, "c.md", "code: C\ntitle: c\ndate: 2024-01-03T00:00:00Z\ncategory: y\nauthor: ann  writer"),
		mustParse(t, "d.md", "code: D\ntitle: d\ndate: 2024-01-01T00:00:00Z"),
	}, nil)
	if got := ids(snap.Posts()); got != "C,A,B,D" {
		t.Errorf("order %s, want C,A,B,D (newest first, equal dates by id)", got)
	}
	var all []string
	for p := range snap.All() {
		all = append(all, p.ID)
	}
	if strings.Join(all, ",") != "C,A,B,D" || snap.Len() != 4 {
		t.Errorf("All yields %q, Len %d", all, snap.Len())
	}
	tests := []struct {
		kind   string
		values []string
		want   string
		names  [2]string
	}{
		{"feed", nil, "C,A,B,D", [2]string{}},
		{"category", []string{"x"}, "A,B", [2]string{"X"}},
		{"category", []string{"Y"}, "C,A", [2]string{"Y"}}, // "Y" < "y": the smallest spelling
		{"language", []string{"km"}, "B", [2]string{"km"}},
		{"language", []string{"EN"}, "C,A,D", [2]string{"en"}},
		{"language_category", []string{"km", "x"}, "B", [2]string{"km", "X"}},
		{"language_category", []string{"en", "x"}, "A", [2]string{"en", "X"}},
		{"language_category", []string{"en", "y"}, "C,A", [2]string{"en", "Y"}},
		{"author", []string{"ann-writer"}, "C,A,B", [2]string{"Ann Writer"}},
		{"author", []string{"Bo"}, "A", [2]string{"Bo"}},
		{"language_author", []string{"en", "ann-writer"}, "C,A", [2]string{"en", "Ann Writer"}},
		{"language_author", []string{"km", "ann-writer"}, "B", [2]string{"km", "Ann Writer"}},
		{"language_author", []string{"en", "bo"}, "A", [2]string{"en", "Bo"}},
	}
	for _, tt := range tests {
		key := kind(t, tt.kind).Key(tt.values...)
		v, ok := snap.View(key)
		if !ok {
			t.Errorf("no feed %s", key.Dir())
			continue
		}
		page, _ := snap.Page(v, 1, 50)
		if got := ids(page); got != tt.want || v.Len() != len(page) {
			t.Errorf("feed %s: %s (Len %d), want %s", key.Dir(), got, v.Len(), tt.want)
		}
		if v.Names != tt.names {
			t.Errorf("feed %s: names %q, want %q", key.Dir(), v.Names, tt.names)
		}
		if want := page[0].Date; !v.Newest.Equal(want) {
			t.Errorf("feed %s: newest %v, want %v", key.Dir(), v.Newest, want)
		}
	}
	if n := len(snap.Views()); n != len(tests) {
		t.Errorf("%d feeds, want %d", n, len(tests))
	}
	for _, missing := range []feed.ViewKey{
		kind(t, "language_category").Key("zh", "x"),
		kind(t, "language_author").Key("km", "bo"),
		kind(t, "category").Key("ann-writer"),
		kind(t, "author").Key("x"),
	} {
		if _, ok := snap.View(missing); ok {
			t.Errorf("feed %s exists, though no post is in it", missing.Dir())
		}
	}
	v, _ := snap.View(kind(t, "author").Key("ann-writer"))
	if name, ok := v.Name(feed.ByAuthor); !ok || name != "Ann Writer" {
		t.Errorf("Name(ByAuthor) = %q, %v", name, ok)
	}
	if _, ok := v.Name(feed.ByCategory); ok {
		t.Error("an author's feed has a category name")
	}
	v, _ = snap.View(everything)
	if p, ok := snap.Page(v, 2, 3); !ok || ids(p) != "D" {
		t.Errorf("page 2 of 3 per page: %s, %v; want D", ids(p), ok)
	}
	for _, bad := range [][2]int{{3, 3}, {0, 3}, {1, 0}} {
		if _, ok := snap.Page(v, bad[0], bad[1]); ok {
			t.Errorf("page %d of %d per page should not exist", bad[0], bad[1])
		}
	}
	if v.Pages(3) != 2 || v.Pages(50) != 1 {
		t.Errorf("Pages: %d and %d, want 2 and 1", v.Pages(3), v.Pages(50))
	}
}

// TestSetEmpty: a set of drafts only publishes the feed of every post,
// empty, with one empty page.
func TestSetEmpty(t *testing.T) {
	snap := newSet(nil, nil).Apply([]*feed.Post{mustParse(t, "d.md", "title: d\ndate: 2024-01-01\ncategory: X\ndraft: true")}, nil)
	if snap.Len() != 0 || len(snap.Views()) != 1 || snap.Views()[0].Key != everything {
		t.Fatalf("%d posts, %d feeds; want only the empty feed of every post", snap.Len(), len(snap.Views()))
	}
	if page, ok := snap.Page(snap.Views()[0], 1, 50); !ok || len(page) != 0 {
		t.Errorf("page 1 of an empty feed: %d posts, %v", len(page), ok)
	}
}

func TestSetApplyEditsAndRemoves(t *testing.T) {
	set := newSet(nil, nil)
	first := set.Apply([]*feed.Post{
		mustParse(t, "a.md", "code: A\ntitle: old\ndate: 2024-01-01"),
		mustParse(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-02\ncategory: Gone"),
	}, nil)
	second := set.Apply([]*feed.Post{mustParse(t, "a.md", "code: A\ntitle: new\ndate: 2024-01-01")}, []string{"b.md", "never.md"})
	if ids(second.Posts()) != "A" || second.Posts()[0].Title != "new" {
		t.Errorf("after an edit of a.md and removal of b.md: %s %q", ids(second.Posts()), second.Posts()[0].Title)
	}
	if _, ok := second.View(kind(t, "category").Key("gone")); ok {
		t.Error("the category of the removed post is still there")
	}
	if ids(first.Posts()) != "B,A" || first.Posts()[1].Title != "old" {
		t.Error("an earlier snapshot must not change when a new one is published")
	}
	if second.Version <= first.Version || set.Current() != second {
		t.Errorf("versions %d then %d should increase, and Current be the last", first.Version, second.Version)
	}
	if p, ok := set.Post("a.md"); !ok || p.Title != "new" {
		t.Errorf("Post(a.md) = %v, %v", p, ok)
	}
	if _, ok := set.Post("b.md"); ok {
		t.Error("Post(b.md) after its removal")
	}
	// A draft leaves the feeds, but is held; publishing it brings it back.
	third := set.Apply([]*feed.Post{mustParse(t, "a.md", "code: A\ntitle: new\ndate: 2024-01-01\ndraft: true")}, nil)
	if third.Len() != 0 {
		t.Errorf("a draft is in the feeds: %s", ids(third.Posts()))
	}
	if p, ok := set.Post("a.md"); !ok || !p.Draft {
		t.Errorf("Post(a.md) of a draft = %v, %v", p, ok)
	}
	fourth := set.Apply([]*feed.Post{mustParse(t, "a.md", "code: A\ntitle: back\ndate: 2024-01-01")}, nil)
	if ids(fourth.Posts()) != "A" || fourth.Posts()[0].Title != "back" {
		t.Errorf("a draft published again: %s", ids(fourth.Posts()))
	}
	// A file moved: one change, the same item.
	fifth := set.Apply([]*feed.Post{mustParse(t, "moved/a.md", "code: A\ntitle: back\ndate: 2024-01-01")}, []string{"a.md"})
	if ids(fifth.Posts()) != "A" || fifth.Posts()[0].Path != "moved/a.md" {
		t.Errorf("after a move: %s at %s", ids(fifth.Posts()), fifth.Posts()[0].Path)
	}
}

func TestSetDuplicateCodes(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	a := func() *feed.Post { return mustParse(t, "z/a.md", "code: SAME\ntitle: from z\ndate: 2024-01-01") }
	b := func() *feed.Post { return mustParse(t, "b/a.md", "code: SAME\ntitle: from b\ndate: 2024-01-02") }
	// Whatever the order the files arrive in, the path that sorts first wins.
	for _, order := range [][]func() *feed.Post{{a, b}, {b, a}} {
		logs.Reset()
		set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return feedtest.Now }, Logger: log})
		set.Apply([]*feed.Post{order[0]()}, nil)
		snap := set.Apply([]*feed.Post{order[1]()}, nil)
		if snap.Len() != 1 || snap.Posts()[0].Title != "from b" {
			t.Errorf("kept %q, want the post at b/a.md", snap.Posts()[0].Title)
		}
		set.Refresh()
		if n := strings.Count(logs.String(), "two posts share a code"); n != 1 {
			t.Errorf("conflict logged %d times, want once:\n%s", n, logs.String())
		}
		if !strings.Contains(logs.String(), "kept=b/a.md ignored=z/a.md") {
			t.Errorf("log should name both paths:\n%s", logs.String())
		}
		// The kept one removed: the other takes its place.
		snap = set.Apply(nil, []string{"b/a.md"})
		if snap.Len() != 1 || snap.Posts()[0].Title != "from z" {
			t.Errorf("after removing b/a.md: %d posts, %q", snap.Len(), snap.Posts()[0].Title)
		}
	}
}

func TestSetFuturePosts(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	set := newSet(clock.Now, nil)
	later := kind(t, "category").Key("later")
	snap := set.Apply([]*feed.Post{
		mustParse(t, "now.md", "code: NOW\ntitle: now\ndate: 2024-06-01T11:00:00Z"),
		mustParse(t, "soon.md", "code: SOON\ntitle: soon\ndate: 2024-06-01T13:00:00Z\ncategory: Later"),
		mustParse(t, "later.md", "code: LATER\ntitle: later\ndate: 2024-06-02T00:00:00Z"),
	}, nil)
	if ids(snap.Posts()) != "NOW" {
		t.Errorf("published %s, want only NOW", ids(snap.Posts()))
	}
	if _, ok := snap.View(later); ok {
		t.Error("a category with only future posts should not exist yet")
	}
	if want := time.Date(2024, 6, 1, 13, 0, 0, 0, time.UTC); !snap.NextDue.Equal(want) {
		t.Errorf("NextDue %v, want %v", snap.NextDue, want)
	}
	clock.Set(time.Date(2024, 6, 1, 13, 0, 0, 0, time.UTC))
	snap = set.Refresh()
	if ids(snap.Posts()) != "SOON,NOW" {
		t.Errorf("at its time, SOON should appear: %s", ids(snap.Posts()))
	}
	if _, ok := snap.View(later); !ok {
		t.Error("the category should appear with its first due post")
	}
	if want := time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC); !snap.NextDue.Equal(want) {
		t.Errorf("NextDue %v, want %v", snap.NextDue, want)
	}
	// Dated back into the future: it leaves until then.
	snap = set.Apply([]*feed.Post{mustParse(t, "soon.md", "code: SOON\ntitle: soon\ndate: 2024-06-01T20:00:00Z\ncategory: Later")}, nil)
	if ids(snap.Posts()) != "NOW" || !snap.NextDue.Equal(time.Date(2024, 6, 1, 20, 0, 0, 0, time.UTC)) {
		t.Errorf("redated into the future: %s, next due %v", ids(snap.Posts()), snap.NextDue)
	}
	clock.Set(time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC))
	if snap = set.Refresh(); ids(snap.Posts()) != "LATER,SOON,NOW" || !snap.NextDue.IsZero() {
		t.Errorf("all due: %s, next due %v", ids(snap.Posts()), snap.NextDue)
	}
}

// TestViewNames: a feed's names are the spelling most of its posts give,
// the smallest when tied, whatever order they arrive in, and follow the
// posts as they come, change and leave.
func TestViewNames(t *testing.T) {
	posts := func() []*feed.Post {
		return []*feed.Post{
			mustParse(t, "1.md", "code: P1\ntitle: t\ndate: 2024-01-01\ncategory: real estate\nauthor: ann writer"),
			mustParse(t, "2.md", "code: P2\ntitle: t\ndate: 2024-01-02\ncategory: Real Estate\nauthor: Ann Writer"),
			mustParse(t, "3.md", "code: P3\ntitle: t\ndate: 2024-01-03\ncategory: REAL-ESTATE\nauthor: ANN-WRITER"),
		}
	}
	cat, author := kind(t, "category").Key("real-estate"), kind(t, "author").Key("ann-writer")
	names := func(snap *feed.Snapshot) string {
		c, _ := snap.View(cat)
		a, _ := snap.View(author)
		return c.Names[0] + "|" + a.Names[0]
	}
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
		set := newSet(nil, nil)
		var snap *feed.Snapshot
		for _, i := range order {
			snap = set.Apply([]*feed.Post{posts()[i]}, nil)
		}
		if got := names(snap); got != "REAL-ESTATE|ANN-WRITER" {
			t.Errorf("order %v: names %q, want the smallest spelling", order, got)
		}
		snap = set.Apply(nil, []string{"3.md"})
		if got := names(snap); got != "Real Estate|Ann Writer" {
			t.Errorf("order %v, the smallest removed: names %q", order, got)
		}
		snap = set.Apply([]*feed.Post{mustParse(t, "2.md", "code: P2\ntitle: t\ndate: 2024-01-02\ncategory: real Estate\nauthor: ann Writer")}, nil)
		if got := names(snap); got != "real Estate|ann Writer" {
			t.Errorf("order %v, the smallest edited: names %q", order, got)
		}
		// Two posts of three write it "real estate": that wins, though
		// "real Estate" is smaller.
		snap = set.Apply([]*feed.Post{mustParse(t, "4.md", "code: P4\ntitle: t\ndate: 2024-01-04\ncategory: real estate\nauthor: ann writer")}, nil)
		if got := names(snap); got != "real estate|ann writer" {
			t.Errorf("order %v, most posts' spelling: names %q", order, got)
		}
		snap = set.Apply(nil, []string{"4.md", "1.md"})
		if got := names(snap); got != "real Estate|ann Writer" {
			t.Errorf("order %v, the majority gone: names %q", order, got)
		}
	}
}

// snapshotShape describes everything a snapshot serves, for comparisons.
func snapshotShape(s *feed.Snapshot) string {
	var b strings.Builder
	for _, v := range s.Views() {
		page, _ := s.Page(v, 1, 1<<20)
		fmt.Fprintf(&b, "%s names=%q newest=%s: %s\n", v.Key.Dir(), v.Names, v.Newest.Format(time.RFC3339), ids(page))
	}
	fmt.Fprintf(&b, "posts=%s next=%s", ids(s.Posts()), s.NextDue.Format(time.RFC3339))
	return b.String()
}

// TestSetIncrementalMatchesRebuild: after any sequence of edits, removals,
// duplicate codes, drafts and clock moves, the snapshot the set builds
// change by change is the one a fresh set builds from the same posts,
// and no id is ever published twice.
func TestSetIncrementalMatchesRebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	clock := &fakeClock{now: time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)}
	set := newSet(clock.Now, nil)
	// The posts on disk, never given to a set: each set is given copies.
	files := map[string]*feed.Post{}
	clone := func(p *feed.Post) *feed.Post { c := *p; return &c }
	cats := []string{"News", "news", "Sport", "World"}
	authors := []string{"Ann Writer", "ann writer", "Bo", "Dara"}
	steps := 400
	if os.Getenv("FEEDD_SOAK") != "" {
		steps = 5000
	}
	for step := range steps {
		var up []*feed.Post
		var rm []string
		for range 1 + rng.IntN(4) {
			path := fmt.Sprintf("d%d/p%02d.md", rng.IntN(3), rng.IntN(25))
			if _, ok := files[path]; ok && rng.IntN(5) == 0 {
				rm = append(rm, path)
				delete(files, path)
				up = slices.DeleteFunc(up, func(p *feed.Post) bool { return p.Path == path })
				continue
			}
			front := fmt.Sprintf("code: C%02d\ntitle: t%d\ndate: 2024-01-%02dT00:00:00Z\nlanguage: %s\ncategories: [%s, %s]\nauthors: [%s, %s]",
				rng.IntN(30), step, 1+rng.IntN(20), []string{"en", "km", "EN-us"}[rng.IntN(3)],
				cats[rng.IntN(len(cats))], cats[rng.IntN(len(cats))], authors[rng.IntN(len(authors))], authors[rng.IntN(len(authors))])
			if rng.IntN(10) == 0 {
				front += "\ndraft: true"
			}
			p := mustParse(t, path, front)
			up = slices.DeleteFunc(up, func(p *feed.Post) bool { return p.Path == path })
			up = append(up, clone(p))
			files[path] = p
			rm = slices.DeleteFunc(rm, func(r string) bool { return r == path })
		}
		var got *feed.Snapshot
		if rng.IntN(10) == 0 {
			clock.Set(clock.Now().Add(time.Duration(rng.IntN(48)) * time.Hour))
			set.Apply(up, rm)
			got = set.Refresh()
		} else {
			got = set.Apply(up, rm)
		}
		var all []*feed.Post
		for _, path := range slices.Sorted(maps.Keys(files)) {
			all = append(all, clone(files[path]))
		}
		want := newSet(clock.Now, nil).Apply(all, nil)
		if g, w := snapshotShape(got), snapshotShape(want); g != w {
			t.Fatalf("step %d: the incremental snapshot differs from a rebuild:\n%s\nwant:\n%s", step, g, w)
		}
		seen := map[string]bool{}
		for _, p := range got.Posts() {
			if seen[p.ID] {
				t.Fatalf("step %d: id %s published twice", step, p.ID)
			}
			seen[p.ID] = true
		}
	}
}

// TestNoDuplicateIDsEver: a post without a code whose path-derived id equals
// another post's code, and two files that differ only in their extension,
// still give one item per id, in every feed.
func TestNoDuplicateIDsEver(t *testing.T) {
	set := newSet(nil, nil)
	snap := set.Apply([]*feed.Post{
		mustParse(t, "news/story.md", "title: derived\ndate: 2024-01-01\ncategory: A"),
		mustParse(t, "news/story.markdown", "title: derived too\ndate: 2024-01-02\ncategory: B"),
		mustParse(t, "other.md", "code: news/story\ntitle: coded\ndate: 2024-01-03\ncategory: A"),
	}, nil)
	if snap.Len() != 1 || snap.Posts()[0].Path != "news/story.markdown" {
		t.Errorf("got %s from %d posts; want one item, the path that sorts first", ids(snap.Posts()), snap.Len())
	}
	if _, ok := snap.View(kind(t, "category").Key("a")); ok {
		t.Error("the category of the posts left out is there")
	}
	snap = set.Apply(nil, []string{"news/story.markdown"})
	if snap.Len() != 1 || snap.Posts()[0].Path != "news/story.md" {
		t.Errorf("after removing the kept one: %d posts, %s", snap.Len(), snap.Posts()[0].Path)
	}
}

// TestFixture: the fixture's feeds hold exactly the posts feedtest says,
// in order, whatever the order of scans.
func TestFixture(t *testing.T) {
	set, res := feedtest.Load(t, "posts")
	snap := set.Current()
	var want []string
	for _, p := range feedtest.Posts {
		want = append(want, p.ID)
	}
	if got := ids(snap.Posts()); got != strings.Join(want, ",") {
		t.Errorf("published %s, want %s", got, strings.Join(want, ","))
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "bad.md:1: missing date") {
		t.Errorf("problems %q, want bad.md's missing date", res.Problems)
	}
	for _, v := range feedtest.Views() {
		got, ok := snap.View(v.Key)
		if !ok {
			t.Errorf("no feed %s", v.Key.Dir())
			continue
		}
		page, _ := snap.Page(got, 1, 500)
		var want []string
		for _, p := range v.Posts {
			want = append(want, p.ID)
		}
		if ids(page) != strings.Join(want, ",") {
			t.Errorf("feed %s: %s, want %s", v.Key.Dir(), ids(page), strings.Join(want, ","))
		}
	}
	if p, ok := set.Post("draft.md"); !ok || !p.Draft {
		t.Error("the draft is not held")
	}
	if p, ok := set.Post("future.md"); !ok || !snap.NextDue.Equal(p.Date) {
		t.Errorf("future.md: held %v, next due %v", ok, snap.NextDue)
	}
}

// TestStage: staged posts and removals are not published, and release
// no body, until the next Apply, which publishes them with its own as
// one change.
func TestStage(t *testing.T) {
	store := newRecordingStore(feed.MemoryBodies())
	set := newSet(nil, store)
	parse := func(path, title, date string) *feed.Post {
		return mustParseBody(t, path, "code: "+strings.TrimSuffix(path, ".md")+"\ntitle: "+title+"\ndate: "+date, title+".")
	}
	before := set.Apply([]*feed.Post{parse("a.md", "a0", "2024-01-01"), parse("b.md", "b0", "2024-01-02")}, nil)
	c := set.Latest()
	set.Stage([]*feed.Post{parse("a.md", "a1", "2024-01-01"), parse("n1.md", "n1", "2024-01-03")}, nil)
	set.Stage([]*feed.Post{parse("n2.md", "n2", "2024-01-04")}, []string{"b.md"})
	if set.Current() != before || c.Next() != nil {
		t.Fatal("Stage published a snapshot")
	}
	if _, _, releases := store.counts(); releases != 0 {
		t.Errorf("%d bodies released before the staged posts were published", releases)
	}
	for _, p := range before.Posts() {
		if html, err := p.HTML(); err != nil || html != "<p>"+p.Title+".</p>" {
			t.Errorf("the current snapshot's %s while posts are staged: %q, %v", p.Path, html, err)
		}
	}
	snap := set.Apply([]*feed.Post{parse("n3.md", "n3", "2024-01-05")}, nil)
	c = next(t, c)
	if c.Snapshot != snap || c.Next() != nil {
		t.Fatal("the staged posts and the Apply's made more than one change")
	}
	if titles(snap.Posts()) != "n3=n3,n2=n2,n1=n1,a=a1" {
		t.Errorf("published %s", titles(snap.Posts()))
	}
	if ids(c.Published()) != "n3,n2,n1" || titles(c.Updated()) != "a=a1" || ids(c.Withdrawn()) != "b" {
		t.Errorf("Published %s, Updated %s, Withdrawn %s", ids(c.Published()), titles(c.Updated()), ids(c.Withdrawn()))
	}
	store.mu.Lock()
	released := slices.Clone(store.released)
	store.mu.Unlock()
	slices.Sort(released)
	if want := []string{"h<p>a0.</p>", "h<p>b0.</p>"}; !slices.Equal(released, want) {
		t.Errorf("released %q, want %q", released, want)
	}
}

// TestRefreshDuringStagedScan: a full scan stages a new version of a
// future-dated post (postponed by a day); before the scan's Apply, the old
// version's time comes and the due-post timer calls Refresh. The old
// version, no longer on disk, is never published, and the scan's change
// withdraws nothing that was never public.
func TestRefreshDuringStagedScan(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	set := newSet(clock.Now, nil)
	set.Apply([]*feed.Post{
		mustParse(t, "now.md", "code: NOW\ntitle: now\ndate: 2024-06-01T11:00:00Z"),
		mustParse(t, "embargo.md", "code: EMB\ntitle: v1\ndate: 2024-06-01T13:00:00Z"),
	}, nil)
	c := set.Latest()
	set.Stage([]*feed.Post{mustParse(t, "embargo.md", "code: EMB\ntitle: v2\ndate: 2024-06-02T13:00:00Z")}, nil)
	clock.Set(time.Date(2024, 6, 1, 13, 0, 1, 0, time.UTC))
	snap := set.Refresh()
	c = next(t, c)
	if got := titles(snap.Posts()); got != "NOW=now" {
		t.Errorf("Refresh during a staged scan published %s; want only NOW=now (EMB was postponed on disk)", got)
	}
	if got := titles(c.Published()); got != "" {
		t.Errorf("the Refresh's change publishes %s", got)
	}
	snap = set.Apply(nil, nil)
	c = next(t, c)
	if got := titles(snap.Posts()); got != "NOW=now" {
		t.Errorf("after the scan: %s", got)
	}
	if got := titles(c.Withdrawn()); got != "" {
		t.Errorf("the scan's change withdraws %s, which was never public", got)
	}
	clock.Set(time.Date(2024, 6, 2, 13, 0, 1, 0, time.UTC))
	if got := titles(set.Refresh().Posts()); got != "EMB=v2,NOW=now" {
		t.Errorf("at the new date: %s, want EMB=v2 published", got)
	}
}

// TestReapplyOwnPost: a post taken from the set and applied again, edited,
// keeps its body: the new record owns a copy, not the id the old record
// gives back.
func TestReapplyOwnPost(t *testing.T) {
	set := newSet(nil, nil)
	set.Apply([]*feed.Post{mustParseBody(t, "a.md", "code: A\ntitle: a\ndate: 2024-01-01", "Body.")}, nil)
	p, _ := set.Post("a.md")
	p.Title = "a, retitled"
	for range 2 { // the same Post object twice, too
		snap := set.Apply([]*feed.Post{p}, nil)
		if html, err := snap.Posts()[0].HTML(); err != nil || html != "<p>Body.</p>" {
			t.Errorf("the re-applied post's body: %q, %v", html, err)
		}
	}
}

// TestSetUnderConcurrentReaders: one writer (Apply, Stage, Refresh), its
// table renewed at every Apply and its body store compacting all the
// time, against readers rendering every feed of the current snapshot and a
// follower of every change. Under -race, a reader that sees a record
// change under it is reported; every post of the current snapshot always
// has its body.
func TestSetUnderConcurrentReaders(t *testing.T) {
	defer feed.SetRenewAbove(0)()
	store := newStore(t, bodies.Options{SegmentSize: 4 << 10, CompactAbove: 1})
	clock := &fakeClock{now: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
	set := newSet(clock.Now, store)
	site := feedtest.Site()
	mk := func(i, v int) *feed.Post {
		day := 1 + i%40 // some in the future
		return mustParseBody(t, fmt.Sprintf("p%d.md", i),
			fmt.Sprintf("code: P%d\ntitle: p%d v%d\ndate: 2024-%02d-%02dT00:00:00Z\ncategory: c%d\nauthor: a%d", i, i, v, 5+day/28, 1+day%28, i%5, i%3),
			strings.Repeat(fmt.Sprintf("body %d %d. ", i, v), 20))
	}
	var posts []*feed.Post
	for i := range 60 {
		posts = append(posts, mk(i, 0))
	}
	set.Apply(posts, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				snap := set.Current()
				for _, v := range snap.Views() {
					if d, ok := site.Document(snap, v, render.Atom, 1, 50); ok {
						_ = d.Render(io.Discard) // a body may be gone in an old snapshot
					}
				}
			}
		})
	}
	wg.Go(func() {
		for c := set.Latest(); ; {
			select {
			case <-ctx.Done():
				return
			case <-c.Done():
				if c = c.Next(); c == nil {
					t.Error("Next is nil after Done")
					return
				}
				for _, p := range append(append(c.Published(), c.Updated()...), c.Withdrawn()...) {
					_ = p.Title + p.Path
				}
			}
		}
	})
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 150 {
		var up []*feed.Post
		for range 1 + r.IntN(5) {
			up = append(up, mk(r.IntN(80), round+1))
		}
		var rm []string
		if r.IntN(3) == 0 {
			rm = append(rm, fmt.Sprintf("p%d.md", r.IntN(80)))
		}
		if r.IntN(2) == 0 {
			set.Stage(up, nil)
			clock.Set(clock.Now().Add(2 * time.Hour))
			set.Refresh()
			set.Apply(nil, rm)
		} else {
			set.Apply(up, rm)
		}
		for p := range set.Current().All() {
			if _, err := p.HTML(); err != nil {
				t.Fatalf("round %d: a post of the current snapshot: %v", round, err)
			}
		}
	}
	cancel()
	wg.Wait()
}
