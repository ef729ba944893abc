package watcher

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		got, st, busy, err := readFile(path, math.MaxInt, true)
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
	if _, _, _, err := readFile(big, 1000, false); err == nil || readReason(err) != "larger than the limit of 1000 bytes" {
		t.Errorf("a file over the limit: %v", err)
	}
	if _, _, _, err := readFile(big, 1001, false); err != nil {
		t.Errorf("a file at the limit: %v", err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "gone.md"): "cannot read: no such file or directory",
		dir:                           "cannot read: is a directory",
	} {
		_, _, _, err := readFile(path, math.MaxInt, false)
		var pe *os.PathError
		if !errors.As(err, &pe) || !strings.HasPrefix(readReason(err), want) {
			t.Errorf("%s: %v (reason %q), want a path error saying %q", path, err, readReason(err), want)
		}
	}
}
