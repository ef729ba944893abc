package bodies

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// kinds are the stores the contract tests run on: small segments, so
// that bodies span several files.
var kinds = []struct {
	name string
	open func(t *testing.T) *Store
}{
	{"Store", func(t *testing.T) *Store { return openStore(t, Options{Dir: t.TempDir(), SegmentSize: 8 << 10}) }},
}

func openStore(t *testing.T, opt Options) *Store {
	t.Helper()
	s, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// body makes n bytes that say which key they were made for: the key in the
// first 8 bytes, then bytes drawn from it, so that valid can check a body
// read back without knowing what was stored.
func body(key uint64, n int) []byte {
	n = max(n, 8)
	b := make([]byte, n)
	binary.BigEndian.PutUint64(b, key)
	r := rand.New(rand.NewPCG(key, uint64(n)))
	for i := 8; i < n; i++ {
		b[i] = byte('a' + r.IntN(26))
	}
	return b
}

func valid(b []byte) bool {
	return len(b) >= 8 && bytes.Equal(b, body(binary.BigEndian.Uint64(b), len(b)))
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after a minute for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("counting open files: %v", err)
	}
	return len(fds)
}

func TestRoundTrip(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			s := k.open(t)
			want := map[uint64][]byte{}
			var last uint64
			put := func(b []byte) uint64 {
				t.Helper()
				id, err := s.Put(b)
				if err != nil {
					t.Fatal(err)
				}
				if id <= last {
					t.Fatalf("Put gave id %d after %d", id, last)
				}
				last = id
				want[id] = bytes.Clone(b)
				return id
			}
			check := func() {
				t.Helper()
				var live int64
				for id, w := range want {
					got, err := s.Get(id)
					if err != nil {
						t.Fatalf("Get(%d): %v", id, err)
					}
					if !bytes.Equal(got, w) {
						t.Fatalf("Get(%d) = %d bytes %.20q, want %d bytes %.20q", id, len(got), got, len(w), w)
					}
					live += int64(len(w))
				}
				if st := s.Stats(); st.Bodies != len(want) || st.LiveBytes != live {
					t.Fatalf("Stats() = %+v, want %d bodies of %d bytes", st, len(want), live)
				}
			}

			empty := put(nil)
			put([]byte("x"))
			for i := range 30 {
				put(body(uint64(i), 500+i*97))
			}
			big := put(body(99, 20000)) // over the segment size
			check()
			if got, _ := s.Get(empty); got == nil {
				t.Error("Get of an empty body gave nil")
			}

			// Get gives a copy, and Put and Replace copy what they are given.
			in := body(100, 1000)
			id := put(in)
			in[10]++
			got, _ := s.Get(id)
			got[11]++
			check()
			if err := s.Replace(id, in); err != nil {
				t.Fatal(err)
			}
			want[id] = bytes.Clone(in)
			in[12]++
			check()

			for id := range want {
				if id%3 == 0 {
					if err := s.Replace(id, body(id+1000, int(id)*61%3000)); err != nil {
						t.Fatal(err)
					}
					want[id] = body(id+1000, int(id)*61%3000)
				}
			}
			check()

			released := []uint64{empty, big, 5, 6, 7}
			for _, id := range released {
				s.Release(id)
				s.Release(id)
				delete(want, id)
			}
			s.Release(0)
			s.Release(last + 1000)
			check()
			for _, id := range append(released, 0, last+1, last+1000) {
				if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
					t.Errorf("Get(%d) of an id not held: %v, want ErrNotFound", id, err)
				}
				if err := s.Replace(id, []byte("back")); !errors.Is(err, ErrNotFound) {
					t.Errorf("Replace(%d) of an id not held: %v, want ErrNotFound", id, err)
				}
			}
			check() // Replace did not bring a released id back

			// Ids are never given again, whatever was released.
			for range 10 {
				put([]byte("again"))
			}
			check()

			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put([]byte("late")); err == nil {
				t.Error("Put after Close succeeded")
			}
			if _, err := s.Get(last); err == nil {
				t.Error("Get after Close succeeded")
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestDeadSegmentIsClosed(t *testing.T) {
	s := openStore(t, Options{Dir: t.TempDir(), SegmentSize: 4096})
	var ids []uint64
	for i := range 40 { // four 1,000-byte bodies to a segment
		id, err := s.Put(body(uint64(i), 1000))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	st := s.Stats()
	if st.Files != 10 {
		t.Fatalf("40 bodies of 1,000 bytes in segments of 4,096: %d files, want 10", st.Files)
	}
	fds := openFiles(t)

	for _, id := range ids[:35] { // the first 8 segments, and 3 of 4 bodies of the 9th
		s.Release(id)
	}
	if st := s.Stats(); st.Files != 2 || st.FileBytes != 8000 || st.LiveBytes != 5000 {
		t.Fatalf("after releasing the first 8 segments' bodies: %+v, want 2 files of 8,000 bytes", st)
	}
	if n := openFiles(t); n != fds-8 {
		t.Errorf("open files went from %d to %d, want %d", fds, n, fds-8)
	}

	for _, id := range ids[35:] { // the rest, the active segment's included
		s.Release(id)
	}
	if st := s.Stats(); st.Files != 1 || st.Bodies != 0 {
		t.Errorf("after releasing every body: %+v, want the active segment alone", st)
	}
	if n := openFiles(t); n != fds-9 {
		t.Errorf("open files went from %d to %d, want %d", fds, n, fds-9)
	}
	id, err := s.Put([]byte("still working"))
	if err != nil || id != ids[len(ids)-1]+1 {
		t.Fatalf("Put after releasing everything: id %d, %v", id, err)
	}
}

// churn replaces random bodies among ids (whose bytes are in want) n
// times, with bodies of 800 to 1,200 bytes.
func churn(t *testing.T, s *Store, r *rand.Rand, ids []uint64, want map[uint64][]byte, n int) {
	t.Helper()
	for i := range n {
		id := ids[r.IntN(len(ids))]
		b := body(uint64(i)<<32|id, 800+r.IntN(400))
		if err := s.Replace(id, b); err != nil {
			t.Fatal(err)
		}
		if want != nil {
			want[id] = b
		}
	}
}

func TestCompaction(t *testing.T) {
	opt := Options{Dir: t.TempDir(), SegmentSize: 16 << 10, CompactAbove: 16 << 10}
	s := openStore(t, opt)
	r := rand.New(rand.NewPCG(1, 2))
	want := map[uint64][]byte{}
	var ids []uint64
	for i := range 300 {
		b := body(uint64(i), 800+r.IntN(400))
		id, err := s.Put(b)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		want[id] = b
	}
	written := s.Stats().FileBytes
	const replaces = 6000
	churn(t, s, r, ids, want, replaces)
	written += replaces * 1000

	settled := func() bool {
		st := s.Stats()
		return st.Compactions > 0 && st.FileBytes-st.LiveBytes <= max(opt.CompactAbove, st.LiveBytes)
	}
	waitFor(t, "a compaction to bring the dead bytes down", settled)
	st := s.Stats()
	t.Logf("%d bytes written, then %+v", written, st)
	if st.FileBytes > 2*st.LiveBytes+opt.SegmentSize || st.FileBytes > written/4 {
		t.Errorf("FileBytes = %d after compaction, with %d live and %d written", st.FileBytes, st.LiveBytes, written)
	}
	for id, w := range want {
		got, err := s.Get(id)
		if err != nil || !bytes.Equal(got, w) {
			t.Fatalf("Get(%d) after compaction = %d bytes, %v; want %d bytes", id, len(got), err, len(w))
		}
	}
}

// TestConcurrent has workers put, replace, release and get their own
// bodies, checking every byte, while readers get anyone's, and compaction
// runs all along.
func TestConcurrent(t *testing.T) {
	s := openStore(t, Options{Dir: t.TempDir(), SegmentSize: 8 << 10, CompactAbove: 8 << 10})
	var top atomic.Uint64 // the highest id put so far
	var stop atomic.Bool
	var failures atomic.Int64
	fail := func(format string, args ...any) {
		if failures.Add(1) < 10 {
			t.Errorf(format, args...)
		}
	}

	var readers sync.WaitGroup
	for r := range 2 {
		readers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 99))
			for !stop.Load() {
				id := rng.Uint64N(top.Load()+2) + 1
				b, err := s.Get(id)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil || !valid(b) {
					fail("Get(%d) by a reader: %d bytes, %v", id, len(b), err)
				}
			}
		})
	}

	var workers sync.WaitGroup
	for w := range 4 {
		workers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			mine := map[uint64][]byte{}
			var ids []uint64
			for i := range 1500 {
				key := uint64(w)<<40 | uint64(i)
				b := body(key, 200+rng.IntN(1000))
				switch op := rng.IntN(10); {
				case op < 3 || len(ids) == 0:
					id, err := s.Put(b)
					if err != nil {
						fail("Put: %v", err)
						return
					}
					for old := top.Load(); old < id && !top.CompareAndSwap(old, id); old = top.Load() {
					}
					ids = append(ids, id)
					mine[id] = b
				case op < 6:
					id := ids[rng.IntN(len(ids))]
					if err := s.Replace(id, b); err != nil {
						fail("Replace(%d): %v", id, err)
					}
					mine[id] = b
				case op < 7:
					j := rng.IntN(len(ids))
					id := ids[j]
					s.Release(id)
					delete(mine, id)
					ids[j] = ids[len(ids)-1]
					ids = ids[:len(ids)-1]
					if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
						fail("Get(%d) after Release: %v", id, err)
					}
				default:
					id := ids[rng.IntN(len(ids))]
					got, err := s.Get(id)
					if err != nil || !bytes.Equal(got, mine[id]) {
						fail("Get(%d) = %d bytes, %v; want %d bytes", id, len(got), err, len(mine[id]))
					}
				}
			}
			for id, want := range mine {
				if got, err := s.Get(id); err != nil || !bytes.Equal(got, want) {
					fail("Get(%d) at the end = %d bytes, %v; want %d bytes", id, len(got), err, len(want))
				}
			}
		})
	}
	workers.Wait()
	stop.Store(true)
	readers.Wait()
	waitFor(t, "a compaction", func() bool { return s.Stats().Compactions > 0 })
	t.Logf("%+v", s.Stats())
}

