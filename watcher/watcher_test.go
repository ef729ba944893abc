package watcher_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/watcher"
)

// TestFileLifecycle: create, modify, rename, move between directories, move
// out of the tree, delete.
func TestFileLifecycle(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			dir := newPostsDir(t)
			must(t, os.MkdirAll(filepath.Join(dir, "x"), 0o755))
			must(t, os.MkdirAll(filepath.Join(dir, "y"), 0o755))
			h := startWatcher(t, dir, m)
			h.waitFor("an empty feed", has())

			write(t, filepath.Join(dir, "a.md"), postFile("A", "first"))
			h.waitFor("a created post", has("A=first"))

			write(t, filepath.Join(dir, "a.md"), postFile("A", "second"))
			h.waitFor("a modified post", has("A=second"))

			must(t, os.Rename(filepath.Join(dir, "a.md"), filepath.Join(dir, "renamed.md")))
			snap := h.waitFor("a renamed post", func(s *feed.Snapshot) bool {
				return has("A=second")(s) && s.Posts()[0].Path == "renamed.md"
			})
			if snap.Len() != 1 {
				t.Fatalf("a rename left %d posts", snap.Len())
			}

			write(t, filepath.Join(dir, "x/c.md"), postFile("C", "moving"))
			h.waitFor("a post in a subdirectory", has("A=second", "C=moving"))
			must(t, os.Rename(filepath.Join(dir, "x/c.md"), filepath.Join(dir, "y/c.md")))
			h.waitFor("a post moved between subdirectories", func(s *feed.Snapshot) bool {
				return has("A=second", "C=moving")(s) && pathOf(s, "C") == "y/c.md"
			})

			outside := filepath.Join(filepath.Dir(dir), "elsewhere.md")
			must(t, os.Rename(filepath.Join(dir, "y/c.md"), outside))
			h.waitFor("a post moved out of the tree", has("A=second"))

			must(t, os.Remove(filepath.Join(dir, "renamed.md")))
			h.waitFor("a deleted post", has())
		})
	}
}

func pathOf(s *feed.Snapshot, id string) string {
	for _, p := range s.Posts() {
		if p.ID == id {
			return p.Path
		}
	}
	return ""
}

// TestEditorSaves: an atomic save through a temp file and vim's save (a
// "4913" probe, a backup "~", a ".swp") each land as one clean update, and
// no temp name is ever read as a post.
func TestEditorSaves(t *testing.T) {
	dir := newPostsDir(t)
	post := filepath.Join(dir, "story.md")
	write(t, post, postFile("S", "v1"))
	h := startWatcher(t, dir, events, func(o *watcher.Options) { o.Debounce = 300 * time.Millisecond })
	h.waitFor("the first version", has("S=v1"))

	before := h.set.Current().Version
	writeAtomic(t, post, postFile("S", "v2"))
	snap := h.waitFor("the atomic save", has("S=v2"))
	if snap.Version != before+1 {
		t.Errorf("the atomic save published %d snapshots, want 1", snap.Version-before)
	}

	// vim: swap file while editing, then on :w a probe file, the original
	// renamed to a backup, the new text written, the backup removed.
	swp := filepath.Join(dir, ".story.md.swp")
	write(t, swp, postFile("SWAP", "swap file"))
	before = h.set.Current().Version
	probe := filepath.Join(dir, "4913")
	write(t, probe, "")
	must(t, os.Remove(probe))
	backup := post + "~"
	must(t, os.Rename(post, backup))
	write(t, post, postFile("S", "v3"))
	must(t, os.Remove(backup))
	must(t, os.Remove(swp))
	snap = h.waitFor("vim's save", has("S=v3"))
	if snap.Version != before+1 {
		t.Errorf("vim's save published %d snapshots, want 1 (no moment without the post)", snap.Version-before)
	}
	for _, line := range h.logs.lines() {
		if e, _ := line["err"].(string); strings.Contains(e, "4913") || strings.Contains(e, ".swp") || strings.Contains(e, "~") {
			t.Errorf("a temp file was read as a post: %v", line)
		}
	}
}

