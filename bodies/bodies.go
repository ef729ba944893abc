// Package bodies keeps byte strings (the rendered bodies of posts) outside
// the Go heap, in files, and reads them back with pread when a document is
// built: 100,000 bodies of 4 to 5 KB would otherwise be half a gigabyte of
// heap for the garbage collector to keep.
//
// A Store owns its ids, its segment files and the space of the bodies in
// them. Segment files are temporary files unlinked as soon as they are
// created, so nothing is left on disk however the process ends; bodies are
// appended to the active one. The caller owns the lifetime of a body: its
// space is dead when Release or Replace says so, and at no other time. What
// a body means, rendering it and caching documents are left to callers;
// keeping recently read bodies at hand is left to the operating system's
// page cache, which is not the process's memory.
//
// A segment whose bodies are all dead is closed at once. When the dead
// bytes in files outgrow both Options.CompactAbove and the live bytes, one
// goroutine of the Store copies the live bodies of the segments with the
// most dead bytes into the active segment, one body at a time, so that Put
// and Get are never held up for a whole compaction.
//
// A body that cannot be written to a file (a full disk, an I/O error) is
// kept in memory until it is released or replaced; the Store logs the first
// such failure and keeps working.
//
// bench/bodystores compares this with bbolt and with a file per body.
package bodies

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"slices"
	"sync"
)

// ErrNotFound is returned by Get and Replace for an id that was never put
// or has been released.
var ErrNotFound = errors.New("bodies: no such body")

var errClosed = errors.New("bodies: store is closed")

// Options configure a Store; zero values give the defaults.
type Options struct {
	Dir          string       // where segment files are created; "" for os.TempDir()
	SegmentSize  int64        // a new segment file is started past this size; default 64 MiB
	CompactAbove int64        // dead bytes below which no compaction runs; default 64 MiB
	Logger       *slog.Logger // default slog.Default()
}

// Stats describe what a store holds.
type Stats struct {
	Bodies      int    // ids held
	LiveBytes   int64  // bytes of the bodies held
	FileBytes   int64  // bytes in open segment files, dead bodies included
	Files       int    // open segment files
	Compactions uint64 // compaction passes completed
	InMemory    int    // bodies held in memory because a file write failed
}

// Store keeps bodies in unlinked segment files. Its methods may be called
// from any number of goroutines.
type Store struct {
	dir          string
	segmentSize  int64
	compactAbove int64
	log          *slog.Logger

	stop      chan struct{}  // closed by Close
	compactor sync.WaitGroup // the compaction goroutine, while it runs

	mu          sync.RWMutex
	closed      bool
	lastID      uint64
	locs        map[uint64]loc
	mem         map[uint64][]byte // bodies whose file write failed
	memBytes    int64
	segs        map[uint32]*segment
	active      *segment
	lastSeg     uint32
	fileBytes   int64 // the sum of segs' sizes
	fileLive    int64 // the sum of segs' live bytes
	compacting  bool
	compactions uint64
	retryAbove  int64 // after a failed compaction, the dead bytes the next one waits for
	warnedWrite bool
	warnedMove  bool
}

// loc is where a body is: no pointers, so the garbage collector does not
// scan the map of them. A body of no bytes has segment 0 and no file.
type loc struct {
	off int64
	n   uint32
	seg uint32
}

// segment is one unlinked file, written at increasing offsets.
type segment struct {
	f    *os.File
	no   uint32
	size int64 // bytes written, and the offset of the next body
	live int64 // bytes of the bodies in it that are held
}

