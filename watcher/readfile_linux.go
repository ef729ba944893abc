package watcher

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// readFile reads the file at real whole, refusing one of more than max
// bytes, and gives its state as fstat saw it before the read. A file
// changed within busyWithin of now is read only if no process has it open
// for writing: otherwise it gives busy, and no data. (One unchanged for
// longer is not asked about: a writer that has not written for that long
// is waited for no longer anyway, and the two fcntl calls of the question
// were a tenth of a start-up's time.) busyWithin 0 asks about none.
//
// It makes four system calls for a post (open, fstat, one read, close)
// where os.Open, Stat, Read to the end and Close make ten (os.Open alone
// makes six: open, four fcntl and an epoll_ctl that a regular file always
// refuses). A start-up scan reads every post of the archive, and on a
// virtual machine every system call is costly: BenchmarkReadFile compares
// it with os.ReadFile and os.Stat on a post of ordinary size.
func readFile(real string, max int, busyWithin time.Duration) (data []byte, st fileState, busy bool, err error) {
	var fd int
	for {
		fd, err = unix.Open(real, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, st, false, &os.PathError{Op: "open", Path: real, Err: err}
	}
	defer unix.Close(fd)
	var sys unix.Stat_t
	for {
		err = unix.Fstat(fd, &sys)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, st, false, &os.PathError{Op: "stat", Path: real, Err: err}
	}
	switch sys.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return nil, st, false, &os.PathError{Op: "read", Path: real, Err: unix.EISDIR}
	default:
		// A FIFO or a device renamed into place: opened without blocking
		// (O_NONBLOCK), and never read.
		return nil, st, false, &os.PathError{Op: "open", Path: real, Err: errors.New("not a regular file")}
	}
	st = fileState{real: real, size: sys.Size, modTime: time.Unix(sys.Mtim.Unix()), ino: sys.Ino}
	if busyWithin > 0 && time.Since(time.Unix(sys.Ctim.Unix())) < busyWithin && leaseRefused(fd) {
		return nil, st, true, nil
	}
	if sys.Size > int64(max) {
		return nil, st, false, tooLarge(max)
	}
	// One buffer of the file's size and a byte more, to notice growth.
	data = make([]byte, 0, sys.Size+1)
	for {
		n, err := unix.Read(fd, data[len(data):cap(data)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, st, false, &os.PathError{Op: "read", Path: real, Err: err}
		}
		if n == 0 {
			return data, st, false, nil
		}
		data = data[:len(data)+n]
		switch {
		case len(data) == cap(data): // it grew while being read
			if len(data) > max {
				return nil, st, false, tooLarge(max)
			}
			data = append(data, 0)[:len(data)]
		case int64(len(data)) == sys.Size:
			// All that fstat counted, and short of the byte more: the end,
			// without a read to hear it.
			return data, st, false, nil
		}
	}
}
