//go:build !linux

package watcher_test

import "testing"

func TestFIFOInPostsDir(t *testing.T) {
	t.Skip("FIFOs are made with mkfifo(2); this test runs on Linux only")
}

func TestReadFIFO(t *testing.T) {
	t.Skip("FIFOs are made with mkfifo(2); this test runs on Linux only")
}
