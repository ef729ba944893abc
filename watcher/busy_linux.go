package watcher

import (
	"errors"

	"golang.org/x/sys/unix"
)

// leaseRefused reports whether some process has fd open for writing, so
// that a post being written slowly is not read half-way. It asks for a read
// lease, which Linux refuses with EAGAIN while any writer has the file
// open, and gives it back at once. Where leases are not allowed (another
// user's file without CAP_LEASE, NFS), it reports false: the debounce
// window is then the only guard.
func leaseRefused(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_RDLCK)
	if err == nil {
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_UNLCK)
		return false
	}
	return errors.Is(err, unix.EAGAIN)
}
