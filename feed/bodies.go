package feed

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// BodyStore keeps the rendered HTML of posts out of the heap, in temporary
// files that are unlinked as soon as they are created: memory then holds
// what feeds list (titles, summaries, links, dates), and a document reads
// the bodies of its items when it is built. The operating system's page
// cache keeps the bodies of recent posts at hand; it is not the process's
// memory and is given back under pressure.
//
// A body is never changed: an edited post gets a new body. The space of
// bodies nothing refers to any more is given back in two ways: a segment
// file no post and no snapshot in use can read from is closed (and so
// freed) by the garbage collector, and when more than half of the space is
// dead, Compact copies the live bodies into new segments (Set.CompactBodies,
// which then lets the old ones go).
type BodyStore struct {
	dir          string
	readSource   func(path string) ([]byte, error) // a post file's bytes, for deferred bodies
	seed         maphash.Seed
	segMax       int64
	compactAbove int64
	log          *slog.Logger

	mu     sync.Mutex
	active *segment

	locs sync.RWMutex // guards every Body.loc of the store, the places in records (bodyRec) and generations' lists of segments

	total      atomic.Int64  // bytes in open segment files
	segments   atomic.Int64  // open segment files
	made       atomic.Uint64 // segment files ever made
	written    atomic.Int64  // bytes ever written
	mark       atomic.Int64  // written when the last compaction ended
	compacting atomic.Bool
	compacted  atomic.Uint64
	failures   atomic.Uint64
	stale      atomic.Uint64
}

// segment is one unlinked file of bodies, written at increasing offsets.
type segment struct {
	f    *os.File
	size int64 // next free offset; guarded by BodyStore.mu
}

// Body is one post's rendered HTML in a BodyStore. A deferred body is not
// rendered yet: it knows where its Markdown is in the post's file, and a
// hash of it, and is rendered (and stored) the first time it is read, or
// by Fill, whichever comes first.
type Body struct {
	store *BodyStore
	// Where the body is in the store, guarded by the store's locs: in the
	// Body rather than behind a pointer, which would be one more object
	// for every garbage collection to mark, and without a lock of its own,
	// which would make a Post (which holds its Body) impossible to copy.
	loc bodyLoc // seg is nil while deferred; moved by Compact
	// Where the Markdown of a deferred body is in the post's file.
	srcOff, srcLen int
	srcSum         uint64
	// A body held in a set's table (a Post made from a record) has its
	// place in the record instead, so that every Post of the record sees
	// it rendered or moved: rec, with the segments of gen.
	gen *generation
	rec *bodyRec
}

type bodyLoc struct {
	seg *segment
	off int64
	n   int
}

// BodyStoreOptions configure a BodyStore; zero values give the defaults.
type BodyStoreOptions struct {
	Dir string // where the files are made; "" for the system's temporary directory
	// ReadPost reads a post's file by its path (relative to the posts
	// directory, "/"-separated), for deferred bodies; required for
	// ParseOptions.DeferBodies. The watcher gives one (watcher.FileReader).
	ReadPost     func(path string) ([]byte, error)
	SegmentSize  int64 // a new file is started past this size; default 64 MiB
	CompactAbove int64 // dead bytes below which there is no compaction; default 64 MiB
	Logger       *slog.Logger
}

// NewBodyStore makes a store, checking that it can create a file.
func NewBodyStore(opt BodyStoreOptions) (*BodyStore, error) {
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
	s := &BodyStore{dir: opt.Dir, readSource: opt.ReadPost, seed: maphash.MakeSeed(), segMax: opt.SegmentSize, compactAbove: opt.CompactAbove, log: opt.Logger}
	seg, err := s.newSegment()
	if err != nil {
		return nil, err
	}
	s.active = seg
	return s, nil
}

