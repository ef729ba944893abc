package watcher

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadFile: a post file is read whole at every size around the
// buffer's edges, with the state its file has; too large, missing and
// directory paths give the reasons a reader sees.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 511, 4096, 4097, 100_000} {
		path := filepath.Join(dir, "post.md")
		want := bytes.Repeat([]byte("x"), n)
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		got, st, busy, err := readFile(path, math.MaxInt, time.Minute)
		if err != nil || busy || !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: read %d bytes, busy %v, err %v", n, len(got), busy, err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !st.sameFile(stateOf(path, info)) {
			t.Errorf("%d bytes: state %+v, but the file's is %+v", n, st, stateOf(path, info))
		}
	}
	big := filepath.Join(dir, "big.md")
	if err := os.WriteFile(big, make([]byte, 1001), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := readFile(big, 1000, 0); err == nil || readReason(err) != "larger than the limit of 1000 bytes" {
		t.Errorf("a file over the limit: %v", err)
	}
	if _, _, _, err := readFile(big, 1001, 0); err != nil {
		t.Errorf("a file at the limit: %v", err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "gone.md"): "cannot read: no such file or directory",
		dir:                           "cannot read: is a directory",
	} {
		_, _, _, err := readFile(path, math.MaxInt, 0)
		var pe *os.PathError
		if !errors.As(err, &pe) || !strings.HasPrefix(readReason(err), want) {
			t.Errorf("%s: %v (reason %q), want a path error saying %q", path, err, readReason(err), want)
		}
	}
}

// TestReadFileBusy: a file changed within the window and open for writing
// is not read; outside the window, or with no window, it is read as it is.
func TestReadFileBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "post.md")
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteString("---\ntitle: half"); err != nil {
		t.Fatal(err)
	}
	data, _, busy, err := readFile(path, math.MaxInt, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !busy {
		// Leases need the file's owner or CAP_LEASE, and a file system
		// that has them; without, the debounce window is the only guard.
		t.Skipf("no read lease refused for a file open for writing here (read %q)", data)
	}
	if data != nil {
		t.Errorf("a busy file gave %q", data)
	}
	for _, within := range []time.Duration{0, time.Nanosecond} {
		data, _, busy, err := readFile(path, math.MaxInt, within)
		if err != nil || busy || string(data) != "---\ntitle: half" {
			t.Errorf("window %v: read %q, busy %v, err %v; want the file as it is", within, data, busy, err)
		}
	}
}

// BenchmarkReadFile compares readFile (open, fstat, one read, close) with
// what it replaces, os.ReadFile and os.Stat, on a post of 4.5 KB:
//
//	go test ./watcher -run '^$' -bench ReadFile
func BenchmarkReadFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "post.md")
	post := "---\ncode: BENCH\ntitle: A post of ordinary size\ndate: 2024-01-01\n---\n" +
		strings.Repeat("A sentence of an ordinary news article, with a link in it. ", 80)
	post = post[:4608]
	if err := os.WriteFile(path, []byte(post), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("readFile", func(b *testing.B) {
		b.SetBytes(int64(len(post)))
		for b.Loop() {
			data, st, _, err := readFile(path, math.MaxInt, 0)
			if err != nil || len(data) != len(post) || st.size != int64(len(post)) {
				b.Fatalf("read %d bytes, size %d, %v", len(data), st.size, err)
			}
		}
	})
	b.Run("os", func(b *testing.B) {
		b.SetBytes(int64(len(post)))
		for b.Loop() {
			info, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil || len(data) != len(post) {
				b.Fatalf("read %d bytes, %v", len(data), err)
			}
			_ = stateOf(path, info)
		}
	})
}