// TestDirectories: a directory created with files already in it, a tree
// moved in, a directory removed with its posts.
func TestDirectories(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			dir := newPostsDir(t)
			h := startWatcher(t, dir, m)

			// mkdir -p a/b && cp ...: the files may be there before any watch.
			must(t, os.MkdirAll(filepath.Join(dir, "a/b"), 0o755))
			write(t, filepath.Join(dir, "a/b/one.md"), postFile("ONE", "one"))
			write(t, filepath.Join(dir, "a/two.md"), postFile("TWO", "two"))
			h.waitFor("posts in new directories", has("ONE=one", "TWO=two"))

			// mv dir: a whole tree renamed into the posts directory.
			staging := filepath.Join(filepath.Dir(dir), "staging")
			write(t, filepath.Join(staging, "2024/11/three.md"), postFile("THREE", "three"))
			write(t, filepath.Join(staging, "2024/12/four.md"), postFile("FOUR", "four"))
			must(t, os.Rename(staging, filepath.Join(dir, "archive")))
			h.waitFor("a tree moved in", has("ONE=one", "TWO=two", "THREE=three", "FOUR=four"))

			// Later changes inside the moved tree are seen too.
			write(t, filepath.Join(dir, "archive/2024/12/four.md"), postFile("FOUR", "four, edited"))
			h.waitFor("an edit inside the moved tree", has("ONE=one", "TWO=two", "THREE=three", "FOUR=four, edited"))

			must(t, os.RemoveAll(filepath.Join(dir, "a")))
			h.waitFor("a removed directory's posts gone", has("THREE=three", "FOUR=four, edited"))

			// A directory renamed within the tree: same posts, new paths, no duplicates.
			must(t, os.Rename(filepath.Join(dir, "archive"), filepath.Join(dir, "old")))
			h.waitFor("a renamed directory", func(s *feed.Snapshot) bool {
				return has("THREE=three", "FOUR=four, edited")(s) && pathOf(s, "THREE") == "old/2024/11/three.md"
			})
			write(t, filepath.Join(dir, "old/2024/11/three.md"), postFile("THREE", "three, edited"))
			h.waitFor("an edit in the renamed directory", has("THREE=three, edited", "FOUR=four, edited"))
		})
	}
}

// TestKubernetesVolume: a ConfigMap-style volume whose files are symlinks
// through "..data", swapped atomically to a new directory.
func TestKubernetesVolume(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			dir := newPostsDir(t)
			gen := func(name string, posts map[string]string) {
				for file, content := range posts {
					write(t, filepath.Join(dir, name, file), content)
				}
			}
			gen("..2024_01", map[string]string{"a.md": postFile("A", "a1"), "sub/b.md": postFile("B", "b1")})
			must(t, os.Symlink("..2024_01", filepath.Join(dir, "..data")))
			must(t, os.Symlink("..data/a.md", filepath.Join(dir, "a.md")))
			must(t, os.Symlink("..data/sub", filepath.Join(dir, "sub")))
			must(t, os.Symlink("..data/c.md", filepath.Join(dir, "c.md"))) // dangling until the swap
			h := startWatcher(t, dir, m)
			h.waitFor("the first version", has("A=a1", "B=b1"))

			// The kubelet's swap: a new directory, a temp link, a rename, the old directory removed.
			gen("..2024_02", map[string]string{"a.md": postFile("A", "a2"), "sub/b.md": postFile("B", "b2"), "c.md": postFile("C", "c2")})
			must(t, os.Symlink("..2024_02", filepath.Join(dir, "..data_tmp")))
			must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
			must(t, os.RemoveAll(filepath.Join(dir, "..2024_01")))
			snap := h.waitFor("the swapped version", has("A=a2", "B=b2", "C=c2"))
			if snap.Len() != 3 {
				t.Errorf("%d posts after the swap, want 3", snap.Len())
			}
			// And the new directory is watched: an in-place edit in it is seen.
			write(t, filepath.Join(dir, "..2024_02/sub/b.md"), postFile("B", "b3"))
			h.waitFor("an edit after the swap", has("A=a2", "B=b3", "C=c2"))
		})
	}
}

