package watcher_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedd/feedd/watcher"
	"golang.org/x/sys/unix"
)

// fifoWatchdog stands by while a test puts FIFOs in a posts directory: if
// the test has not finished after a while, something is blocked opening
// one for reading, and it opens each for writing, again and again, so that
// the reader gets end of file and the test ends (failing) instead of
// hanging. blocked says whether it had to.
func fifoWatchdog(t *testing.T, fifos ...string) (blocked *atomic.Bool) {
	blocked = new(atomic.Bool)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-done:
			return
		case <-time.After(20 * time.Second):
		}
		blocked.Store(true)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, f := range fifos {
				if fd, err := unix.Open(f, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == nil {
					unix.Close(fd)
				}
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	// Registered before the watcher's own cleanup, so it runs after it.
	t.Cleanup(func() { close(done); <-stopped })
	return blocked
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, unix.Mkfifo(path, 0o644))
}

// TestFIFOInPostsDir: a FIFO named like a post, there at the start or
// renamed over a post while feedd runs, neither blocks the watcher nor
// makes it fail: it is not a regular file, so not a post; every good post
// stays served and later edits still show.
func TestFIFOInPostsDir(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			dir := newPostsDir(t)
			fifos := []string{filepath.Join(dir, "x.md"), filepath.Join(dir, "sub/y.markdown"), filepath.Join(dir, "b.md"), filepath.Join(dir, "z.md")}
			blocked := fifoWatchdog(t, fifos...)
			write(t, filepath.Join(dir, "a.md"), postFile("A", "a"))
			write(t, filepath.Join(dir, "b.md"), postFile("B", "b"))
			write(t, filepath.Join(dir, "sub/c.md"), postFile("C", "c"))
			mkfifo(t, fifos[0])
			mkfifo(t, fifos[1])
			h := startWatcher(t, dir, m)
			h.waitFor("the good posts beside FIFOs", has("A=a", "B=b", "C=c"))

			// A FIFO renamed over a post, a new one, and edits, in one window.
			tmp := filepath.Join(dir, ".fifo.tmp")
			mkfifo(t, tmp)
			must(t, os.Rename(tmp, filepath.Join(dir, "b.md")))
			mkfifo(t, fifos[3])
			write(t, filepath.Join(dir, "a.md"), postFile("A", "a, edited"))
			write(t, filepath.Join(dir, "d.md"), postFile("D", "d"))
			h.waitFor("the edits, b.md no longer a post", has("A=a, edited", "C=c", "D=d"))

			// Later edits still show, and b.md made a post again is read.
			writeAtomic(t, filepath.Join(dir, "sub/c.md"), postFile("C", "c, edited"))
			writeAtomic(t, filepath.Join(dir, "b.md"), postFile("B", "b, back"))
			h.waitFor("later edits", has("A=a, edited", "B=b, back", "C=c, edited", "D=d"))

			if blocked.Load() {
				t.Error("the watcher blocked opening a FIFO until a writer came")
			}
			for _, l := range h.logs.lines() {
				if e, _ := l["err"].(string); strings.Contains(e, "x.md") || strings.Contains(e, "y.markdown") || strings.Contains(e, "z.md") {
					t.Errorf("a FIFO was read as a post: %v", l)
				}
			}
		})
	}
}

// TestReadFIFO: Read, given a FIFO (as a file that turns out not to be a
// regular file once opened), gives a bad post at once: it does not wait
// for a writer.
func TestReadFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "x.md")
	blocked := fifoWatchdog(t, fifo)
	mkfifo(t, fifo)
	_, err := watcher.Read(watcher.File{Rel: "x.md", Real: fifo}, parseOptions())
	if blocked.Load() {
		t.Fatalf("Read blocked on a FIFO until a writer came (then: %v)", err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "x.md: ") {
		t.Errorf("Read of a FIFO: %v, want a bad post naming x.md", err)
	}
}
