package feed_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/bench/corpus"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/watcher"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newStore(t testing.TB, opt feed.BodyStoreOptions) *feed.BodyStore {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	opt.Logger = quiet
	s, err := feed.NewBodyStore(opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// copyTree copies the posts under src into a new directory, adding a post
// that starts with a byte order mark and one with CRLF line ends: the
// offsets a deferred body is read back from must count both.
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

// renderAll renders page 1 of every view in every format.
func renderAll(t *testing.T, posts []*feed.Post) map[string][]byte {
	t.Helper()
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	return renderSnapshot(t, set.Apply(posts, nil))
}

// renderSnapshot renders every feed of snap, in every format, by URL.
func renderSnapshot(t *testing.T, snap *feed.Snapshot) map[string][]byte {
	t.Helper()
	site := testSite()
	out := map[string][]byte{}
	for _, v := range snap.Views() {
		for _, f := range feed.Formats {
			doc, _ := site.NewDocument(snap, v, f, 1, 500)
			var buf bytes.Buffer
			if err := doc.Render(&buf); err != nil {
				t.Fatalf("%s: %v", doc.SelfURL(), err)
			}
			out[doc.SelfURL()] = buf.Bytes()
		}
	}
	return out
}

// TestBodyStoreSameBytes: feeds are byte for byte the same whether bodies
// are kept in memory, written to the store as they are parsed, or deferred
// and rendered from the files when first read (and from the store after).
func TestBodyStoreSameBytes(t *testing.T) {
	for _, src := range []string{"testdata/posts", "testdata/awkward", "../posts"} {
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := copyTree(t, src)
			scan := func(opt feed.ParseOptions) []*feed.Post {
				res, err := watcher.Scan(dir, opt)
				if err != nil {
					t.Fatal(err)
				}
				return res.Posts
			}
			memory := scan(testParseOptions())
			want := renderAll(t, memory)

			stored := testParseOptions()
			stored.Bodies = newStore(t, feed.BodyStoreOptions{})
			deferred := testParseOptions()
			deferred.Bodies = newStore(t, feed.BodyStoreOptions{ReadPost: watcher.FileReader(dir)})
			deferred.DeferBodies = true
			for name, opt := range map[string]feed.ParseOptions{"stored": stored, "deferred": deferred} {
				posts := scan(opt)
				for _, p := range posts {
					if p.Content != "" {
						t.Errorf("%s: %s keeps its body in memory", name, p.Path)
					}
				}
				nDeferred := 0
				for _, p := range posts {
					if p.StoredBody() != nil && p.StoredBody().Deferred() {
						nDeferred++
					}
				}
				if name == "deferred" && nDeferred == 0 {
					t.Fatal("no body was deferred")
				}
				// Twice: the second time deferred bodies come from the store.
				set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
				snap := set.Apply(posts, nil)
				for round := range 2 {
					got := renderSnapshot(t, snap)
					for u, w := range want {
						if !bytes.Equal(got[u], w) {
							t.Errorf("%s, round %d: %s differs from the in-memory rendering", name, round, u)
						}
					}
				}
				for _, p := range snap.Posts() {
					if p.StoredBody() != nil && p.StoredBody().Deferred() {
						t.Errorf("%s: %s is still deferred after being read", name, p.Path)
					}
				}
			}
		})
	}
}