// newSegment creates and unlinks a file: it lives as long as the segment
// is reachable, and leaves nothing behind when the process ends.
func (s *BodyStore) newSegment() (*segment, error) {
	f, err := os.CreateTemp(s.dir, "feedd-bodies-*")
	if err != nil {
		return nil, fmt.Errorf("body store: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("body store: %w", err)
	}
	seg := &segment{f: f}
	s.segments.Add(1)
	s.made.Add(1)
	runtime.AddCleanup(seg, func(f *os.File) {
		if fi, err := f.Stat(); err == nil {
			s.total.Add(-fi.Size())
		}
		s.segments.Add(-1)
		f.Close()
	}, f)
	return seg, nil
}

// reserve finds room for n bytes.
func (s *BodyStore) reserve(n int) (bodyLoc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active.size > 0 && s.active.size+int64(n) > s.segMax {
		seg, err := s.newSegment()
		if err != nil {
			return bodyLoc{}, err
		}
		s.active = seg
	}
	loc := bodyLoc{seg: s.active, off: s.active.size, n: n}
	s.active.size += int64(n)
	return loc, nil
}

// write stores html at a new place.
func (s *BodyStore) write(html []byte) (bodyLoc, error) {
	loc, err := s.reserve(len(html))
	if err != nil {
		return bodyLoc{}, err
	}
	if _, err := loc.seg.f.WriteAt(html, loc.off); err != nil {
		return bodyLoc{}, fmt.Errorf("body store: %w", err)
	}
	s.total.Add(int64(len(html)))
	s.written.Add(int64(len(html)))
	return loc, nil
}

// putInto stores a body as b (a zero Body, inside its post). An error (a
// full disk) leaves b as it was, for the caller to keep the body in
// memory.
func (s *BodyStore) putInto(b *Body, html []byte) error {
	b.store = s
	if err := b.put(html); err != nil {
		b.store = nil
		return err
	}
	return nil
}

// put writes the body's HTML and points it there, unless another reader
// did first.
func (b *Body) put(html []byte) error {
	s := b.store
	loc, err := s.write(html)
	if err != nil {
		if s.failures.Add(1) == 1 {
			s.log.Error("bodies are kept in memory from now on", "err", err)
		}
		return err
	}
	b.place(loc, false)
	return nil
}

// place makes loc the body's place: always if move, otherwise only if it
// has none yet (another reader may have stored it first).
func (b *Body) place(loc bodyLoc, move bool) {
	b.store.locs.Lock()
	defer b.store.locs.Unlock()
	if b.rec == nil {
		if move || b.loc.seg == nil {
			b.loc = loc
		}
		return
	}
	if move || b.rec.seg < 0 {
		b.rec.seg, b.rec.off, b.rec.n = b.gen.segIndex(loc.seg), loc.off, int32(loc.n)
	}
}

// record is the body as a record of generation g holds it.
func (b *Body) record(g *generation) bodyRec {
	b.store.locs.Lock() // g may be published: segIndex changes its list
	defer b.store.locs.Unlock()
	if b.rec != nil {
		r := *b.rec
		if r.seg >= 0 {
			r.seg = g.segIndex(b.gen.segs[r.seg])
		}
		return r
	}
	r := bodyRec{seg: -1, n: int32(b.loc.n), off: b.loc.off, srcOff: int32(b.srcOff), srcLen: int32(b.srcLen), srcSum: b.srcSum}
	if b.loc.seg != nil {
		r.seg = g.segIndex(b.loc.seg)
	}
	return r
}

// src is where a deferred body's Markdown is in its post's file, and the
// hash it had.
func (b *Body) src() (off, n int, sum uint64) {
	if b.rec != nil {
		return int(b.rec.srcOff), int(b.rec.srcLen), b.rec.srcSum
	}
	return b.srcOff, b.srcLen, b.srcSum
}

// deferInto makes b (a zero Body, inside its post) a body to be rendered
// later from the Markdown md, which is the part of the post's file from
// offset off.
func (s *BodyStore) deferInto(b *Body, md []byte, off int) {
	b.store, b.srcOff, b.srcLen, b.srcSum = s, off, len(md), maphash.Bytes(s.seed, md)
}

// where is the body's place in the store; its seg is nil while deferred.
func (b *Body) where() bodyLoc {
	b.store.locs.RLock()
	defer b.store.locs.RUnlock()
	if b.rec == nil {
		return b.loc
	}
	if b.rec.seg < 0 {
		return bodyLoc{}
	}
	return bodyLoc{seg: b.gen.segs[b.rec.seg], off: b.rec.off, n: int(b.rec.n)}
}

// Len is the size of the stored body, 0 while it is deferred.
func (b *Body) Len() int { return b.where().n }

// Deferred says whether the body is still to be rendered.
func (b *Body) Deferred() bool { return b.where().seg == nil }

// stored reads the body if it is in the store. A reader holds the body's
// place, so the segment it is in stays open while it reads, even if
// Compact moves the body.
func (b *Body) stored() ([]byte, bool, error) {
	loc := b.where()
	if loc.seg == nil {
		return nil, false, nil
	}
	buf := make([]byte, loc.n)
	if _, err := loc.seg.f.ReadAt(buf, loc.off); err != nil {
		return nil, true, fmt.Errorf("body store: %w", err)
	}
	return buf, true, nil
}

// html is p's body, rendered from its file if it was deferred. A file that
// no longer holds the Markdown it was read with (saved again since; the
// watcher brings the new version) gives the summary as one paragraph, and
// is not stored.
func (b *Body) html(p *Post) (string, error) {
	if data, ok, err := b.stored(); ok {
		return string(data), err
	}
	s := b.store
	var data []byte
	err := errors.New("no reader of post files")
	if s.readSource != nil {
		data, err = s.readSource(p.Path)
	}
	off, n, sum := b.src()
	end := off + n
	if err != nil || len(data) < end || maphash.Bytes(s.seed, data[off:end]) != sum {
		s.stale.Add(1)
		return summaryParagraph(p.Summary), nil
	}
	link, _ := url.Parse(p.Link)
	content, err := renderBody(data[off:end], link, p.Summary)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p.Path, err)
	}
	// Stored for the next reader; kept in memory if it cannot be.
	_ = b.put([]byte(content))
	return content, nil
}

