package watcher

import (
	"os"
	"time"
)

// fileState is what the watcher remembers of a post file, to tell whether
// a full rescan must read it again.
type fileState struct {
	real    string // the file's real path, or atRel (see Watcher.keep)
	size    int64
	modTime time.Time
	ino     uint64
	good    bool   // the set holds a post for this path (this version or an earlier good one)
	bad     string // the reason last logged for this path, to log each reason once
}

func stateOf(real string, info os.FileInfo) fileState {
	return fileState{real: real, size: info.Size(), modTime: info.ModTime(), ino: inode(info)}
}

// atRel stands for a real path that is the posts directory's real path
// joined with the file's relative path, as nearly all are: a constant
// rather than one more string for each of the archive's files.
const atRel = "="

// sameFile reports whether two states describe the same version of a file.
func (a fileState) sameFile(b fileState) bool {
	return a.real == b.real && a.size == b.size && a.modTime.Equal(b.modTime) && a.ino == b.ino
}
