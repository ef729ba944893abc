package watcher

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/parse"
	"github.com/fsnotify/fsnotify"
)

// Defaults of Options.
const (
	DefaultDebounce     = 200 * time.Millisecond
	DefaultPollInterval = time.Second
	DefaultMaxPending   = 2048
	DefaultHoldMax      = 10 * time.Second
	// retryMissing is how often a missing posts directory is looked for.
	retryMissing = time.Second
)

// Options configure a Watcher.
type Options struct {
	Dir   string // the posts directory as configured; may be a symlink
	Parse parse.Options
	// Debounce is the quiet time after the last change before the changes
	// are applied as one batch; a steady stream of changes is applied at
	// least every 4×Debounce.
	Debounce time.Duration
	// Rescan is the interval of full rescans, the safety net for lost
	// events; 0 turns it off.
	Rescan time.Duration
	// Poll uses full rescans every PollInterval instead of file system
	// events, for file systems that have none (NFS, some container mounts).
	Poll         bool
	PollInterval time.Duration
	// MaxPending is how many changed paths one window may collect; past it,
	// a full rescan is cheaper and sure.
	MaxPending int
	// HoldMax is how long a file still open for writing is held back before
	// it is read anyway.
	HoldMax time.Duration
	Logger  *slog.Logger
	// OnBatch, if set, is called after each snapshot published because of
	// changes on disk, with the time the batch took (for metrics).
	OnBatch func(took time.Duration)
}

// Stats count what a Watcher has done, for tests and metrics.
type Stats struct {
	Batches   uint64 // snapshots published because of changes on disk
	FullScans uint64 // full rescans (start, overflow, swaps, timer, polls)
	Overflows uint64 // event queue overflows and bursts too large to track
	Held      uint64 // reads put off because a file was still open for writing
	Bad       uint64 // reads of bad posts
	Lost      uint64 // times the posts directory was found missing
	BadNow    int64  // post files that are bad now
}

// Watcher keeps a feed.Set in step with a posts directory: an initial full
// scan, then file system events (or polling), debounced into batches, each
// published as one snapshot. It is the set's only writer.
type Watcher struct {
	opt Options
	set *feed.Set
	log *slog.Logger

	// State below is owned by the Run goroutine.
	root   string               // the posts directory resolved; "" until found
	files  map[string]fileState // every post file seen, good or bad, by relative path (in names)
	names  nameArena
	dirs   map[string]string // watched real directory -> relative path
	dirRel map[string]string // relative path -> watched real directory
	// unreadable are the directories that could not be listed, by
	// relative path, with the reason last logged.
	unreadable map[string]string
	// unwatched are the directories known whose watch could not be added
	// (permission denied): the next walk of one tries again.
	unwatched map[string]bool
	fsw       *fsnotify.Watcher
	parent    string               // the directory holding opt.Dir, watched for swaps
	base      string               // opt.Dir's name in parent
	pending   map[string]time.Time // changed relative paths -> when first seen
	full      bool                 // a full rescan is due
	missing   bool                 // the posts directory is gone; serving the last snapshot

	// Counters, read by Stats from any goroutine.
	batches, fullScans, overflows, held, bad, lostN atomic.Uint64
	badNow                                          atomic.Int64
}

// New returns a watcher for set; Run starts it.
func New(set *feed.Set, opt Options) *Watcher {
	if opt.Debounce <= 0 {
		opt.Debounce = time.Millisecond
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = DefaultPollInterval
	}
	if opt.MaxPending <= 0 {
		opt.MaxPending = DefaultMaxPending
	}
	if opt.HoldMax <= 0 {
		opt.HoldMax = DefaultHoldMax
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	abs, err := filepath.Abs(opt.Dir)
	if err != nil {
		abs = opt.Dir
	}
	return &Watcher{
		opt: opt, set: set, log: opt.Logger,
		files: map[string]fileState{}, dirs: map[string]string{}, dirRel: map[string]string{},
		unreadable: map[string]string{}, unwatched: map[string]bool{},
		pending: map[string]time.Time{},
		parent:  filepath.Dir(abs), base: filepath.Base(abs),
	}
}

// Stats returns the watcher's counters.
func (w *Watcher) Stats() Stats {
	return Stats{
		Batches: w.batches.Load(), FullScans: w.fullScans.Load(), Overflows: w.overflows.Load(),
		Held: w.held.Load(), Bad: w.bad.Load(), Lost: w.lostN.Load(), BadNow: w.badNow.Load(),
	}
}

// Run scans the posts directory, publishes the first snapshot, then keeps
// the set in step until ctx ends. It also publishes a new snapshot when a
// future-dated post becomes due.
func (w *Watcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() { publishDue(ctx, w.set) })
	events, errs := w.watchEvents()
	if w.fsw != nil {
		defer w.fsw.Close()
	}
	w.rescan("start")
	l := newLoop(w)
	defer l.stop()
	l.after()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
			} else if w.note(ev) {
				l.changed()
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			w.watchError(err)
			l.changed()
		case <-l.timer.C:
			l.windowStart, l.fireAt = time.Time{}, time.Time{}
			w.flush()
			l.after()
		case <-l.rescan:
			w.full = true
			w.flush()
			l.after()
		}
	}
}