// Open makes a store, checking that it can create a file in opt.Dir.
func Open(opt Options) (*Store, error) {
	if opt.Dir == "" {
		opt.Dir = os.TempDir()
	}
	if opt.SegmentSize <= 0 {
		opt.SegmentSize = 64 << 20
	}
	if opt.CompactAbove <= 0 {
		opt.CompactAbove = 64 << 20
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Store{
		dir:          opt.Dir,
		segmentSize:  opt.SegmentSize,
		compactAbove: opt.CompactAbove,
		log:          opt.Logger,
		stop:         make(chan struct{}),
		locs:         make(map[uint64]loc),
		mem:          make(map[uint64][]byte),
		segs:         make(map[uint32]*segment),
	}
	seg, err := s.newSegmentLocked()
	if err != nil {
		return nil, err
	}
	s.active = seg
	return s, nil
}

// Put stores a copy of b under a new id, which is never 0 and never given
// again, even after Release.
func (s *Store) Put(b []byte) (uint64, error) {
	if err := checkSize(b); err != nil {
		return 0, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, errClosed
	}
	s.lastID++
	id := s.lastID
	failed := s.keepLocked(id, b)
	s.maybeCompactLocked()
	s.mu.Unlock()
	s.warnWrite(failed)
	return id, nil
}

// Get returns a fresh copy of the bytes stored under id, or ErrNotFound.
func (s *Store) Get(id uint64) ([]byte, error) {
	// The read lock is held across the read: a segment is closed only
	// under the write lock, so never under a reader.
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	if l, ok := s.locs[id]; ok {
		b := make([]byte, l.n)
		if l.n == 0 {
			return b, nil
		}
		if _, err := s.segs[l.seg].f.ReadAt(b, l.off); err != nil {
			return nil, fmt.Errorf("bodies: reading body %d: %w", id, err)
		}
		return b, nil
	}
	if b, ok := s.mem[id]; ok {
		return append([]byte{}, b...), nil
	}
	return nil, ErrNotFound
}

// Replace stores a copy of b under id instead of its bytes; the old bytes
// are dead. It returns ErrNotFound for an id never put or released.
func (s *Store) Replace(id uint64, b []byte) error {
	if err := checkSize(b); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	if !s.dropLocked(id) {
		s.mu.Unlock()
		return ErrNotFound
	}
	failed := s.keepLocked(id, b)
	s.maybeCompactLocked()
	s.mu.Unlock()
	s.warnWrite(failed)
	return nil
}

// Release tells the store that id will never be read again: its bytes are
// dead. Unknown and released ids are ignored.
func (s *Store) Release(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropLocked(id) {
		s.maybeCompactLocked()
	}
}

// Stats returns the store's current figures.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Stats{
		Bodies:      len(s.locs) + len(s.mem),
		LiveBytes:   s.fileLive + s.memBytes,
		FileBytes:   s.fileBytes,
		Files:       len(s.segs),
		Compactions: s.compactions,
		InMemory:    len(s.mem),
	}
}

// Close stops the compaction goroutine, waiting for it, and closes every
// file. Put, Get and Replace fail afterwards; Release does nothing.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	s.compactor.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, seg := range s.segs {
		if err := seg.f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.locs, s.mem, s.segs, s.active = nil, nil, nil, nil
	s.memBytes, s.fileBytes, s.fileLive = 0, 0, 0
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bodies: %w", err)
	}
	return nil
}

func checkSize(b []byte) error {
	if uint64(len(b)) > math.MaxUint32 {
		return fmt.Errorf("bodies: a body of %d bytes is over the limit of %d", len(b), uint64(math.MaxUint32))
	}
	return nil
}

// keepLocked stores b under id, in the active segment or, if it cannot be
// written there, in memory. It returns the write's error if it is the
// first that failed, for the caller to log once it has unlocked.
func (s *Store) keepLocked(id uint64, b []byte) error {
	l, err := s.appendLocked(b)
	if err == nil {
		s.locs[id] = l
		return nil
	}
	s.mem[id] = append([]byte{}, b...)
	s.memBytes += int64(len(b))
	if s.warnedWrite {
		return nil
	}
	s.warnedWrite = true
	return err
}

func (s *Store) warnWrite(err error) {
	if err != nil {
		s.log.Error("bodies: a file write failed; bodies that cannot be written are kept in memory", "dir", s.dir, "err", err)
	}
}

// appendLocked writes b at the end of the active segment, starting a new
// one first if b would take it past the segment size.
func (s *Store) appendLocked(b []byte) (loc, error) {
	if len(b) == 0 {
		return loc{}, nil
	}
	if s.active.size > 0 && s.active.size+int64(len(b)) > s.segmentSize {
		seg, err := s.newSegmentLocked()
		if err != nil {
			return loc{}, err
		}
		old := s.active
		s.active = seg
		s.closeIfDeadLocked(old)
	}
	seg := s.active
	// A failed write leaves size as it was: whatever part of b reached
	// the file is overwritten by the next body.
	if _, err := seg.f.WriteAt(b, seg.size); err != nil {
		return loc{}, fmt.Errorf("bodies: %w", err)
	}
	l := loc{seg: seg.no, off: seg.size, n: uint32(len(b))}
	seg.size += int64(len(b))
	seg.live += int64(len(b))
	s.fileBytes += int64(len(b))
	s.fileLive += int64(len(b))
	return l, nil
}

// dropLocked forgets id's bytes, closing their segment if nothing else in
// it is held; it reports whether id was held.
func (s *Store) dropLocked(id uint64) bool {
	if l, ok := s.locs[id]; ok {
		delete(s.locs, id)
		s.deadLocked(l)
		return true
	}
	if b, ok := s.mem[id]; ok {
		delete(s.mem, id)
		s.memBytes -= int64(len(b))
		return true
	}
	return false
}

// deadLocked counts the bytes at l as dead.
func (s *Store) deadLocked(l loc) {
	if l.n == 0 {
		return
	}
	seg := s.segs[l.seg]
	seg.live -= int64(l.n)
	s.fileLive -= int64(l.n)
	s.closeIfDeadLocked(seg)
}