// TestPostsDirSymlinkSwapped: the posts directory itself is a symlink that
// a sync tool points at a new checkout (git-sync does this).
func TestPostsDirSymlinkSwapped(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			base := t.TempDir()
			write(t, filepath.Join(base, "rev1/a.md"), postFile("A", "rev1"))
			link := filepath.Join(base, "current")
			must(t, os.Symlink("rev1", link))
			h := startWatcher(t, link, m)
			h.waitFor("rev1", has("A=rev1"))

			write(t, filepath.Join(base, "rev2/a.md"), postFile("A", "rev2"))
			write(t, filepath.Join(base, "rev2/b.md"), postFile("B", "rev2"))
			must(t, os.Symlink("rev2", filepath.Join(base, "current.tmp")))
			must(t, os.Rename(filepath.Join(base, "current.tmp"), link))
			must(t, os.RemoveAll(filepath.Join(base, "rev1")))
			h.waitFor("rev2", has("A=rev2", "B=rev2"))
		})
	}
}

// TestSlowWriteAndHalfValidSave: a post written in several writes, and a
// post saved broken then fixed: readers keep the last good version until the
// new one is complete.
func TestSlowWriteAndHalfValidSave(t *testing.T) {
	dir := newPostsDir(t)
	post := filepath.Join(dir, "story.md")
	write(t, post, postFile("S", "old"))
	h := startWatcher(t, dir, events)
	h.waitFor("the old version", has("S=old"))

	// Several writes through one open file; every part but the first would
	// parse as a post, with a truncated body.
	f, err := os.OpenFile(post, os.O_WRONLY|os.O_TRUNC, 0o644)
	must(t, err)
	newText := postFile("S", "new") + strings.Repeat("More text. ", 50)
	parts := []string{newText[:20], newText[20:120], newText[120:]}
	for i, part := range parts {
		held := h.w.Stats().Held
		_, err := f.WriteString(part)
		must(t, err)
		h.waitStats(fmt.Sprintf("the watcher to see write %d and hold the file", i+1), func(s watcher.Stats) bool { return s.Held > held })
		if got := titles(h.set.Current())["S"]; got != "old" {
			t.Fatalf("after write %d of %d the feeds show %q, want the old version until the file is complete", i+1, len(parts), got)
		}
	}
	must(t, f.Close())
	snap := h.waitFor("the new version", has("S=new"))
	if body, _ := snap.Posts()[0].HTML(); !strings.Contains(body, strings.Repeat("More text. ", 49)+"More text.") {
		t.Errorf("the new version is truncated: %q", body)
	}

	// Saved with a YAML error: the last good version stays.
	bad := h.w.Stats().Bad
	write(t, post, "---\ncode: S\ntitle: [broken\ndate: 2024-01-01\n---\n")
	h.waitStats("the broken save to be read", func(s watcher.Stats) bool { return s.Bad > bad })
	if got := titles(h.set.Current())["S"]; got != "new" {
		t.Fatalf("after a broken save the feeds show %q, want the last good version", got)
	}
	write(t, post, postFile("S", "fixed"))
	h.waitFor("the fixed version", has("S=fixed"))
}

// TestBurst: 1,000 posts created at once (four times what one window
// tracks, so a full rescan), then 100 edited: the feeds end exactly right.
// With FEEDD_SOAK set: 5,000 posts and 500 edits.
func TestBurst(t *testing.T) {
	t.Parallel() // it spends seconds waiting (timers, other processes): others run meanwhile
	n, edits, maxPending := 1000, 100, 250
	if os.Getenv("FEEDD_SOAK") != "" {
		n, edits, maxPending = 5000, 500, 1000
	}
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			dir := newPostsDir(t)
			for i := range 50 { // directories that exist and are watched: one event per file
				must(t, os.Mkdir(filepath.Join(dir, fmt.Sprintf("d%02d", i)), 0o755))
			}
			// A window long enough to hold the whole burst even on a slow
			// machine, so that it must overflow what one window tracks.
			h := startWatcher(t, dir, m, func(o *watcher.Options) {
				if !o.Poll {
					o.Debounce, o.MaxPending = 2*time.Second, maxPending
				}
			})
			for i := range n {
				write(t, filepath.Join(dir, fmt.Sprintf("d%02d/p%04d.md", i%50, i)), postFile(fmt.Sprintf("P%04d", i), "created"))
			}
			h.waitFor("every post", func(s *feed.Snapshot) bool { return s.Len() == n })
			for i := 0; i < n; i += n / edits {
				write(t, filepath.Join(dir, fmt.Sprintf("d%02d/p%04d.md", i%50, i)), postFile(fmt.Sprintf("P%04d", i), "edited"))
			}
			snap := h.waitFor("the edits", func(s *feed.Snapshot) bool {
				e := 0
				for _, p := range s.Posts() {
					if p.Title == "edited" {
						e++
					}
				}
				return e == edits && s.Len() == n
			})
			seen := map[string]bool{}
			for _, p := range snap.Posts() {
				if seen[p.ID] {
					t.Fatalf("duplicate id %s", p.ID)
				}
				seen[p.ID] = true
				i := 0
				fmt.Sscanf(p.ID, "P%04d", &i)
				if want := map[bool]string{true: "edited", false: "created"}[i%(n/edits) == 0]; p.Title != want {
					t.Fatalf("%s has title %q, want %q", p.ID, p.Title, want)
				}
			}
			if m.name == "events" && h.w.Stats().Overflows == 0 {
				t.Errorf("%d changes in one window should take the overflow path to a full rescan; stats %+v", n, h.w.Stats())
			}
		})
	}
}