// watchEvents starts fsnotify, unless the watcher polls (or fsnotify
// cannot start: then it polls), and watches the directory holding the
// posts directory, to see it swapped.
func (w *Watcher) watchEvents() (<-chan fsnotify.Event, <-chan error) {
	if w.opt.Poll {
		return nil, nil
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		w.log.Warn("file system events unavailable; polling instead", "err", err, "interval", w.opt.PollInterval.String())
		w.opt.Poll = true
		return nil, nil
	}
	w.fsw = fsw
	if err := fsw.Add(w.parent); err != nil {
		w.log.Debug("cannot watch the posts directory's parent; a swap of the directory itself is seen at the next rescan", "dir", w.parent, "err", err)
	}
	return fsw.Events, fsw.Errors
}

// watchError takes an error of fsnotify: whatever it is, events may have
// been lost, so a full rescan is due.
func (w *Watcher) watchError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.overflows.Add(1)
		w.log.Warn("file system event queue overflowed; rescanning the posts directory")
	} else {
		w.log.Warn("file system watch error; rescanning the posts directory", "err", err)
	}
	w.full = true
}

// loop is the timing of Run: one timer for the debounce window and for
// retries, and the ticker of full rescans (polls, and the safety net).
type loop struct {
	w                   *Watcher
	timer               *time.Timer
	windowStart, fireAt time.Time
	rescan              <-chan time.Time
	stop                func()
}

func newLoop(w *Watcher) *loop {
	l := &loop{w: w, timer: time.NewTimer(time.Hour)}
	l.timer.Stop()
	l.stop = func() { l.timer.Stop() }
	every := w.opt.Rescan
	if w.opt.Poll {
		every = w.opt.PollInterval
	}
	if every > 0 {
		t := time.NewTicker(every)
		l.rescan = t.C
		l.stop = func() { l.timer.Stop(); t.Stop() }
	}
	return l
}

// arm sets the timer to fire at at, unless it already fires at about
// that time.
func (l *loop) arm(at time.Time) {
	if !l.fireAt.IsZero() && !at.Before(l.fireAt) && at.Sub(l.fireAt) < time.Millisecond {
		return
	}
	l.fireAt = at
	l.timer.Reset(time.Until(at))
}

// changed notes a change: the batch is applied after Debounce of quiet,
// and at most 4×Debounce after the window's first change.
func (l *loop) changed() {
	now := time.Now()
	if l.windowStart.IsZero() {
		l.windowStart = now
	}
	d := l.w.opt.Debounce
	l.arm(minTime(now.Add(d), l.windowStart.Add(4*d)))
}

// after a flush: look for a lost directory again, or try again the files
// still being written.
func (l *loop) after() {
	switch {
	case l.w.missing:
		l.w.full = true
		l.arm(time.Now().Add(retryMissing))
	case len(l.w.pending) > 0:
		l.changed()
	}
}

// note records what an event says may have changed. It does no I/O: the
// event loop must keep draining.
func (w *Watcher) note(ev fsnotify.Event) bool {
	if w.full {
		return false // a full rescan is due anyway
	}
	if ev.Op == fsnotify.Chmod {
		return w.noteChmod(ev.Name)
	}
	if ev.Name == w.root {
		w.full = true // the posts directory itself was removed or moved
		return true
	}
	dir, name := filepath.Dir(ev.Name), filepath.Base(ev.Name)
	prefix, ok := w.dirs[dir]
	if !ok {
		if dir == w.parent && name == w.base {
			w.full = true // the posts directory (or its symlink) was replaced
			return true
		}
		return false
	}
	if IsIgnored(name) {
		// Kubernetes volumes swap a "..data" symlink to a new "..2024_…"
		// directory: every post may have changed.
		if strings.HasPrefix(name, "..") {
			w.full = true
			return true
		}
		return false
	}
	return w.pend(path.Join(prefix, name))
}

