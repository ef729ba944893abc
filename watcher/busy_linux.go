package watcher

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openForWriting reports whether some process has f open for writing, so
// that a post being written slowly is not read half-way. It asks for a read
// lease, which Linux refuses with EAGAIN while any writer has the file
// open, and gives it back at once. Where leases are not allowed (another
// user's file without CAP_LEASE, NFS), it reports false: the debounce
// window is then the only guard.
func openForWriting(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	busy := false
	_ = rc.Control(func(fd uintptr) {
		_, err := unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_RDLCK)
		if err == nil {
			_, _ = unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_UNLCK)
			return
		}
		busy = errors.Is(err, unix.EAGAIN)
	})
	return busy
}
