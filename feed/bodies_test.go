package feed_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/bench/corpus"
	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/watcher"
)

// recordingStore is a BodyStore that notes what the set asks of the
// store it wraps.
type recordingStore struct {
	feed.BodyStore
	mu       sync.Mutex
	put      map[uint64]string // what each id was put with
	puts     int
	replaced []string // what each Replace wrote, in order
	released []string // what each released id was put with, in order
	releases int
	// onRelease and onReplace, if set, are called after each Release
	// and Replace.
	onRelease func(id uint64)
	onReplace func()
}

func newRecordingStore(store feed.BodyStore) *recordingStore {
	return &recordingStore{BodyStore: store, put: map[uint64]string{}}
}

func (r *recordingStore) Put(b []byte) (uint64, error) {
	id, err := r.BodyStore.Put(b)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.puts++
	r.put[id] = string(b)
	return id, err
}

func (r *recordingStore) Replace(id uint64, b []byte) error {
	r.mu.Lock()
	r.replaced = append(r.replaced, string(b))
	r.mu.Unlock()
	err := r.BodyStore.Replace(id, b)
	if r.onReplace != nil {
		r.onReplace()
	}
	return err
}

func (r *recordingStore) Release(id uint64) {
	r.mu.Lock()
	r.released = append(r.released, r.put[id])
	r.releases++
	r.mu.Unlock()
	r.BodyStore.Release(id)
	if r.onRelease != nil {
		r.onRelease(id)
	}
}

// counts are how many Puts, Replaces and Releases the store saw.
func (r *recordingStore) counts() (puts, replaces, releases int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.puts, len(r.replaced), r.releases
}