// noteChmod takes a change of mode. It is not an edit: it matters only
// for a path that could not be read, which it may make readable.
func (w *Watcher) noteChmod(name string) bool {
	if len(w.unreadable) == 0 && w.badNow.Load() == 0 {
		return false // nothing is unreadable: the usual case, and cheap
	}
	prefix, ok := w.dirs[filepath.Dir(name)]
	if !ok {
		return false
	}
	rel := path.Join(prefix, filepath.Base(name))
	if !w.unreadableNow(rel) {
		return false
	}
	return w.pend(rel)
}

// pend notes rel as changed, or turns the window into a full rescan when
// too many paths are pending.
func (w *Watcher) pend(rel string) bool {
	if _, ok := w.pending[rel]; ok {
		return true
	}
	if len(w.pending) >= w.opt.MaxPending {
		w.overflows.Add(1)
		w.log.Warn("too many changes to track one by one; rescanning the posts directory", "pending", len(w.pending))
		w.full = true
		clear(w.pending)
		return true
	}
	w.pending[rel] = time.Now()
	return true
}

// unreadableNow reports whether rel is a file or directory that could not
// be read when last tried, or a directory with such a file below it (a
// file found unreadable because of a directory's mode): a change of its
// mode may make it readable.
func (w *Watcher) unreadableNow(rel string) bool {
	if st, ok := w.files[rel]; ok {
		return unopened(st)
	}
	if _, ok := w.unreadable[rel]; ok {
		return true
	}
	if _, isDir := w.dirRel[rel]; isDir {
		for known, st := range w.files {
			if unopened(st) && (rel == "" || strings.HasPrefix(known, rel+"/")) {
				return true
			}
		}
	}
	return false
}

// unopened says whether a file's last read failed before it was open.
func unopened(st fileState) bool { return st.bad != "" && st.real == "" }

// batch is the set of changes applied as one snapshot.
type batch struct {
	start   time.Time
	reason  string
	files   int
	upserts []*feed.Post
	removes []string
	staged  bool // some upserts were handed to the set already (Set.Stage)
	added   int
	updated int
	bad     int
	held    int
}

// stageEvery is how many posts a full scan reads before it hands them to
// the set (Set.Stage), so that it never holds a whole archive's posts.
const stageEvery = 1024

// flush applies what is pending: a full rescan, or the pending paths.
func (w *Watcher) flush() {
	if w.full {
		w.full = false
		clear(w.pending)
		w.rescan("changes")
		return
	}
	if len(w.pending) == 0 {
		return
	}
	root, err := resolveRoot(w.opt.Dir)
	if err != nil {
		w.lost(err)
		return
	}
	if root != w.root {
		clear(w.pending)
		w.rescan("posts directory replaced")
		return
	}
	b := &batch{start: time.Now(), reason: "changes"}
	for _, rel := range slices.Sorted(maps.Keys(w.pending)) {
		w.update(rel, b)
	}
	w.apply(b)
}