func TestOpenFails(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{filepath.Join(dir, "missing"), file} {
		s, err := Open(Options{Dir: bad})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", bad)
			continue
		}
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("Open(%q): error %q does not name the directory", bad, err)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("%d files left in %s, want 1", len(left), dir)
	}
}

func TestCloseStopsCompactor(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	fds := openFiles(t)
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, SegmentSize: 8 << 10, CompactAbove: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := range 2000 {
		id, err := s.Put(body(uint64(i), 1000))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Keep every fourth body, so that no segment dies whole and
	// compaction has plenty to copy when Close comes.
	for i, id := range ids {
		if i%4 != 0 {
			s.Release(id)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Files != 0 || st.FileBytes != 0 {
		t.Errorf("Stats after Close = %+v", st)
	}
	if n := openFiles(t); n != fds {
		t.Errorf("%d open files after Close, %d before Open", n, fds)
	}
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= goroutines })
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d files left in %s", len(left), dir)
	}
}

// lines counts what a logger writes, line by line.
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWriteFailureKeepsBodiesInMemory(t *testing.T) {
	var log lines
	s := openStore(t, Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&log, nil))})
	first := body(1, 3000)
	id1, err := s.Put(first)
	if err != nil {
		t.Fatal(err)
	}
	// The segment's file from now on opened for reading only: what is in
	// it can be read, nothing can be written to it.
	s.mu.Lock()
	seg := s.active
	ro, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", seg.f.Fd()))
	if err != nil {
		s.mu.Unlock()
		t.Skipf("reopening a segment read-only: %v", err)
	}
	seg.f.Close()
	seg.f = ro
	s.mu.Unlock()

	want := map[uint64][]byte{id1: first}
	for i := range 5 {
		b := body(uint64(10+i), 2000+i)
		id, err := s.Put(b)
		if err != nil {
			t.Fatalf("Put with writes failing: %v", err)
		}
		want[id] = b
	}
	if err := s.Replace(id1, body(2, 1500)); err != nil { // from the file to memory
		t.Fatal(err)
	}
	want[id1] = body(2, 1500)
	if err := s.Replace(id1+1, body(3, 1600)); err != nil { // from memory to memory
		t.Fatal(err)
	}
	want[id1+1] = body(3, 1600)
	s.Release(id1 + 2)
	delete(want, id1+2)

	var live int64
	for id, w := range want {
		got, err := s.Get(id)
		if err != nil || !bytes.Equal(got, w) {
			t.Errorf("Get(%d) = %d bytes, %v; want %d bytes", id, len(got), err, len(w))
		}
		live += int64(len(w))
	}
	st := s.Stats()
	if st.InMemory != 5 || st.Bodies != 5 || st.LiveBytes != live || st.FileBytes != 3000 {
		t.Errorf("Stats() = %+v, want 5 bodies in memory of %d bytes and 3,000 bytes in files", st, live)
	}
	out := log.String()
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "err=") {
		t.Errorf("logged %d lines, want one error with err=:\n%s", n, out)
	}
}

