package feed_test

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
)

// TestArchiveHeapObjects: the set holds its posts in a few large objects
// without pointers, not objects per post, and a bodies.Store keeps their
// bodies in files: every garbage collection (one a second or so under
// load) traces the heap's pointers, and an archive of posts with pointers
// would make each cost more as the archive grows.
func TestArchiveHeapObjects(t *testing.T) {
	const n = 5000
	objects := func() uint64 {
		runtime.GC() // twice: sync.Pools keep their objects one cycle more
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapObjects
	}
	a := newArchive(t, 200, feedtest.ParseOptions())
	store := newStore(t, bodies.Options{})
	before := objects()
	set := newSet(nil, store)
	set.Apply(a.posts(n), nil) // the Posts given are not kept
	got := int64(objects()) - int64(before)
	t.Logf("%d posts held as %d heap objects", n, got)
	if got > 500 {
		t.Errorf("%d posts held as %d heap objects, want a few hundred at most", n, got)
	}
	if snap := set.Current(); snap.Len() != n || snap.Posts()[n-1].ID != "P0000000" {
		t.Errorf("%d posts published, the oldest %s", snap.Len(), snap.Posts()[n-1].ID)
	}
	if s := store.Stats(); s.Bodies != n {
		t.Errorf("the store holds %d bodies for %d posts", s.Bodies, n)
	}
	runtime.KeepAlive(set)
	runtime.KeepAlive(a) // its posts, alive before as after
}

// TestOldSnapshotsAfterEdits: a snapshot taken before many edits (which
// make the set copy what it holds into new tables and release the old
// bodies) still reads every post's fields as they were, renders the
// feeds none of whose posts changed byte for byte as before, and for the
// others reports that a body is gone: never other bytes. The current
// snapshot has every edit, and the records, text and bodies held do not
// grow with edits.
func TestOldSnapshotsAfterEdits(t *testing.T) {
	defer feed.SetRenewAbove(16 << 10)()
	for _, stored := range []bool{false, true} {
		t.Run(fmt.Sprintf("bodies.Store=%v", stored), func(t *testing.T) {
			var store *bodies.Store
			var set *feed.Set
			if stored {
				store = newStore(t, bodies.Options{SegmentSize: 16 << 10, CompactAbove: 32 << 10})
				set = newSet(nil, store)
			} else {
				set = newSet(nil, nil)
			}
			// Posts 0 to 9 are edited, in categories edited-0 to
			// edited-2; posts 10 to 19, in category still, never are.
			const n, edited = 20, 10
			parse := func(i, version int) *feed.Post {
				cat := fmt.Sprintf("Edited %d", i%3)
				if i >= edited {
					cat = "Still"
				}
				body := strings.Repeat(fmt.Sprintf("%d/%d ", i, version), 100)
				return mustParseBody(t, fmt.Sprintf("p%d.md", i),
					fmt.Sprintf("code: C%d\ntitle: Post %d v%d\ncategory: %s\ndate: 2024-01-%02d", i, i, version, cat, 1+i), body)
			}
			var batch []*feed.Post
			for i := range n {
				batch = append(batch, parse(i, 0))
			}
			old := set.Apply(batch, nil)
			want := renderSnapshot(t, old)

			const edits = 1000
			for v := 1; v <= edits; v++ {
				set.Apply([]*feed.Post{parse(v%edited, v)}, nil)
			}
			runtime.GC()

			for i, p := range old.Posts() {
				if want := fmt.Sprintf("Post %d v0", n-1-i); p.Title != want {
					t.Errorf("the old snapshot's post %d reads %q, want %q", i, p.Title, want)
				}
			}
			for _, v := range old.Views() {
				page, _ := old.Page(v, 1, 500)
				stale := slices.ContainsFunc(page, func(p *feed.Post) bool {
					var i int
					fmt.Sscanf(p.ID, "C%d", &i)
					return i < edited
				})
				for _, f := range render.Formats {
					url := v.Key.Dir() + f.File
					got, err := feedtest.Render(old, v, f)
					switch {
					case err == nil && !bytes.Equal(got, want[url]):
						t.Errorf("%s of the old snapshot changed once the set moved on:\n%.300s", url, got)
					case err != nil && !stale:
						t.Errorf("%s of the old snapshot lists no edited post, yet: %v", url, err)
					case err == nil && stale:
						t.Errorf("%s of the old snapshot lists edited posts, whose old bodies are released, yet rendered", url)
					}
				}
			}

			for _, p := range set.Current().Posts() {
				var i int
				fmt.Sscanf(p.Path, "p%d.md", &i)
				v := 0
				if i < edited {
					v = edits - (edits-i)%edited
				}
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
			if store != nil {
				if s := store.Stats(); s.Bodies != n {
					t.Errorf("the store holds %d bodies for %d posts after %d edits", s.Bodies, n, edits)
				}
			}
		})
	}
}