// TestPostsDirRemovedAndRecreated: while the posts directory is gone the
// last snapshot is served; its new content is picked up when it is back.
func TestPostsDirRemovedAndRecreated(t *testing.T) {
	t.Parallel() // it spends seconds waiting (timers, other processes): others run meanwhile
	removals := []struct {
		name   string
		remove func(t *testing.T, dir string)
	}{
		// Moved away whole, as a deploy does.
		{"moved", func(t *testing.T, dir string) {
			must(t, os.Rename(dir, dir+".old"))
			t.Cleanup(func() { os.RemoveAll(dir + ".old") })
		}},
		// rm -rf: its files go first, inside the same debounce window. Not
		// run in polling mode, where a poll may fall between the files'
		// removal and the directory's, and rightly see the files gone.
		{"deleted", func(t *testing.T, dir string) { must(t, os.RemoveAll(dir)) }},
	}
	for _, m := range bothModes {
		for _, r := range removals {
			if m.opt.Poll && r.name == "deleted" {
				continue
			}
			t.Run(m.name+"/"+r.name, func(t *testing.T) {
				dir := newPostsDir(t)
				write(t, filepath.Join(dir, "a.md"), postFile("A", "before"))
				write(t, filepath.Join(dir, "sub/b.md"), postFile("B", "before"))
				h := startWatcher(t, dir, m, func(o *watcher.Options) { o.Debounce = 500 * time.Millisecond })
				h.waitFor("the first content", has("A=before", "B=before"))

				r.remove(t, dir)
				h.waitStats("the watcher to notice", func(s watcher.Stats) bool { return s.Lost > 0 })
				if !has("A=before", "B=before")(h.set.Current()) {
					t.Fatalf("while the directory is gone the feeds hold %s, want the last snapshot", describe(h.set.Current()))
				}

				must(t, os.Mkdir(dir, 0o755))
				write(t, filepath.Join(dir, "c.md"), postFile("C", "after"))
				h.waitFor("the new content", has("C=after"))
				write(t, filepath.Join(dir, "c.md"), postFile("C", "edited"))
				h.waitFor("an edit in the new directory", has("C=edited"))
			})
		}
	}
}

// TestOneBatchPerWindow: changes inside one debounce window make one
// snapshot, not one per file.
func TestOneBatchPerWindow(t *testing.T) {
	dir := newPostsDir(t)
	h := startWatcher(t, dir, events, func(o *watcher.Options) { o.Debounce = time.Second })
	before := h.set.Current().Version
	for i := range 20 {
		write(t, filepath.Join(dir, fmt.Sprintf("p%02d.md", i)), postFile(fmt.Sprintf("P%02d", i), "t"))
	}
	snap := h.waitFor("20 posts", func(s *feed.Snapshot) bool { return s.Len() == 20 })
	if snap.Version != before+1 {
		t.Errorf("20 files written inside one window gave %d snapshots, want 1", snap.Version-before)
	}
}