func BenchmarkStore(b *testing.B) {
	const size = 4500
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = body(uint64(i), size)
	}
	open := func(b *testing.B) *Store {
		s, err := Open(Options{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	fill := func(b *testing.B, s *Store, n int) []uint64 {
		ids := make([]uint64, n)
		for i := range ids {
			id, err := s.Put(bodies[i%len(bodies)])
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = id
		}
		return ids
	}

	// Put releases the body put 10,000 before, so that the files stay
	// small: their segments die whole and are closed.
	b.Run("Put", func(b *testing.B) {
		s := open(b)
		b.SetBytes(size)
		i := 0
		for b.Loop() {
			id, err := s.Put(bodies[i%len(bodies)])
			if err != nil {
				b.Fatal(err)
			}
			if id > 10000 {
				s.Release(id - 10000)
			}
			i++
		}
	})
	b.Run("Get", func(b *testing.B) {
		s := open(b)
		ids := fill(b, s, 10000)
		r := rand.New(rand.NewPCG(1, 2))
		b.SetBytes(size)
		for b.Loop() {
			if _, err := s.Get(ids[r.IntN(len(ids))]); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Replace leaves dead bytes behind, so compaction runs during it.
	b.Run("Replace", func(b *testing.B) {
		s := open(b)
		ids := fill(b, s, 10000)
		r := rand.New(rand.NewPCG(1, 2))
		b.SetBytes(size)
		i := 0
		for b.Loop() {
			if err := s.Replace(ids[r.IntN(len(ids))], bodies[i%len(bodies)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(s.Stats().Compactions), "compactions")
	})
}
