package watcher_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedd/feedd/watcher"
)

// TestPermissionDenied: a post or a directory that cannot be read is not
// a deletion: the last good version stays, the reason is logged, and a
// change of mode that makes it readable again is noticed. Root reads any
// file, so under root the test runs itself again as nobody.
func TestPermissionDenied(t *testing.T) {
	t.Parallel() // it spends seconds waiting (timers, other processes): others run meanwhile
	if os.Geteuid() == 0 {
		runAsNobody(t)
		return
	}
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			dir := newPostsDir(t)
			write(t, filepath.Join(dir, "a.md"), postFile("A", "a"))
			write(t, filepath.Join(dir, "sub/c.md"), postFile("C", "c"))
			h := startWatcher(t, dir, m, func(o *watcher.Options) { o.Rescan = 50 * time.Millisecond })
			h.waitFor("the first scan", has("A=a", "C=c"))

			// sed -i on a file of mode 000: a new file, unreadable, renamed
			// over the post.
			tmp := filepath.Join(dir, ".a.md.tmp")
			write(t, tmp, postFile("A", "a, edited"))
			must(t, os.Chmod(tmp, 0))
			must(t, os.Rename(tmp, filepath.Join(dir, "a.md")))
			h.waitLog("the read error", func(l map[string]any) bool {
				err, _ := l["err"].(string)
				return strings.HasPrefix(err, "a.md: cannot read: ") && strings.Contains(err, "permission denied")
			})
			scans := h.w.Stats().FullScans
			h.waitStats("two more full scans", func(s watcher.Stats) bool { return s.FullScans >= scans+2 })
			if snap := h.set.Current(); !has("A=a", "C=c")(snap) {
				t.Fatalf("an unreadable post left the feeds: %s", describe(snap))
			}
			must(t, os.Chmod(filepath.Join(dir, "a.md"), 0o644))
			h.waitFor("the edit, readable again", has("A=a, edited", "C=c"))

			must(t, os.Chmod(filepath.Join(dir, "sub"), 0))
			t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "sub"), 0o755) })
			h.waitLog("the directory's error", func(l map[string]any) bool {
				return l["dir"] == "sub" && strings.Contains(l["err"].(string), "permission denied")
			})
			scans = h.w.Stats().FullScans
			h.waitStats("two more full scans", func(s watcher.Stats) bool { return s.FullScans >= scans+2 })
			if snap := h.set.Current(); !has("A=a, edited", "C=c")(snap) {
				t.Fatalf("the posts of an unreadable directory left the feeds: %s", describe(snap))
			}
			must(t, os.Chmod(filepath.Join(dir, "sub"), 0o600)) // listable, not searchable
			scans = h.w.Stats().FullScans
			h.waitStats("two more full scans", func(s watcher.Stats) bool { return s.FullScans >= scans+2 })
			if snap := h.set.Current(); !has("A=a, edited", "C=c")(snap) {
				t.Fatalf("the posts of an unsearchable directory left the feeds: %s", describe(snap))
			}
			must(t, os.Chmod(filepath.Join(dir, "sub"), 0o755))
			writeAtomic(t, filepath.Join(dir, "sub/c.md"), postFile("C", "c, edited"))
			h.waitFor("an edit in the directory, readable again", has("A=a, edited", "C=c, edited"))
		})
	}
}

// TestUnreadableDirectories: a directory that can be listed but not
// entered keeps its posts through rescans; one unreadable at start is
// watched once chmod makes it readable; and one whose mode hid a post's
// edit brings the edit when its mode is changed back. Nothing relies on
// a rescan (there is none) but the first.
func TestUnreadableDirectories(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsNobody(t)
		return
	}
	dir := newPostsDir(t)
	sub, other := filepath.Join(dir, "sub"), filepath.Join(dir, "other")
	write(t, filepath.Join(dir, "a.md"), postFile("A", "a"))
	write(t, filepath.Join(sub, "c.md"), postFile("C", "c"))
	write(t, filepath.Join(other, "e.md"), postFile("E", "e"))
	must(t, os.Chmod(sub, 0))
	t.Cleanup(func() { _ = os.Chmod(sub, 0o755); _ = os.Chmod(other, 0o755) })
	h := startWatcher(t, dir, events, func(o *watcher.Options) { o.Rescan = 0 })
	h.waitFor("the first scan, without the unreadable directory", has("A=a", "E=e"))

	must(t, os.Chmod(sub, 0o755))
	h.waitFor("its posts once readable", has("A=a", "C=c", "E=e"))
	write(t, filepath.Join(sub, "d.md"), postFile("D", "d"))
	h.waitFor("a new post in it: it is watched now", has("A=a", "C=c", "D=d", "E=e"))

	// An edit, held back while the file is open for writing, then the
	// directory made unsearchable before it is read.
	f, err := os.OpenFile(filepath.Join(other, "e.md"), os.O_WRONLY|os.O_TRUNC, 0)
	must(t, err)
	_, err = f.WriteString(postFile("E", "e, edited"))
	must(t, err)
	h.waitStats("the edit held back", func(s watcher.Stats) bool { return s.Held > 0 })
	must(t, os.Chmod(other, 0o600)) // listable, not searchable
	must(t, f.Close())
	h.waitLog("the read error", func(l map[string]any) bool {
		err, _ := l["err"].(string)
		return strings.HasPrefix(err, "other/e.md: cannot read: ") && strings.Contains(err, "permission denied")
	})
	if snap := h.set.Current(); !has("A=a", "C=c", "D=d", "E=e")(snap) {
		t.Fatalf("a post in an unsearchable directory left the feeds: %s", describe(snap))
	}
	must(t, os.Chmod(other, 0o755))
	h.waitFor("the edit, once the directory's mode is back", has("A=a", "C=c", "D=d", "E=e, edited"))
}

// runAsNobody runs the calling test again in a copy of the test binary,
// as the user nobody, and fails with its output unless it passed.
func runAsNobody(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	must(t, os.Chmod(filepath.Dir(dir), 0o755))
	must(t, os.Chmod(dir, 0o755))
	bin := filepath.Join(dir, "watcher.test")
	copyFile(t, os.Args[0], bin)
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR=/tmp", "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	must(t, err)
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	must(t, err)
	_, err = io.Copy(out, in)
	must(t, err)
	must(t, out.Close())
}
