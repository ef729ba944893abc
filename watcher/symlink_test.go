package watcher_test

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/feedd/feedd/feed"
)

// noCodeFile is a post without a code: its id is its path.
func noCodeFile(title string) string {
	return "---\ntitle: \"" + title + "\"\ndate: 2024-01-02T00:00:00Z\n---\nBody of " + title + ".\n"
}

// TestSymlinksInsideTree: links to the posts directory itself, to a
// directory of posts and to a post, made and removed while feedd runs,
// leave the feeds as a fresh start over the same tree gives them: no post
// twice, no post under a second path, no edit lost.
func TestSymlinksInsideTree(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			dir := newPostsDir(t)
			write(t, filepath.Join(dir, "nocode.md"), noCodeFile("no code"))
			write(t, filepath.Join(dir, "samples/2024/a.md"), postFile("A", "a"))
			write(t, filepath.Join(dir, "samples/2024/b.md"), noCodeFile("b"))
			h := startWatcher(t, dir, m)
			h.waitFor("the first scan", has("nocode=no code", "A=a", "samples/2024/b=b"))

			must(t, os.Symlink(".", filepath.Join(dir, "selfdir")))
			must(t, os.Symlink("samples/2024", filepath.Join(dir, "latest")))
			must(t, os.Symlink("samples/2024/b.md", filepath.Join(dir, "alias.md")))
			// Changes after the links: each shows, at its own path.
			writeAtomic(t, filepath.Join(dir, "samples/2024/a.md"), postFile("A", "a, edited"))
			write(t, filepath.Join(dir, "new.md"), postFile("NEW", "new"))
			want := has("nocode=no code", "A=a, edited", "samples/2024/b=b", "NEW=new")
			snap := h.waitFor("the edits after the links", want)
			if p := pathOf(snap, "NEW"); p != "new.md" {
				t.Errorf("a new post is at %q, want new.md", p)
			}

			// A fresh start over the same tree publishes the same posts.
			fresh := startWatcher(t, dir, m)
			if got, want := paths(fresh.set.Current()), paths(h.set.Current()); !maps.Equal(got, want) {
				t.Errorf("live: %v\nfresh start: %v", want, got)
			}
			fresh.stop()

			must(t, os.Remove(filepath.Join(dir, "selfdir")))
			must(t, os.Remove(filepath.Join(dir, "latest")))
			must(t, os.Remove(filepath.Join(dir, "alias.md")))
			writeAtomic(t, filepath.Join(dir, "nocode.md"), noCodeFile("no code, edited"))
			h.waitFor("an edit after the links went", has("nocode=no code, edited", "A=a, edited", "samples/2024/b=b", "NEW=new"))
		})
	}
}

// TestTwoLinksToOneHiddenDirectory: a second link to a hidden directory
// that one link already brings in is left alone, live as at start: its
// posts keep one path, and edits show there.
func TestTwoLinksToOneHiddenDirectory(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			dir := newPostsDir(t)
			write(t, filepath.Join(dir, ".h/d/x.md"), noCodeFile("x")) // its id is its path
			h := startWatcher(t, dir, m)
			must(t, os.Symlink(".h/d", filepath.Join(dir, "a")))
			h.waitFor("the post through the first link", has("a/x=x"))
			must(t, os.Symlink(".h/d", filepath.Join(dir, "b")))
			writeAtomic(t, filepath.Join(dir, ".h/d/x.md"), noCodeFile("x, edited"))
			snap := h.waitFor("the edit, at the first link's path alone", has("a/x=x, edited"))
			fresh := startWatcher(t, dir, m)
			if got, want := paths(fresh.set.Current()), paths(snap); !maps.Equal(got, want) {
				t.Errorf("live: %v\nfresh start: %v", want, got)
			}
		})
	}
}

// paths maps each published post's id to its path.
func paths(s *feed.Snapshot) map[string]string {
	m := map[string]string{}
	for _, p := range s.Posts() {
		m[p.ID] = p.Path
	}
	return m
}
