//go:build !linux

package watcher

import (
	"io"
	"os"
	"time"
)

// readFile reads the file at real whole, refusing one of more than max
// bytes, and gives its state as it was before the read; with busyWithin
// above 0 it gives busy, and no data, while some process has the file
// open for writing (which this system cannot tell: see openForWriting).
func readFile(real string, max int, busyWithin time.Duration) (data []byte, st fileState, busy bool, err error) {
	fh, err := os.Open(real)
	if err != nil {
		return nil, st, false, err
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, st, false, err
	}
	st = stateOf(real, info)
	if busyWithin > 0 && openForWriting(fh) {
		return nil, st, true, nil
	}
	if info.Size() > int64(max) {
		return nil, st, false, tooLarge(max)
	}
	// One buffer of the file's size (and a byte more, to notice growth),
	// rather than one grown as it reads.
	data = make([]byte, 0, info.Size()+1)
	for {
		n, err := fh.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, st, false, nil
		}
		if err != nil {
			return nil, st, false, err
		}
		if len(data) == cap(data) {
			if len(data) > max {
				return nil, st, false, tooLarge(max)
			}
			data = append(data, 0)[:len(data)] // it grew while being read
		}
	}
}
