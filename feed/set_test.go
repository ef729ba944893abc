package feed_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

func mustParse(t *testing.T, path, front string) *feed.Post {
	t.Helper()
	p, err := feed.Parse(path, post(front, ""), time.Time{}, testParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(posts []*feed.Post) string {
	var s []string
	for _, p := range posts {
		s = append(s, p.ID)
	}
	return strings.Join(s, ",")
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

func TestSetOrderAndViews(t *testing.T) {
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }})
	if set.Current() != nil {
		t.Fatal("a new set must have no snapshot, so the server is not ready")
	}
	snap := set.Apply([]*feed.Post{
		mustParse(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-02T00:00:00Z\ncategory: X\nlanguage: km"),
		mustParse(t, "a.md", "code: A\ntitle: a\ndate: 2024-01-02T07:00:00+07:00\ncategory: [X, Y]"),
		mustParse(t, "c.md", "code: C\ntitle: c\ndate: 2024-01-03T00:00:00Z\ncategory: y"),
		mustParse(t, "d.md", "code: D\ntitle: d\ndate: 2024-01-01T00:00:00Z"),
	}, nil)
	if got := ids(snap.Posts()); got != "C,A,B,D" {
		t.Errorf("order %s, want C,A,B,D (newest first, equal dates by id)", got)
	}
	tests := []struct {
		key  feed.ViewKey
		want string
	}{
		{feed.ViewKey{}, "C,A,B,D"},
		{feed.ViewKey{Category: "x"}, "A,B"},
		{feed.ViewKey{Category: "y"}, "C,A"},
		{feed.ViewKey{Language: "km"}, "B"},
		{feed.ViewKey{Language: "en"}, "C,A,D"},
		{feed.ViewKey{Category: "x", Language: "km"}, "B"},
		{feed.ViewKey{Category: "y", Language: "en"}, "C,A"},
	}
	for _, tt := range tests {
		v, ok := snap.View(tt.key)
		if !ok {
			t.Errorf("no view %+v", tt.key)
			continue
		}
		page, _ := snap.Page(v, 1, 50)
		if got := ids(page); got != tt.want {
			t.Errorf("view %+v: %s, want %s", tt.key, got, tt.want)
		}
	}
	if _, ok := snap.View(feed.ViewKey{Category: "x", Language: "zh"}); ok {
		t.Error("a pair no post has should not exist")
	}
	if n := len(snap.Views()); n != 8 { // all; x, y; en, km; x+en, x+km, y+en
		t.Errorf("%d views, want 8", n)
	}
	v, _ := snap.View(feed.ViewKey{})
	if p, ok := snap.Page(v, 2, 3); !ok || ids(p) != "D" {
		t.Errorf("page 2 of 3 per page: %s, %v; want D", ids(p), ok)
	}
	if _, ok := snap.Page(v, 3, 3); ok {
		t.Error("page 3 of a 2-page view should be past the end")
	}
	if v.Pages(3) != 2 || v.Pages(50) != 1 {
		t.Errorf("Pages: %d and %d, want 2 and 1", v.Pages(3), v.Pages(50))
	}
}

func TestSetApplyEditsAndRemoves(t *testing.T) {
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }})
	first := set.Apply([]*feed.Post{
		mustParse(t, "a.md", "code: A\ntitle: old\ndate: 2024-01-01"),
		mustParse(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-02"),
	}, nil)
	second := set.Apply([]*feed.Post{mustParse(t, "a.md", "code: A\ntitle: new\ndate: 2024-01-01")}, []string{"b.md"})
	if ids(second.Posts()) != "A" || second.Posts()[0].Title != "new" {
		t.Errorf("after an edit of a.md and removal of b.md: %s %q", ids(second.Posts()), second.Posts()[0].Title)
	}
	if ids(first.Posts()) != "B,A" || first.Posts()[1].Title != "old" {
		t.Error("an earlier snapshot must not change when a new one is published")
	}
	if second.Version <= first.Version {
		t.Errorf("versions %d then %d should increase", first.Version, second.Version)
	}
	// A draft leaves the feeds; publishing it brings it back.
	third := set.Apply([]*feed.Post{mustParse(t, "a.md", "code: A\ntitle: new\ndate: 2024-01-01\ndraft: true")}, nil)
	if third.Len() != 0 {
		t.Errorf("a draft is in the feeds: %s", ids(third.Posts()))
	}
}