// copyTree copies the posts under src into a new directory, adding a post
// that starts with a byte order mark and one with CRLF line ends.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string]string{
		"bom.md":  "\ufeff---\ntitle: BOM\ndescription: Starts with a byte order mark.\ndate: 2024-05-01\n---\nA *body* after a [BOM](/bom).\n",
		"crlf.md": "---\r\ntitle: CRLF\r\ndescription: Windows line ends.\r\ndate: 2024-05-02\r\n---\r\n\r\nFirst paragraph.\r\n\r\n- one\r\n- two\r\n",
	}
	for name, text := range extra {
		if err := os.WriteFile(filepath.Join(dst, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestBodiesSameBytes: feeds are byte for byte the same whether bodies are
// kept in the set's memory or in a bodies.Store, rendered as they are
// parsed or deferred and rendered when first read (and read rendered from
// the store after), and whether or not the posts' files are still there:
// no request reads a post file.
func TestBodiesSameBytes(t *testing.T) {
	for _, src := range []string{feedtest.Dir("posts"), feedtest.Dir("awkward"), feedtest.Samples()} {
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := copyTree(t, src)
			load := func(set *feed.Set, opt parse.Options) *feed.Snapshot {
				res, err := watcher.Scan(dir, opt, set.Prepare)
				if err != nil {
					t.Fatal(err)
				}
				return set.Apply(res.Posts, nil)
			}
			want := renderSnapshot(t, load(newSet(nil, nil), feedtest.ParseOptions()))

			deferred := feedtest.ParseOptions()
			deferred.DeferBodies = true
			variants := []struct {
				name  string
				set   *feed.Set
				opt   parse.Options
				store *recordingStore
			}{
				{"memory, deferred", newSet(nil, nil), deferred, nil},
				{"bodies.Store", nil, feedtest.ParseOptions(), newRecordingStore(newStore(t, bodies.Options{}))},
				{"bodies.Store, deferred", nil, deferred, newRecordingStore(newStore(t, bodies.Options{}))},
			}
			snaps := make([]*feed.Snapshot, len(variants))
			for i, v := range variants {
				if v.store != nil {
					variants[i].set = newSet(nil, v.store)
				}
				snaps[i] = load(variants[i].set, v.opt)
				nDeferred := 0
				for p := range snaps[i].All() {
					if p.Deferred() {
						nDeferred++
					}
				}
				if v.opt.DeferBodies != (nDeferred > 0) {
					t.Errorf("%s: %d bodies deferred", v.name, nDeferred)
				}
			}
			// The files gone: every body is read from the set's store.
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			for i, v := range variants {
				// Twice: the second time deferred bodies are read rendered.
				for round := range 2 {
					got := renderSnapshot(t, snaps[i])
					if len(got) != len(want) {
						t.Errorf("%s: %d documents, want %d", v.name, len(got), len(want))
					}
					for u, w := range want {
						if !bytes.Equal(got[u], w) {
							t.Errorf("%s, round %d: %s differs from the in-memory rendering:\n%s\nwant:\n%s", v.name, round, u, got[u], w)
						}
					}
				}
				for p := range snaps[i].All() {
					if p.Deferred() {
						t.Errorf("%s: %s is still deferred after being read", v.name, p.Path)
					}
				}
				if v.store != nil {
					puts, _, releases := v.store.counts()
					if held := snaps[i].Len(); puts < held || releases != 0 {
						t.Errorf("%s: %d bodies put for %d posts, %d released", v.name, puts, held, releases)
					}
				}
			}
		})
	}
}

// TestPrepareThenApply: a post prepared into the set's store (as the
// watcher does when it reads a post) has its body put once: preparing it
// again or applying it puts nothing more. Apply prepares a post that was
// not.
func TestPrepareThenApply(t *testing.T) {
	for _, name := range []string{"bodies.Store", "in memory"} {
		t.Run(name, func(t *testing.T) {
			var inner feed.BodyStore = feed.MemoryBodies()
			if name == "bodies.Store" {
				inner = newStore(t, bodies.Options{})
			}
			store := newRecordingStore(inner)
			set := newSet(nil, store)
			var posts []*feed.Post
			for i := range 3 {
				p := mustParseBody(t, fmt.Sprintf("p%d.md", i), fmt.Sprintf("code: P%d\ntitle: t\ndate: 2024-01-0%d", i, i+1), fmt.Sprintf("Body %d.", i))
				for range 2 {
					if err := set.Prepare(p); err != nil {
						t.Fatal(err)
					}
				}
				posts = append(posts, p)
			}
			if puts, _, _ := store.counts(); puts != 3 {
				t.Errorf("3 posts prepared twice each: %d bodies put", puts)
			}
			if set.Current() != nil {
				t.Error("Prepare published a snapshot")
			}
			snap := set.Apply(append(posts, mustParseBody(t, "p3.md", "code: P3\ntitle: t\ndate: 2024-01-04", "Body 3.")), nil)
			if puts, _, releases := store.counts(); puts != 4 || releases != 0 {
				t.Errorf("applying 3 prepared posts and 1 not: %d bodies put, %d released; want 4 and 0", puts, releases)
			}
			for _, p := range snap.Posts() {
				if html, err := p.HTML(); err != nil || html != "<p>Body "+strings.TrimPrefix(p.ID, "P")+".</p>" {
					t.Errorf("%s: %q, %v", p.Path, html, err)
				}
			}
		})
	}
}

// TestEditsReleaseBodies: an edit, a removal or a draft releases the old
// version's body, right after the snapshot without it is published: an
// older snapshot then fails to read it, the current one reads the new
// version. Across 1,000 edits the store holds one body per post.
func TestEditsReleaseBodies(t *testing.T) {
	for _, name := range []string{"memory", "bodies.Store"} {
		t.Run(name, func(t *testing.T) {
			var store *recordingStore
			var set *feed.Set
			var disk *bodies.Store
			if name == "memory" {
				set = newSet(nil, nil)
			} else {
				disk = newStore(t, bodies.Options{SegmentSize: 64 << 10, CompactAbove: 64 << 10})
				store = newRecordingStore(disk)
				set = newSet(nil, store)
				store.onRelease = func(uint64) {
					// The snapshot without the body was out before it went.
					for p := range set.Current().All() {
						if _, err := p.HTML(); err != nil {
							t.Errorf("a body was released while the current snapshot lists it: %v", err)
						}
					}
				}
			}
			parse := func(path, version string, extra string) *feed.Post {
				return mustParseBody(t, path, "code: "+path+"\ntitle: "+version+"\ndate: 2024-01-01"+extra, "Body of "+path+" "+version+".")
			}
			first := set.Apply([]*feed.Post{parse("a.md", "v0", ""), parse("b.md", "v0", ""), parse("c.md", "v0", "")}, nil)
			firstPosts := first.Posts()
			read := func(snap []*feed.Post, path string) (string, error) {
				for _, p := range snap {
					if p.Path == path {
						return p.HTML()
					}
				}
				return "", fmt.Errorf("%s not listed", path)
			}
			released := func(want ...string) {
				t.Helper()
				if store == nil {
					return
				}
				store.mu.Lock()
				got := slices.Clone(store.released)
				store.released = nil
				store.mu.Unlock()
				for i := range got {
					got[i] = strings.TrimSuffix(strings.TrimPrefix(got[i], "h<p>Body of "), ".</p>")
				}
				if !slices.Equal(got, want) {
					t.Errorf("released %q, want %q", got, want)
				}
			}

			second := set.Apply([]*feed.Post{parse("a.md", "v1", "")}, nil)
			released("a.md v0")
			if _, err := read(firstPosts, "a.md"); err == nil {
				t.Error("the first snapshot still reads a.md's old body after the edit")
			}
			if html, err := read(firstPosts, "b.md"); err != nil || html != "<p>Body of b.md v0.</p>" {
				t.Errorf("the first snapshot's b.md: %q, %v", html, err)
			}
			if html, err := read(second.Posts(), "a.md"); err != nil || html != "<p>Body of a.md v1.</p>" {
				t.Errorf("the current a.md: %q, %v", html, err)
			}

			set.Apply(nil, []string{"b.md"})
			released("b.md v0")
			if _, err := read(firstPosts, "b.md"); err == nil {
				t.Error("the first snapshot still reads b.md's body after its removal")
			}
			set.Apply([]*feed.Post{parse("c.md", "v1", "\ndraft: true")}, nil)
			released("c.md v0")
			set.Apply(nil, []string{"c.md"})
			released("c.md v1")
			set.Apply([]*feed.Post{parse("a.md", "v1", "")}, nil) // saved again unchanged
			released("a.md v1")

			const edits = 1000
			for v := 2; v < 2+edits; v++ {
				set.Apply([]*feed.Post{parse("a.md", fmt.Sprintf("v%d", v), ""), parse(fmt.Sprintf("n%d.md", v%7), "v0", "")}, nil)
			}
			if html, err := read(set.Current().Posts(), "a.md"); err != nil || html != fmt.Sprintf("<p>Body of a.md v%d.</p>", edits+1) {
				t.Errorf("after %d edits: %q, %v", edits, html, err)
			}
			if disk != nil {
				if s := disk.Stats(); s.Bodies != 1+7 {
					t.Errorf("after %d edits of 8 posts, the store holds %d bodies", edits, s.Bodies)
				}
				if puts, _, releases := store.counts(); puts-releases != 8 {
					t.Errorf("%d bodies put, %d released, for 8 posts", puts, releases)
				}
			}
		})
	}
}

// TestDeferredBodyRenderedOnce: a deferred body is rendered the first time
// it is read, and stored rendered: later reads, from any snapshot, read
// the HTML without rendering again.
func TestDeferredBodyRenderedOnce(t *testing.T) {
	opt := feedtest.ParseOptions()
	opt.DeferBodies = true
	for _, name := range []string{"memory", "bodies.Store"} {
		t.Run(name, func(t *testing.T) {
			var store *recordingStore
			set := newSet(nil, nil)
			if name == "bodies.Store" {
				store = newRecordingStore(newStore(t, bodies.Options{}))
				set = newSet(nil, store)
			}
			p, err := parse.Post("news/x.md", post("title: T\ndescription: About it.\ndate: 2024-01-01", "Some *Markdown* with a [link](a)."), time.Time{}, opt)
			if err != nil {
				t.Fatal(err)
			}
			snap := set.Apply([]*feed.Post{p}, nil)
			first := snap.Posts()[0]
			if !first.Deferred() {
				t.Fatal("not deferred in the set")
			}
			want := `<p>Some <em>Markdown</em> with a <a href="https://www.example.com/news/a">link</a>.</p>`
			for i := range 3 {
				if i == 2 {
					snap = set.Refresh() // another snapshot reads the same body
				}
				if got, err := snap.Posts()[0].HTML(); err != nil || got != want {
					t.Errorf("read %d: %q, %v; want %q", i+1, got, err, want)
				}
			}
			if first.Deferred() {
				t.Error("still deferred after being read")
			}
			if store != nil {
				if _, replaces, _ := store.counts(); replaces != 1 || store.replaced[0] != "h"+want {
					t.Errorf("rendered and stored %d times (%q), want once", replaces, store.replaced)
				}
			}
		})
	}
}

// TestRenderBodies: RenderBodies renders every deferred body of the
// published posts, newest first, and says how many; drafts and posts not
// yet due wait; a second call has nothing left to do; a cancelled
// context stops it.
func TestRenderBodies(t *testing.T) {
	opt := feedtest.ParseOptions()
	opt.DeferBodies = true
	var posts []*feed.Post
	for i := range 20 {
		front := fmt.Sprintf("title: Post %d\ndescription: About %d.\ndate: 2024-01-%02d", i, i, 1+i)
		if i == 3 {
			front = fmt.Sprintf("title: Post %d\ndate: 2024-01-%02d", i, 1+i) // no description: rendered at once
		}
		p, err := parse.Post(fmt.Sprintf("p%02d.md", i), post(front, fmt.Sprintf("Body %d.", i)), time.Time{}, opt)
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, p)
	}
	for _, front := range []string{"title: Draft\ndescription: d\ndate: 2024-01-01\ndraft: true", "title: Future\ndescription: f\ndate: 2030-01-01"} {
		p, err := parse.Post(strings.Fields(front)[1]+".md", post(front, "Not yet."), time.Time{}, opt)
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, p)
	}

	store := newRecordingStore(newStore(t, bodies.Options{}))
	set := newSet(nil, store)
	snap := set.Apply(posts, nil)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if n := set.RenderBodies(cancelled); n != 0 {
		t.Errorf("RenderBodies with a cancelled context rendered %d", n)
	}
	if n := set.RenderBodies(context.Background()); n != 19 {
		t.Errorf("RenderBodies rendered %d bodies, want the 19 deferred ones published", n)
	}
	var order []string
	for _, html := range store.replaced {
		order = append(order, strings.TrimSuffix(strings.TrimPrefix(html, "h<p>Body "), ".</p>"))
	}
	if want := "19,18,17,16,15,14,13,12,11,10,9,8,7,6,5,4,2,1,0"; strings.Join(order, ",") != want {
		t.Errorf("rendered in the order %s, want newest first: %s", strings.Join(order, ","), want)
	}
	for p := range snap.All() {
		if p.Deferred() {
			t.Errorf("%s still deferred", p.Path)
		}
	}
	for _, path := range []string{"Draft.md", "Future.md"} {
		if p, ok := set.Post(path); !ok || !p.Deferred() {
			t.Errorf("%s: held %v, rendered though not published", path, ok)
		}
	}
	if n := set.RenderBodies(context.Background()); n != 0 {
		t.Errorf("a second RenderBodies rendered %d", n)
	}
}