// TestRescanCatchesLostEvents: a change the file system reports to no
// watch (here through a hard link from outside the tree) is caught by the
// periodic full rescan.
func TestRescanCatchesLostEvents(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "posts")
	outside := filepath.Join(base, "outside.md")
	write(t, outside, postFile("H", "v1"))
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.Link(outside, filepath.Join(dir, "h.md")))
	h := startWatcher(t, dir, events, func(o *watcher.Options) { o.Rescan = 200 * time.Millisecond })
	h.waitFor("v1", has("H=v1"))
	f, err := os.OpenFile(outside, os.O_WRONLY|os.O_TRUNC, 0)
	must(t, err)
	_, err = f.WriteString(postFile("H", "v2 longer"))
	must(t, err)
	must(t, f.Close())
	scans := h.w.Stats().FullScans
	h.waitFor("v2 through the rescan", has("H=v2 longer"))
	if h.w.Stats().FullScans == scans {
		t.Error("the change was seen without a rescan: the test no longer loses the event")
	}
}

// TestLogs: a line per applied batch with its counts, and one per bad post
// with its reason, at the right levels.
func TestLogs(t *testing.T) {
	dir := newPostsDir(t)
	write(t, filepath.Join(dir, "bad.md"), "---\ntitle: no date\n---\n")
	write(t, filepath.Join(dir, "good.md"), postFile("G", "good"))
	h := startWatcher(t, dir, events, func(o *watcher.Options) { o.Debounce = time.Second })
	write(t, filepath.Join(dir, "good.md"), postFile("G", "better"))
	write(t, filepath.Join(dir, "new.md"), postFile("N", "new"))
	h.waitFor("the batch", has("G=better", "N=new"))

	batch := h.waitLog("the batch's line", func(l map[string]any) bool { return l["msg"] == "posts updated" && l["reason"] == "changes" })
	if batch["level"] != "INFO" || batch["added"] != 1.0 || batch["updated"] != 1.0 || batch["removed"] != 0.0 || batch["files"] != 2.0 || batch["took"] == nil {
		t.Errorf("batch log line: %v", batch)
	}
	bad := h.waitLog("the bad post's line", func(l map[string]any) bool { return l["msg"] == "bad post left out" })
	if bad["level"] != "WARN" || bad["err"] != "bad.md:1: missing date" {
		t.Errorf("bad post log line: %v", bad)
	}
}