func TestSetDuplicateCodes(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	a := mustParse(t, "z/a.md", "code: SAME\ntitle: from z\ndate: 2024-01-01")
	b := mustParse(t, "b/a.md", "code: SAME\ntitle: from b\ndate: 2024-01-02")
	// Whatever the order the files arrive in, the path that sorts first wins.
	for _, order := range [][]*feed.Post{{a, b}, {b, a}} {
		logs.Reset()
		set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: log})
		set.Apply(order[:1], nil)
		snap := set.Apply(order[1:], nil)
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
	}
}

func TestSetFuturePosts(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	set := feed.NewSet(feed.SetOptions{Now: clock.Now})
	snap := set.Apply([]*feed.Post{
		mustParse(t, "now.md", "code: NOW\ntitle: now\ndate: 2024-06-01T11:00:00Z"),
		mustParse(t, "soon.md", "code: SOON\ntitle: soon\ndate: 2024-06-01T13:00:00Z\ncategory: Later"),
		mustParse(t, "later.md", "code: LATER\ntitle: later\ndate: 2024-06-02T00:00:00Z"),
	}, nil)
	if ids(snap.Posts()) != "NOW" {
		t.Errorf("published %s, want only NOW", ids(snap.Posts()))
	}
	if _, ok := snap.View(feed.ViewKey{Category: "later"}); ok {
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
	if _, ok := snap.View(feed.ViewKey{Category: "later"}); !ok {
		t.Error("the category should appear with its first due post")
	}
	if want := time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC); !snap.NextDue.Equal(want) {
		t.Errorf("NextDue %v, want %v", snap.NextDue, want)
	}
}

// snapshotShape describes everything a snapshot serves, for comparisons.
func snapshotShape(s *feed.Snapshot) string {
	var b strings.Builder
	for _, v := range s.Views() {
		page, _ := s.Page(v, 1, 1<<20)
		fmt.Fprintf(&b, "%+v name=%q lang=%q newest=%s: %s\n", v.Key, v.CategoryName, v.Language, v.Newest.Format(time.RFC3339), ids(page))
	}
	fmt.Fprintf(&b, "posts=%s next=%s", ids(s.Posts()), s.NextDue.Format(time.RFC3339))
	return b.String()
}

// TestSetIncrementalMatchesRebuild: after any sequence of edits, removals,
// duplicate codes, drafts and clock moves, the snapshot the set builds
// change by change is the one a fresh set builds from the same posts.
func TestSetIncrementalMatchesRebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	clock := &fakeClock{now: time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)}
	set := feed.NewSet(feed.SetOptions{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	files := map[string]*feed.Post{}
	cats := []string{"News", "news", "Sport", "World"}
	for step := range 1500 {
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
			front := fmt.Sprintf("code: C%02d\ntitle: t%d\ndate: 2024-01-%02dT00:00:00Z\nlanguage: %s\ncategories: [%s, %s]",
				rng.IntN(30), step, 1+rng.IntN(20), []string{"en", "km", "EN-us"}[rng.IntN(3)],
				cats[rng.IntN(len(cats))], cats[rng.IntN(len(cats))])
			if rng.IntN(10) == 0 {
				front += "\ndraft: true"
			}
			p := mustParse(t, path, front)
			up = append(up, p)
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
		fresh := feed.NewSet(feed.SetOptions{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		want := fresh.Apply(slices.Collect(maps.Values(files)), nil)
		if g, w := snapshotShape(got), snapshotShape(want); g != w {
			t.Fatalf("step %d: the incremental snapshot differs from a rebuild:\n%s\nwant:\n%s", step, g, w)
		}
	}
}

// TestNoDuplicateIDsEver: a post without a code whose path-derived id equals
// another post's code, and two files that differ only in their extension,
// still give one item per id.
func TestNoDuplicateIDsEver(t *testing.T) {
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	snap := set.Apply([]*feed.Post{
		mustParse(t, "news/story.md", "title: derived\ndate: 2024-01-01"),
		mustParse(t, "news/story.markdown", "title: derived too\ndate: 2024-01-02"),
		mustParse(t, "other.md", "code: news/story\ntitle: coded\ndate: 2024-01-03"),
	}, nil)
	if snap.Len() != 1 || snap.Posts()[0].Path != "news/story.markdown" {
		t.Errorf("got %s from %d posts; want one item, the path that sorts first", ids(snap.Posts()), snap.Len())
	}
}