func (s *Store) closeIfDeadLocked(seg *segment) {
	if seg == s.active || seg.live > 0 {
		return
	}
	delete(s.segs, seg.no)
	s.fileBytes -= seg.size
	// Everything in the file is dead, so an error closing it loses nothing.
	seg.f.Close()
}

func (s *Store) newSegmentLocked() (*segment, error) {
	f, err := os.CreateTemp(s.dir, "feedd-bodies-*")
	if err != nil {
		return nil, fmt.Errorf("bodies: creating a file in %s: %w", s.dir, err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("bodies: %w", err)
	}
	s.lastSeg++
	seg := &segment{f: f, no: s.lastSeg}
	s.segs[seg.no] = seg
	return seg, nil
}

func (s *Store) dueLocked() bool {
	dead := s.fileBytes - s.fileLive
	return dead > max(s.compactAbove, s.fileLive) && dead > s.retryAbove
}

// maybeCompactLocked starts the compaction goroutine if compaction is due
// and it is not running.
func (s *Store) maybeCompactLocked() {
	if s.closed || s.compacting || !s.dueLocked() {
		return
	}
	s.compacting = true
	s.compactor.Add(1)
	go s.compact()
}

// compact runs compaction passes while one is due.
func (s *Store) compact() {
	defer s.compactor.Done()
	for {
		victims, err := s.pickVictims()
		if err == nil && victims == nil {
			return
		}
		if err == nil {
			err = s.move(victims)
		}
		s.mu.Lock()
		if err == nil && !s.closed {
			s.compactions++
			s.retryAbove = 0
		} else {
			s.retryAbove = s.fileBytes - s.fileLive + s.compactAbove
		}
		warn := err != nil && !s.warnedMove
		if warn {
			s.warnedMove = true
		}
		s.mu.Unlock()
		if warn {
			s.log.Error("bodies: compaction failed; the next waits for more dead bytes", "dir", s.dir, "err", err)
		}
	}
}

// pickVictims chooses the segments to empty, those with the most dead
// bytes first, until what is left dead is at most half the threshold. It
// returns nil, having marked the compaction finished, if none is due.
func (s *Store) pickVictims() (map[uint32]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.dueLocked() {
		s.compacting = false
		return nil, nil
	}
	segs := slices.SortedFunc(maps.Values(s.segs), func(a, b *segment) int {
		return cmp.Compare(b.size-b.live, a.size-a.live)
	})
	dead := s.fileBytes - s.fileLive
	goal := max(s.compactAbove, s.fileLive) / 2
	victims := make(map[uint32]bool)
	for _, seg := range segs {
		if dead <= goal || seg.size == seg.live {
			break
		}
		victims[seg.no] = true
		dead -= seg.size - seg.live
	}
	if victims[s.active.no] {
		// Bodies are copied into the active segment, so it cannot be
		// emptied until another takes its place.
		seg, err := s.newSegmentLocked()
		if err != nil {
			return nil, err
		}
		old := s.active
		s.active = seg
		s.closeIfDeadLocked(old)
	}
	return victims, nil
}

// move copies the held bodies of the victim segments into the active
// segment, one at a time; a victim is closed when its last body leaves it.
// It returns early, with no error, when the store is being closed.
func (s *Store) move(victims map[uint32]bool) error {
	type body struct {
		id uint64
		l  loc
	}
	var todo []body
	s.mu.RLock()
	for id, l := range s.locs {
		if victims[l.seg] {
			todo = append(todo, body{id, l})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(todo, func(a, b body) int {
		return cmp.Or(cmp.Compare(a.l.seg, b.l.seg), cmp.Compare(a.l.off, b.l.off))
	})

	var buf []byte
	for _, e := range todo {
		select {
		case <-s.stop:
			return nil
		default:
		}
		// A loc is never given twice (segments are never renumbered and
		// offsets only grow), so an unchanged loc means an untouched body.
		buf = slices.Grow(buf[:0], int(e.l.n))[:e.l.n]
		s.mu.RLock()
		if s.locs[e.id] != e.l {
			s.mu.RUnlock()
			continue
		}
		_, err := s.segs[e.l.seg].f.ReadAt(buf, e.l.off)
		s.mu.RUnlock()
		if err != nil {
			return fmt.Errorf("bodies: reading body %d: %w", e.id, err)
		}

		s.mu.Lock()
		if s.closed || s.locs[e.id] != e.l {
			s.mu.Unlock()
			continue
		}
		l, err := s.appendLocked(buf)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		s.locs[e.id] = l
		s.deadLocked(e.l)
		s.mu.Unlock()
	}
	return nil
}