// TestBodyStoreOutlivesFiles: once stored, a body is served even after its
// file is saved broken or the whole posts directory is gone.
func TestBodyStoreOutlivesFiles(t *testing.T) {
	dir := copyTree(t, "../posts")
	opt := testParseOptions()
	opt.Bodies = newStore(t, feed.BodyStoreOptions{ReadPost: watcher.FileReader(dir)})
	res, err := watcher.Scan(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := renderAll(t, res.Posts)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for u, body := range renderAll(t, res.Posts) {
		if !bytes.Equal(body, want[u]) {
			t.Errorf("%s changed when the posts directory went away", u)
		}
	}
}

// TestDeferredBodyOfChangedFile: a deferred body whose file was saved again
// before it was rendered is not mixed with the new text: the item shows its
// summary until the watcher brings the new version, and the old body comes
// back if the file does.
func TestDeferredBodyOfChangedFile(t *testing.T) {
	dir := t.TempDir()
	orig := "---\ntitle: Old title\ndescription: Old summary & more.\ndate: 2024-05-01\n---\nOld body.\n"
	path := filepath.Join(dir, "a.md")
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	store := newStore(t, feed.BodyStoreOptions{ReadPost: watcher.FileReader(dir)})
	opt := testParseOptions()
	opt.Bodies, opt.DeferBodies = store, true
	res, err := watcher.Scan(dir, opt)
	if err != nil || len(res.Posts) != 1 {
		t.Fatal(err, res)
	}
	p := res.Posts[0]
	for _, text := range []string{
		strings.Replace(orig, "Old body.", "New body, same length", 1),
		"not a post any more",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := p.HTML()
		if err != nil || got != "<p>Old summary &amp; more.</p>" {
			t.Errorf("after the file became %q: %q, %v; want the summary", text, got, err)
		}
	}
	if s := store.Stats(); s.Stale != 2 || s.Total != 0 {
		t.Errorf("stats %+v: want 2 stale reads and nothing stored", s)
	}
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := p.HTML(); err != nil || got != "<p>Old body.</p>" {
		t.Errorf("with the file back: %q, %v", got, err)
	}
}

// eventually waits, running the garbage collector, until cond holds: the
// store learns that a body or file is unused from the collector.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

// TestBodyStoreCompaction: files whose bodies are all dead are given back
// by themselves; when most of the store is dead bodies in files that also
// hold live ones (most posts removed), it is compacted: the files shrink
// to about the live bodies, and every post still reads its own body.
func TestBodyStoreCompaction(t *testing.T) {
	store := newStore(t, feed.BodyStoreOptions{SegmentSize: 64 << 10, CompactAbove: 256 << 10})
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: quiet})
	opt := testParseOptions()
	opt.Bodies = store
	// As the watcher does after each batch.
	apply := func(upserts []*feed.Post, removes []string) {
		set.Apply(upserts, removes)
		if store.CompactionDue() {
			if _, _, err := set.CompactBodies(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	parse := func(i, version int) *feed.Post {
		body := strings.Repeat(strconv.Itoa(i)+"/"+strconv.Itoa(version)+" ", 300) // 2 KB and more
		text := "---\ntitle: Post " + strconv.Itoa(i) + "\ndate: 2024-01-01\n---\n" + body + "\n"
		p, err := feed.Parse("p"+strconv.Itoa(i)+".md", []byte(text), time.Time{}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const n = 400
	batch := make([]*feed.Post, n)
	for i := range batch {
		batch[i] = parse(i, 0)
	}
	apply(batch, nil)

	// Edits of one post: its old versions' files die whole and close.
	for v := 1; v <= 200; v++ {
		apply([]*feed.Post{parse(0, v)}, nil)
	}
	eventually(t, "the files of dead versions to close", func() bool {
		return store.Stats().Total-set.StoredBodyBytes() < 128<<10
	})
	if c := store.Stats().Compacted; c != 0 {
		t.Fatalf("%d compactions with little dead space", c)
	}

	// Three posts in four removed: the files keep the fourth.
	var removes []string
	for i := range n {
		if i%4 != 0 {
			removes = append(removes, "p"+strconv.Itoa(i)+".md")
		}
	}
	apply(nil, removes)
	version := 200
	eventually(t, "a compaction", func() bool {
		version++
		apply([]*feed.Post{parse(0, version)}, nil)
		return store.Stats().Compacted > 0
	})
	var live int64
	for _, p := range set.Current().Posts() {
		live += int64(p.StoredBody().Len())
	}
	eventually(t, "the old files to close", func() bool {
		return store.Stats().Total <= live+(64<<10)
	})
	for _, p := range set.Current().Posts() {
		want := "<p>" + strings.TrimSuffix(strings.TrimPrefix(p.Path, "p"), ".md") + "/0 "
		if p.Path == "p0.md" {
			want = "<p>0/" + strconv.Itoa(version) + " "
		}
		got, err := p.HTML()
		if err != nil || !strings.HasPrefix(got, want) {
			t.Fatalf("%s after compaction: %.40q, %v; want %q...", p.Path, got, err, want)
		}
	}
	t.Logf("%+v", store.Stats())
}

// TestBodiesOutOfMemory: with a body store, the heap holds what feeds list,
// not the bodies: parsing 2,000 posts of 4 to 5 KB grows it by less than a
// third of what keeping the bodies does.
func TestBodiesOutOfMemory(t *testing.T) {
	const n = 2000
	files := make([][]byte, n)
	for i := range files {
		_, files[i] = corpus.Post(1, i, n)
	}
	heapAfter := func(opt feed.ParseOptions) (uint64, []*feed.Post) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		posts := make([]*feed.Post, n)
		for i, data := range files {
			p, err := feed.Parse("p.md", data, time.Time{}, opt)
			if err != nil {
				t.Fatal(err)
			}
			posts[i] = p
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		return after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc), posts
	}
	inMemory, a := heapAfter(testParseOptions())
	opt := testParseOptions()
	opt.Bodies = newStore(t, feed.BodyStoreOptions{})
	stored, b := heapAfter(opt)
	t.Logf("heap growth for %d posts: %d KB with bodies in memory, %d KB with a body store", n, inMemory>>10, stored>>10)
	if stored*3 > inMemory {
		t.Errorf("the body store saves too little: %d KB against %d KB", stored>>10, inMemory>>10)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}
