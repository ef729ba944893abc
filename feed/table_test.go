package feed_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/watcher"
)

// TestArchiveHeapObjects: the set holds its posts in a few large objects
// without pointers, not objects per post (a Post each, as before, was
// 17,000 objects here): every garbage collection (one a
// second or so under load) traces the heap's pointers, and an archive of
// posts with pointers made cached responses about 10 % slower (issue 6).
func TestArchiveHeapObjects(t *testing.T) {
	const n = 5000
	objects := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapObjects
	}
	before := objects()
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	set.Apply(benchPosts(t, n, nil), nil) // the Posts given are not kept
	after := objects()
	got := int64(after) - int64(before)
	if got > n/10 {
		t.Errorf("%d posts held as %d heap objects, want under %d", n, got, n/10)
	}
	t.Logf("%d posts held as %d heap objects", n, got)
	if snap := set.Current(); snap.Len() != n || snap.Posts()[n-1].ID != "P0000000" {
		t.Errorf("%d posts published, the oldest %s", snap.Len(), snap.Posts()[n-1].ID)
	}
	runtime.KeepAlive(set)
}

// TestRenewKeepsSnapshots: edits make the set let go of dead text and of
// body files (a new table each time); a snapshot taken before them, still
// being read, renders the same bytes after those of its table are dropped
// and the collector has run, and the current one has every edit. The
// records do not grow with edits.
func TestRenewKeepsSnapshots(t *testing.T) {
	defer feed.SetRenewAbove(16 << 10)()
	for _, stored := range []bool{false, true} {
		t.Run(fmt.Sprintf("stored=%v", stored), func(t *testing.T) {
			opt := testParseOptions()
			if stored {
				opt.Bodies = newStore(t, feed.BodyStoreOptions{SegmentSize: 16 << 10})
			}
			set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
			parse := func(i, version int) *feed.Post {
				body := strings.Repeat(fmt.Sprintf("%d/%d ", i, version), 100)
				text := fmt.Sprintf("---\ncode: C%d\ntitle: Post %d v%d\ncategory: Cat %d\ndate: 2024-01-%02d\n---\n%s\n", i, i, version, i%3, 1+i, body)
				p, err := feed.Parse(fmt.Sprintf("p%d.md", i), []byte(text), time.Time{}, opt)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			const n = 20
			var batch []*feed.Post
			for i := range n {
				batch = append(batch, parse(i, 0))
			}
			old := set.Apply(batch, nil)
			want := renderSnapshot(t, old)

			const edits = 1000
			for v := 1; v <= edits; v++ {
				set.Apply([]*feed.Post{parse(v%n, v)}, nil)
			}
			runtime.GC()
			runtime.GC()
			got := renderSnapshot(t, old)
			if len(got) != len(want) {
				t.Fatalf("%d documents, want %d", len(got), len(want))
			}
			for u, w := range want {
				if !bytes.Equal(got[u], w) {
					t.Errorf("%s of the old snapshot changed once the set moved on:\n%.300s", u, got[u])
				}
			}
			for _, p := range set.Current().Posts() {
				var i int
				fmt.Sscanf(p.Path, "p%d.md", &i)
				v := edits - (edits-i)%n
				if html, err := p.HTML(); err != nil || p.Title != fmt.Sprintf("Post %d v%d", i, v) || !strings.HasPrefix(html, fmt.Sprintf("<p>%d/%d ", i, v)) {
					t.Errorf("%s: %q, %.20q, %v; want version %d", p.Path, p.Title, html, err, v)
				}
			}
			held, all := set.TextBytes()
			if all > 2*held+16<<10+4<<10 {
				t.Errorf("the table keeps %d bytes of text for %d held", all, held)
			}
			if r := set.Records(); r > 10*n {
				t.Errorf("%d records for %d posts after %d edits", r, n, edits)
			}
		})
	}
}

// TestFillFollowsRenewal: the background rendering of deferred bodies
// walks the set's latest snapshot, so that when edits start a new table
// while it runs, the bodies it renders are the new table's: none is left
// deferred, to be rendered again when first asked for.
func TestFillFollowsRenewal(t *testing.T) {
	defer feed.SetRenewAbove(-1 << 40)() // every change starts a new table
	const n = 20
	dir := t.TempDir()
	store := newStore(t, feed.BodyStoreOptions{ReadPost: watcher.FileReader(dir)})
	opt := testParseOptions()
	opt.Bodies = store
	parse := func(i int, deferred bool) *feed.Post {
		date := fmt.Sprintf("2024-01-%02d", 1+i)
		if i >= n { // older than the rest: the walk's next posts keep their places
			date = fmt.Sprintf("2023-01-%02d", 1+i-n)
		}
		text := fmt.Sprintf("---\ntitle: Post %d\ndescription: About %d.\ndate: %s\n---\nBody %d.\n", i, i, date, i)
		name := fmt.Sprintf("p%d.md", i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		o := opt
		o.DeferBodies = deferred
		p, err := feed.Parse(name, []byte(text), time.Time{}, o)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	var batch []*feed.Post
	for i := range n {
		batch = append(batch, parse(i, true))
	}
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	set.Apply(batch, nil)
	seen := 0
	edits := func(yield func(*feed.Post) bool) {
		for p := range set.Published() {
			if !yield(p) {
				return
			}
			if seen++; seen%5 == 0 {
				set.Apply([]*feed.Post{parse(n+seen, false)}, nil) // a new post, a new table
			}
		}
	}
	store.Fill(context.Background(), edits)
	for _, p := range set.Current().Posts() {
		if p.StoredBody().Deferred() {
			t.Errorf("%s is still deferred after the background rendering", p.Path)
		}
	}
}