// TestDeferredBodies: as feedd serve runs it (DeferBodies, bodies in a
// bodies.Store), the watcher moves every post's body into the set's store
// as it reads the post: the body of a post with a description stays
// Markdown there until it is first read, and is rendered from the store,
// never from the post file. So once the files are read, deleting or
// rewriting them changes no body, and a post saved broken keeps its last
// good version and that version's body.
func TestDeferredBodies(t *testing.T) {
	dir := newPostsDir(t)
	const n = 12
	text := map[string]string{} // path -> what the watcher read
	for i := range n {
		post := postFile(fmt.Sprintf("P%02d", i), fmt.Sprintf("title %d", i))
		if i != 0 { // P00 has no description: its summary comes from its body, rendered at once
			post = strings.Replace(post, "---\nBody", "description: Summary.\n---\nBody", 1)
		}
		post += fmt.Sprintf("\n[A link](/p/%d) and *more* of post %d.\n", i, i)
		rel := fmt.Sprintf("p%02d.md", i)
		write(t, filepath.Join(dir, rel), post)
		text[rel] = post
	}
	store, err := bodies.Open(bodies.Options{Dir: t.TempDir(), Logger: feedtest.Quiet})
	must(t, err)
	t.Cleanup(func() { store.Close() }) // after the watcher stops (cleanups run last first)
	h := startWatcherWith(t, dir, events, feed.SetOptions{Bodies: store}, func(o *watcher.Options) { o.Parse.DeferBodies = true })
	snap := h.waitFor("every post", func(s *feed.Snapshot) bool { return s.Len() == n })

	// What each body must be: the post rendered at once, from its text.
	want := func(rel string) string {
		t.Helper()
		p, err := parse.Post(rel, []byte(text[rel]), time.Time{}, parseOptions())
		must(t, err)
		body, err := p.HTML()
		must(t, err)
		if !strings.Contains(body, "</em>") { // rendered, not the Markdown
			t.Fatalf("%s renders as %q", rel, body)
		}
		return body
	}
	// check reads the bodies of the posts of s with the given ids, or of
	// every post.
	check := func(when string, s *feed.Snapshot, ids ...string) {
		t.Helper()
		for _, p := range s.Posts() {
			if len(ids) > 0 && !slices.Contains(ids, p.ID) {
				continue
			}
			if body, err := p.HTML(); err != nil || body != want(p.Path) {
				t.Errorf("%s: %s's body is %q, %v; want %q", when, p.Path, body, err, want(p.Path))
			}
			if p.Deferred() {
				t.Errorf("%s: %s is still deferred once read", when, p.Path)
			}
		}
	}
	for _, p := range snap.Posts() {
		if got, wantDeferred := p.Deferred(), p.ID != "P00"; got != wantDeferred {
			t.Errorf("after the start-up scan %s is deferred: %v, want %v", p.Path, got, wantDeferred)
		}
	}
	// Half the bodies are read now, half after the files have changed.
	for _, p := range snap.Posts()[:n/2] {
		if body, err := p.HTML(); err != nil || body != want(p.Path) {
			t.Errorf("%s's body: %q, %v; want %q", p.Path, body, err, want(p.Path))
		}
	}

	// An edit is read and kept as the start-up scan's posts are.
	edited := postFile("P03", "edited")
	edited = strings.Replace(edited, "---\nBody", "description: Summary.\n---\nBody", 1) + "\n*Edited* text.\n"
	writeAtomic(t, filepath.Join(dir, "p03.md"), edited)
	text["p03.md"] = edited
	h.waitFor("the edit", func(s *feed.Snapshot) bool { return titles(s)["P03"] == "edited" })

	// Saved broken: the last good version stays, with its body, whether
	// that body was read before (P01), not yet (P10), or is an edit's (P03).
	bad := h.w.Stats().Bad
	for _, rel := range []string{"p01.md", "p10.md", "p03.md"} {
		write(t, filepath.Join(dir, rel), "---\ncode: BROKEN\ntitle: [broken\n---\nBroken body.\n")
	}
	h.waitStats("the broken saves to be read", func(s watcher.Stats) bool { return s.Bad >= bad+3 })
	snap = h.set.Current()
	if got := titles(snap); got["P01"] != "title 1" || got["P10"] != "title 10" || got["P03"] != "edited" || snap.Len() != n {
		t.Fatalf("after broken saves the feeds hold %s, want every last good version", describe(snap))
	}
	check("after broken saves", snap, "P01", "P10", "P03")

	// Once the watcher is stopped, no file is ever read again for a body,
	// even for the bodies read for the first time now: rewrite some files,
	// delete the rest.
	snap = h.set.Current()
	h.stop()
	unread := 0
	for _, p := range snap.Posts() {
		if p.Deferred() {
			unread++
		}
	}
	if unread < n/3 {
		t.Fatalf("only %d bodies are left unread: the test no longer shows where they are read from", unread)
	}
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("p%02d.md", i))
		if i%2 == 0 {
			write(t, path, postFile("OTHER", "other")+"Another body.\n")
		} else {
			must(t, os.Remove(path))
		}
	}
	check("after the files changed on disk", snap)
	if h.set.Current() != snap {
		t.Error("a snapshot was published after the watcher stopped")
	}
}

// TestRescanSkipsUnchangedFiles: full rescans of a tree where nothing
// changed (polling, here) read no file again and publish nothing: each
// file's remembered state, size, time, inode and real path, matches what
// the rescan finds.
func TestRescanSkipsUnchangedFiles(t *testing.T) {
	dir := newPostsDir(t)
	write(t, filepath.Join(dir, "a.md"), postFile("A", "a"))
	write(t, filepath.Join(dir, "2024", "05", "b.md"), postFile("B", "b"))
	write(t, filepath.Join(dir, "bad.md"), "---\ntitle: no date\n---\n")
	h := startWatcher(t, dir, polling)
	h.waitFor("the posts", has("A=a", "B=b"))
	// The start-up batch is counted just after its snapshot is out.
	h.waitStats("the start-up batch counted", func(s watcher.Stats) bool { return s.Batches >= 1 })
	before := h.w.Stats()
	h.waitStats("three more polls", func(s watcher.Stats) bool { return s.FullScans >= before.FullScans+3 })
	if after := h.w.Stats(); after.Batches != before.Batches || after.Bad != before.Bad {
		t.Errorf("unchanged files were read again: %d batches and %d bad reads, want %d and %d",
			after.Batches, after.Bad, before.Batches, before.Bad)
	}
}
