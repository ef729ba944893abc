package watcher

import (
	"os"
	"syscall"
	"time"
)

// fileState is what the watcher remembers of a post file, to tell whether
// a full rescan must read it again.
type fileState struct {
	real    string
	size    int64
	modTime time.Time
	ino     uint64
	good    bool   // the set holds a post for this path (this version or an earlier good one)
	bad     string // the reason last logged for this path, to log each reason once
}

func stateOf(real string, info os.FileInfo) fileState {
	st := fileState{real: real, size: info.Size(), modTime: info.ModTime()}
	if sys, ok := info.Sys().(*syscall.Stat_t); ok {
		st.ino = uint64(sys.Ino)
	}
	return st
}

// sameFile reports whether two states describe the same version of a file.
func (a fileState) sameFile(b fileState) bool {
	return a.real == b.real && a.size == b.size && a.modTime.Equal(b.modTime) && a.ino == b.ino
}