// Fill renders and stores the deferred bodies of posts, in their order,
// until ctx ends; it returns how many it rendered.
func (s *BodyStore) Fill(ctx context.Context, posts iter.Seq[*Post]) int {
	n := 0
	for p := range posts {
		if ctx.Err() != nil {
			break
		}
		if b := p.StoredBody(); b != nil && b.store == s && b.Deferred() {
			if _, err := b.html(p); err == nil {
				n++
			}
		}
	}
	return n
}

// BodyStats are a BodyStore's counters.
type BodyStats struct {
	Total     int64  // bytes in open files, dead bodies included
	Files     int64  // open segment files
	Compacted uint64 // compactions done
	Failures  uint64 // bodies that could not be written and stayed in memory
	Stale     uint64 // deferred bodies whose file had changed when they were read
}

// Stats reads the counters. Total lags behind: a file is closed once no
// table of a Set that points to it is in use (Set.CompactBodies), found
// by the garbage collector.
func (s *BodyStore) Stats() BodyStats {
	return BodyStats{
		Total: s.total.Load(), Files: s.segments.Load(),
		Compacted: s.compacted.Load(), Failures: s.failures.Load(), Stale: s.stale.Load(),
	}
}

// CompactionDue says whether enough has been written since the last
// compaction, or the last check (CompactAbove), for Compact to be worth
// calling; it is cheap, and true at most once per CompactAbove written.
func (s *BodyStore) CompactionDue() bool {
	return !s.compacting.Load() && s.written.Load()-s.mark.Load() >= s.compactAbove
}

// LiveBytes is the size of the bodies given (those in use) that are
// stored.
func LiveBytes(bodies []*Body) int64 {
	var n int64
	for _, b := range bodies {
		if b != nil {
			n += int64(b.Len())
		}
	}
	return n
}

// Compact copies the given bodies, those still in use, into new segment
// files, so that the old files, once no reader is in them, are closed and
// their space given back, when more than half of the store's space (and
// more than CompactAbove) is dead bodies; otherwise it returns false and
// waits for another CompactAbove to be written before CompactionDue says
// to try again. Bodies not listed stay where they are. One compaction runs
// at a time; a call while one runs returns false at once, and so does one
// whose ctx ends (the bodies copied so far stay moved).
//
// What is live is counted from the bodies given rather than kept up to
// date as posts come and go: a running count needs the collector to tell
// the store of each body it frees (a cleanup per body, which every
// collection pays for), or the set to tell it of each body it drops.
func (s *BodyStore) Compact(ctx context.Context, bodies []*Body) (bool, error) {
	if !s.compacting.CompareAndSwap(false, true) {
		return false, nil
	}
	defer s.compacting.Store(false)
	if live := LiveBytes(bodies); s.total.Load()-live <= max(s.compactAbove, live) {
		s.mark.Store(s.written.Load())
		return false, nil
	}
	// Start a fresh segment, so that no old one is kept open by being the
	// one written to.
	seg, err := s.newSegment()
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	s.active = seg
	s.mu.Unlock()
	for _, b := range bodies {
		if ctx.Err() != nil {
			return false, nil
		}
		if b == nil {
			continue
		}
		data, ok, err := b.stored()
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		loc, err := s.write(data)
		if err != nil {
			return false, err
		}
		b.place(loc, true)
	}
	s.compacted.Add(1)
	s.mark.Store(s.written.Load())
	return true, nil
}