// TestRenderBodiesFollowsChanges: RenderBodies walks the latest snapshot
// as it goes: posts published while it runs (older than those it has
// rendered, so after them in the walk, and each in a new table) are
// rendered too.
func TestRenderBodiesFollowsChanges(t *testing.T) {
	defer feed.SetRenewAbove(-1 << 40)() // every change starts a new table
	opt := feedtest.ParseOptions()
	opt.DeferBodies = true
	parse := func(i int, date string) *feed.Post {
		p, err := parse.Post(fmt.Sprintf("p%d.md", i), post(fmt.Sprintf("title: Post %d\ndescription: About %d.\ndate: %s", i, i, date), fmt.Sprintf("Body %d.", i)), time.Time{}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const n = 20
	var batch []*feed.Post
	for i := range n {
		batch = append(batch, parse(i, fmt.Sprintf("2024-01-%02d", 1+i)))
	}
	store := newRecordingStore(feed.MemoryBodies())
	set := newSet(nil, store)
	set.Apply(batch, nil)
	added := 0
	store.onReplace = func() {
		if _, replaces, _ := store.counts(); replaces%5 == 0 && added < 4 {
			added++
			set.Apply([]*feed.Post{parse(n+added, fmt.Sprintf("2023-01-%02d", 10-added))}, nil)
		}
	}
	if got := set.RenderBodies(context.Background()); got != n+4 || added != 4 {
		t.Errorf("RenderBodies rendered %d bodies, with %d posts published as it ran; want %d", got, added, n+4)
	}
	for p := range set.Current().All() {
		if p.Deferred() {
			t.Errorf("%s is still deferred", p.Path)
		}
	}
}

// TestBodiesOutOfMemory: with a bodies.Store, the heap holds what feeds
// list, not the bodies: reading 2,000 posts of 4 to 5 KB as the watcher's
// start-up scan does (bodies deferred, each post prepared into the store
// as it is read) grows it by less than a third of what keeping the bodies
// does.
func TestBodiesOutOfMemory(t *testing.T) {
	const n = 2000
	files := make([][]byte, n)
	for i := range files {
		_, files[i] = corpus.Post(1, i, n)
	}
	opt := feedtest.ParseOptions()
	opt.DeferBodies = true
	heapAfter := func(set *feed.Set) (uint64, []*feed.Post) {
		runtime.GC() // twice: sync.Pools keep their objects one cycle more
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		posts := make([]*feed.Post, n)
		for i, data := range files {
			// A fresh copy, as reading the file gives: what a post that
			// keeps its body in memory holds on to.
			p, err := parse.Post(fmt.Sprintf("p%d.md", i), bytes.Clone(data), time.Time{}, opt)
			if err != nil {
				t.Fatal(err)
			}
			if set != nil {
				if err := set.Prepare(p); err != nil {
					t.Fatal(err)
				}
			}
			posts[i] = p
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		return after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc), posts
	}
	inMemory, a := heapAfter(nil)
	stored, b := heapAfter(newSet(nil, newStore(t, bodies.Options{})))
	t.Logf("heap growth for %d posts: %d KB with bodies in memory, %d KB with a bodies.Store", n, inMemory>>10, stored>>10)
	if stored*3 > inMemory {
		t.Errorf("the body store saves too little: %d KB against %d KB", stored>>10, inMemory>>10)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(files)
}