// update brings one changed path up to date: a post file, a directory (new,
// moved in, or replaced), or something gone.
func (w *Watcher) update(rel string, b *batch) {
	since := w.pending[rel]
	delete(w.pending, rel)
	full := filepath.Join(w.root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(full)
	var info os.FileInfo
	if err == nil {
		info, err = os.Stat(real)
	}
	switch {
	case err != nil && !gone(err):
		w.cannotRead(File{Rel: rel, Real: full}, err, b)
		return
	case err != nil || (real != full && !followed(w.root, real)):
		w.removeTree(rel, b)
		return
	}
	if info.IsDir() {
		w.updateDir(real, rel, since, b)
		return
	}
	if _, known := w.files[rel]; known && !info.Mode().IsRegular() {
		w.remove(rel, b)
		return
	}
	if info.Mode().IsRegular() && IsPostName(path.Base(rel)) {
		w.read(File{Rel: rel, Real: real}, since, b)
	}
}

// updateDir brings a directory up to date: new, moved in, or replaced.
func (w *Watcher) updateDir(real, rel string, since time.Time, b *batch) {
	t := &tree{Root: w.root, onDir: w.watch}
	// A directory watched under another path keeps it, as at start, where
	// the first path the walk meets wins.
	visited := map[string]bool{}
	for r, at := range w.dirs {
		if at != rel && !strings.HasPrefix(at, rel+"/") {
			visited[r] = true
		}
	}
	if !visited[real] {
		_ = t.walk(real, rel, visited)
	}
	w.noteUnreadable(t.Unreadable, rel)
	seen := make(map[string]bool, len(t.Files))
	for _, f := range t.Files {
		seen[f.Rel] = true
		w.read(f, since, b)
	}
	for known := range w.files {
		if strings.HasPrefix(known, rel+"/") && !seen[known] && !t.inUnreadable(known) {
			w.remove(known, b)
		}
	}
}

// cannotRead takes a path that is there but cannot be looked at
// (permission denied on its directory, an I/O error): not a deletion. A
// post file known good keeps its last good version, as a bad post does;
// a directory keeps what it held.
func (w *Watcher) cannotRead(f File, err error, b *batch) {
	if _, known := w.files[f.Rel]; known {
		w.takeBad(f, fileState{}, &parse.Error{Path: f.Rel, Reason: readReason(err)}, b)
		return
	}
	if _, isDir := w.dirRel[f.Rel]; isDir {
		w.noteUnreadable([]unreadableDir{{rel: f.Rel, reason: err.Error()}}, f.Rel)
	}
}

// noteUnreadable logs the paths a look at the tree at rel could not list
// or stat, each reason once, and forgets those below rel seen since.
func (w *Watcher) noteUnreadable(dirs []unreadableDir, rel string) {
	now := map[string]bool{}
	for _, d := range dirs {
		now[d.rel] = true
		if w.unreadable[d.rel] != d.reason {
			w.unreadable[d.rel] = d.reason
			w.log.Warn("cannot look at a path; the posts it held stay until it can be read", "dir", d.rel, "err", d.reason)
		}
	}
	for d := range w.unreadable {
		if !now[d] && (rel == "" || d == rel || strings.HasPrefix(d, rel+"/")) {
			delete(w.unreadable, d)
		}
	}
}

// read reads one post file into the batch, or holds it back while it is
// still being written.
func (w *Watcher) read(f File, since time.Time, b *batch) {
	var busyWithin time.Duration // no question once HoldMax has passed
	if since.IsZero() || time.Since(since) < w.opt.HoldMax {
		busyWithin = w.opt.HoldMax
	}
	w.take(f, since, w.readPost(f, busyWithin), b)
}

// readResult is one file's read: the post or why not, and its state.
type readResult struct {
	post  *feed.Post
	state fileState
	busy  bool
	err   error
}

// readPost reads and parses a post file, and moves its body into the
// set's store.
func (w *Watcher) readPost(f File, busyWithin time.Duration) readResult {
	var r readResult
	r.post, r.state, r.busy, r.err = readPost(f, w.opt.Parse, busyWithin)
	if r.post != nil {
		if err := w.set.Prepare(r.post); err != nil {
			r.post, r.err = nil, &parse.Error{Path: f.Rel, Reason: "cannot keep its body: " + err.Error()}
		}
	}
	return r
}

// readAll reads and parses files on every core, with read, results in the
// files' order. It runs more readers than cores, so that reads from a disk
// (a cold start) overlap with parsing.
func readAll(files []File, read func(File) readResult) []readResult {
	out := make([]readResult, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(2*runtime.GOMAXPROCS(0), 8), max(1, len(files))) {
		wg.Go(func() {
			for i := range next {
				out[i] = read(files[i])
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// take puts one read into the batch and the watcher's state.
func (w *Watcher) take(f File, since time.Time, r readResult, b *batch) {
	p, st, busy, err := r.post, r.state, r.busy, r.err
	if busy {
		if since.IsZero() {
			since = time.Now()
		}
		w.pending[f.Rel] = since
		b.held++
		w.held.Add(1)
		return
	}
	b.files++
	if err != nil {
		w.takeBad(f, st, err, b)
		return
	}
	old, known := w.files[f.Rel]
	if known && old.good {
		b.updated++
	} else {
		b.added++
	}
	if known && old.bad != "" {
		w.badNow.Add(-1)
		w.log.Info("post fixed", "path", f.Rel)
	}
	if !known {
		for _, warning := range p.Warnings {
			w.log.Debug("post warning", "path", f.Rel, "warning", warning)
		}
	}
	st.good = true
	w.keep(f.Rel, st)
	b.upserts = append(b.upserts, p)
}

// takeBad notes a file that gives no post: gone since, or bad (its last
// good version, if any, stays in the feeds).
func (w *Watcher) takeBad(f File, st fileState, err error, b *batch) {
	if st.real == "" { // could not open it: gone between the event and the read?
		if _, statErr := os.Stat(f.Real); gone(statErr) {
			w.remove(f.Rel, b)
			return
		}
	}
	old, known := w.files[f.Rel]
	b.bad++
	w.bad.Add(1)
	if !known || old.bad == "" {
		w.badNow.Add(1)
	}
	st.good = known && old.good
	if !known || old.bad != err.Error() {
		if st.good {
			w.log.Warn("bad post; its last good version stays in the feeds", "err", err.Error())
		} else {
			w.log.Warn("bad post left out", "err", err.Error())
		}
	}
	st.bad = err.Error()
	w.keep(f.Rel, st)
}

// keep remembers a file's state, its real path shortened to atRel where it
// is the usual one. The path it is kept by is a copy in w.names.
func (w *Watcher) keep(rel string, st fileState) {
	if _, known := w.files[rel]; known {
		w.names.dead += len(rel) // assigning replaces the key with a new copy
	}
	w.files[w.names.copy(rel)] = w.short(rel, st)
	if w.names.dead > w.names.used/2+1<<20 {
		names := nameArena{}
		files := make(map[string]fileState, len(w.files))
		for rel, st := range w.files {
			files[names.copy(rel)] = st
		}
		w.names, w.files = names, files
	}
}

// nameArena holds copies of the paths the watcher keys its state by, in
// chunks: at 100,000 files that is a few dozen objects for the garbage
// collector to mark rather than a string per file (see the set's records,
// feed/table.go, and BenchmarkGCWithArchive). Space the
// paths of removed or replaced keys took is counted as dead, and keep
// copies the rest into a new arena when there is enough of it.
type nameArena struct {
	chunk      []byte
	used, dead int
}

func (a *nameArena) copy(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(a.chunk)+len(s) > cap(a.chunk) {
		a.chunk = make([]byte, 0, max(64<<10, len(s)))
	}
	off := len(a.chunk)
	a.chunk = append(a.chunk, s...)
	a.used += len(s)
	return unsafe.String(&a.chunk[off], len(s))
}

// short gives st with its real path replaced by atRel if it is the posts
// directory's real path joined with rel.
func (w *Watcher) short(rel string, st fileState) fileState {
	if r := w.root; r != "" && len(st.real) == len(r)+1+len(rel) && strings.HasPrefix(st.real, r) &&
		st.real[len(r)] == filepath.Separator && st.real[len(r)+1:] == filepath.FromSlash(rel) {
		st.real = atRel
	}
	return st
}

// remove drops a post file that is gone.
func (w *Watcher) remove(rel string, b *batch) {
	st, ok := w.files[rel]
	if !ok {
		return
	}
	delete(w.files, rel)
	w.names.dead += len(rel)
	b.files++
	if st.bad != "" {
		w.badNow.Add(-1)
	}
	if st.good {
		b.removes = append(b.removes, rel)
	}
}

// removeTree drops a path that is gone: a post file, or a directory with
// every post and watch below it.
func (w *Watcher) removeTree(rel string, b *batch) {
	w.remove(rel, b)
	w.noteUnreadable(nil, rel)
	if _, ok := w.dirRel[rel]; !ok {
		return
	}
	for known := range w.files {
		if strings.HasPrefix(known, rel+"/") {
			w.remove(known, b)
		}
	}
	for r, real := range w.dirRel {
		if r == rel || strings.HasPrefix(r, rel+"/") {
			w.unwatch(real)
		}
	}
}

// rescan walks the whole posts directory, reads what changed since it was
// last seen, and drops what is gone, as one batch.
func (w *Watcher) rescan(reason string) {
	w.fullScans.Add(1)
	b := &batch{start: time.Now(), reason: reason}
	root, err := resolveRoot(w.opt.Dir)
	if err != nil {
		w.lost(err)
		return
	}
	if root != w.root {
		for real := range w.dirs {
			w.unwatch(real)
		}
		w.root = root
	}
	t, err := walkTree(w.opt.Dir, w.watch, func(rel string) bool { _, ok := w.files[rel]; return ok })
	if err != nil {
		w.lost(err)
		return
	}
	if w.missing {
		w.missing = false
		w.log.Info("posts directory is back", "dir", w.opt.Dir)
	}
	w.unwatchGone(t.Dirs)
	w.noteUnreadable(t.Unreadable, "")
	changed, seen := w.changedFiles(t.Files)
	read := func(f File) readResult { return w.readPost(f, w.opt.HoldMax) }
	for chunk := range slices.Chunk(changed, stageEvery) {
		for i, r := range readAll(chunk, read) {
			w.take(chunk[i], time.Time{}, r, b)
		}
		if len(b.upserts) >= stageEvery {
			w.set.Stage(b.upserts, nil)
			b.upserts, b.staged = b.upserts[:0], true
		}
	}
	for known := range w.files {
		if !seen[known] && !t.inUnreadable(known) {
			w.remove(known, b)
		}
	}
	w.apply(b)
}

// unwatchGone stops watching the directories a walk did not find.
func (w *Watcher) unwatchGone(found []File) {
	current := make(map[string]bool, len(found))
	for _, d := range found {
		current[d.Real] = true
	}
	for real := range w.dirs {
		if !current[real] {
			w.unwatch(real)
		}
	}
}

// changedFiles are the files of a walk that differ from what the watcher
// knew of them; seen are all their paths.
func (w *Watcher) changedFiles(files []File) (changed []File, seen map[string]bool) {
	seen = make(map[string]bool, len(files))
	for _, f := range files {
		seen[f.Rel] = true
		if old, known := w.files[f.Rel]; known && old.sameFile(w.short(f.Rel, stateOf(f.Real, f.info))) {
			continue
		}
		changed = append(changed, f)
	}
	return changed, seen
}

// lost handles a posts directory that cannot be found: the last snapshot
// keeps being served, and the directory is looked for again.
func (w *Watcher) lost(err error) {
	if !w.missing {
		w.lostN.Add(1)
		w.log.Error("posts directory unavailable; serving the last snapshot until it is back", "dir", w.opt.Dir, "err", err)
	}
	w.missing = true
	clear(w.pending)
	// Its watches went with it (or watch a directory moved elsewhere): the
	// directory found again is watched afresh.
	for real := range w.dirs {
		w.unwatch(real)
	}
	w.root = ""
}

// watch adds a file system watch on a directory (no-op when polling).
func (w *Watcher) watch(real, rel string) {
	if old, ok := w.dirs[real]; ok && old == rel && !w.unwatched[real] {
		return
	}
	if prev, ok := w.dirRel[rel]; ok && prev != real {
		w.unwatch(prev)
	}
	w.dirs[real] = rel
	w.dirRel[rel] = real
	if w.fsw != nil {
		if err := w.fsw.Add(real); err != nil {
			w.unwatched[real] = true // tried again at the next walk of it
			w.log.Warn("cannot watch a directory; its changes are seen at the next rescan", "dir", real, "err", err)
		} else {
			delete(w.unwatched, real)
		}
	}
}

func (w *Watcher) unwatch(real string) {
	rel, ok := w.dirs[real]
	if !ok {
		return
	}
	delete(w.dirs, real)
	delete(w.unwatched, real)
	if w.dirRel[rel] == real {
		delete(w.dirRel, rel)
	}
	if w.fsw != nil {
		_ = w.fsw.Remove(real) // already gone when the directory was removed
	}
}

// apply publishes the batch as one snapshot and logs it; it returns the
// snapshot, or nil when the batch changed nothing.
func (w *Watcher) apply(b *batch) *feed.Snapshot {
	first := w.set.Current() == nil
	if len(b.upserts) == 0 && len(b.removes) == 0 && !b.staged && !first {
		if b.bad > 0 || b.held > 0 {
			w.log.Info("changes seen, feeds unchanged", "files", b.files, "bad", b.bad, "held", b.held)
		}
		return nil
	}
	snap := w.set.Apply(b.upserts, b.removes)
	w.batches.Add(1)
	if w.opt.OnBatch != nil {
		w.opt.OnBatch(time.Since(b.start))
	}
	w.log.Info("posts updated",
		"reason", b.reason, "files", b.files, "added", b.added, "updated", b.updated,
		"removed", len(b.removes), "bad", b.bad, "published", snap.Len(),
		"version", snap.Version, "took", time.Since(b.start).Round(time.Microsecond).String())
	return snap
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
