package feed

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Set is the collection of posts, keyed by file path, and the latest
// snapshot built from it. One writer at a time (Apply, Refresh), many
// readers (Current, Latest), who never wait on the writer. A change costs
// time in proportion to the feeds it touches, not to the whole archive.
type Set struct {
	bodies BodyStore
	now    func() time.Time
	log    *slog.Logger

	mu sync.Mutex // guards the fields below
	// tab holds the posts as records (table.go); n is its next ref.
	tab table
	n   ref
	// free are refs no snapshot of tab lists: those of posts no longer
	// held when tab was made. A new post takes one before a new ref, so
	// the records do not grow with edits.
	free    []ref
	scratch []byte
	// textLive is the text of the records held; textAll all of tab's.
	textLive, textAll int64
	posts             *postIndex // every post by path, drafts included
	// live holds, for each id, the non-draft post with it whose path sorts
	// first: the post the feeds use. extra holds the other paths, sorted,
	// of ids that more than one post has (rare: no entry per post, which
	// would cost every garbage collection a few more pointers per post).
	live     *postIndex
	extra    map[string][]string
	future   []ref // live posts not yet due, soonest first
	version  uint64
	reported map[string]bool // duplicate-code conflicts already logged
	// staged holds the ids changed since the last publish (Stage, Apply),
	// with the post each showed then; released the bodies of the posts
	// they replaced, let go once the change is published.
	staged   map[string]ref
	released []uint64
	pulled   []ref // posts not due yet that staged changes took out of future

	cur    atomic.Pointer[Snapshot]
	latest atomic.Pointer[Change]
}

// SetOptions configure a Set. Zero values give the system clock, the
// default logger, and bodies kept in memory.
type SetOptions struct {
	Now    func() time.Time
	Logger *slog.Logger
	Bodies BodyStore
}

// NewSet returns an empty set with no snapshot: Current is nil until the
// first Apply, so a server can tell it is not ready.
func NewSet(opt SetOptions) *Set {
	s := &Set{
		bodies: opt.Bodies, now: opt.Now, log: opt.Logger,
		extra: map[string][]string{}, reported: map[string]bool{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.bodies == nil {
		s.bodies = &memoryBodies{}
	}
	s.tab.bodies = s.bodies
	s.posts = newPostIndex(func(r ref) string { return s.tab.path(r) })
	s.live = newPostIndex(func(r ref) string { return s.tab.id(r) })
	s.latest.Store(newChange(nil))
	return s
}

// Current returns the latest snapshot, or nil before the first Apply.
func (s *Set) Current() *Snapshot { return s.cur.Load() }

// Latest returns the latest change (one with no snapshot before the first
// Apply), from which a consumer follows every change after it.
func (s *Set) Latest() *Change { return s.latest.Load() }

// Now is the set's clock: what decides whether a post is due.
func (s *Set) Now() time.Time { return s.now() }

// Prepare moves p's body into the set's body store, out of the heap. Apply
// does it for the posts not prepared; a reader of many posts prepares each
// as it is parsed (from many goroutines: it is safe for concurrent use), so
// that the bodies of a whole archive are never in memory at once.
func (s *Set) Prepare(p *Post) error {
	if p.Body.store == s.bodies && p.Body.fresh {
		return nil // prepared, and no record owns the body yet
	}
	blob, err := p.Body.blob()
	if err != nil {
		return fmt.Errorf("%s: %w", p.Path, err)
	}
	id, err := s.bodies.Put(blob)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Path, err)
	}
	p.Body = Body{store: s.bodies, id: id, fresh: true}
	return nil
}

// Apply adds or replaces the given posts (by path), removes the given paths,
// and publishes the resulting snapshot, with what was staged since the
// last one, as one change. The set keeps a copy of each post: the Posts
// given are not held. A post whose body cannot be stored (see Prepare) is
// left out, and logged.
func (s *Set) Apply(upserts []*Post, removes []string) *Snapshot {
	s.prepareAll(upserts)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stage(upserts, removes)
	snap := s.publish(s.staged)
	s.staged, s.pulled = nil, s.pulled[:0]
	for _, id := range s.released {
		s.bodies.Release(id)
	}
	s.released = s.released[:0]
	if s.textAll > 2*s.textLive+renewAbove {
		s.renew()
	}
	return snap
}

// Stage takes posts and removals as Apply does, but publishes nothing:
// the next Apply publishes them with its own, as one change, and until
// then Current is unchanged. A reader of a whole directory stages the
// posts as it reads them, so that it never holds them all at once.
func (s *Set) Stage(upserts []*Post, removes []string) {
	s.prepareAll(upserts)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stage(upserts, removes)
}

func (s *Set) prepareAll(posts []*Post) {
	for _, p := range posts {
		if err := s.Prepare(p); err != nil {
			s.log.Error("post left out: its body cannot be stored", "err", err)
		}
	}
}

// stage writes the posts into the table and the indexes, noting in staged
// the ids they concern, with the post each showed before, and in released
// the bodies of the posts they replace. s.mu is held.
func (s *Set) stage(upserts []*Post, removes []string) {
	if s.staged == nil {
		s.staged = make(map[string]ref, len(upserts)+len(removes))
	}
	touch := func(id string) {
		if _, ok := s.staged[id]; !ok {
			s.staged[strings.Clone(id)] = s.live.get(id)
		}
	}
	drop := func(old ref) {
		touch(s.tab.id(old))
		if i, ok := s.futureIndex(old); ok {
			// Out of the future list now: a Refresh before the change is
			// published must not make it public.
			s.future = slices.Delete(s.future, i, i+1)
			s.pulled = append(s.pulled, old)
		}
		s.unindex(old)
		s.textLive -= int64(s.tab.rec(old).text.n)
		s.released = append(s.released, s.tab.rec(old).body)
	}
	for _, path := range removes {
		if old := s.posts.get(path); old != noRef {
			drop(old)
			s.posts.del(path)
		}
	}
	for _, p := range upserts {
		if p.Body.store != s.bodies {
			continue // not stored: logged by prepareAll
		}
		if old := s.posts.get(p.Path); old != noRef {
			drop(old)
		}
		touch(p.ID)
		r := s.add(p)
		s.posts.put(r)
		s.index(r)
		p.Body.fresh = false // the record owns the body now
	}
}

// renewAbove is the text of posts no longer held (edited or removed) that
// makes Apply copy the rest into a new table, when there is more of it
// than of the text held. A variable for the tests.
var renewAbove int64 = 32 << 20

// add writes p into the table.
func (s *Set) add(p *Post) ref {
	var r ref
	if k := len(s.free); k > 0 {
		r, s.free = s.free[k-1], s.free[:k-1]
	} else {
		r = s.n
		s.n++
	}
	s.scratch = s.tab.add(r, p, p.Body.id, s.scratch)
	n := int64(s.tab.rec(r).text.n)
	s.textLive += n
	s.textAll += n
	return r
}

// renew copies the records held, and their text, into a new table, and
// makes it current, so that the text of posts no longer held is let go
// with the last snapshot of the old table. The posts a snapshot lists are
// all held: only older snapshots read the records left behind, from their
// own tables, and the refs of those are free in the new one.
func (s *Set) renew() {
	old := s.tab
	next := table{bodies: old.bodies}
	for len(next.recs) < len(old.recs) {
		next.recs = append(next.recs, new([recChunk]record))
	}
	held := make([]bool, s.n)
	for r := range s.posts.all {
		next.copyFrom(&old, r, true)
		held[r] = true
	}
	s.free = s.free[:0]
	for r := range held {
		if !held[r] {
			s.free = append(s.free, ref(r))
		}
	}
	s.tab = next
	s.textAll = s.textLive
	if cur := s.cur.Load(); cur != nil {
		c := *cur
		c.tab = next
		s.cur.Store(&c)
	}
}

// Refresh publishes a new snapshot of the same posts at the clock's current
// time, so that future-dated posts that are now due appear.
func (s *Set) Refresh() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publish(nil)
}

// Post returns the post held for a path, if any.
func (s *Set) Post(path string) (*Post, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.posts.get(path)
	if r == noRef {
		return nil, false
	}
	return s.tab.post(r), true
}

// RenderBodies renders the deferred bodies of the published posts, newest
// first, until every one is rendered or ctx ends, and returns how many it
// rendered. It follows the latest snapshot as it goes; a body a reader
// asks for meanwhile is rendered then.
func (s *Set) RenderBodies(ctx context.Context) int {
	n := 0
	for i := 0; ctx.Err() == nil; i++ {
		cur := s.cur.Load()
		if cur == nil || i >= len(cur.all) {
			break
		}
		if p := cur.tab.post(cur.all[i]); p.Deferred() {
			if _, err := p.HTML(); err == nil {
				n++
			}
		}
	}
	return n
}

// index makes r, held in posts, a candidate for its id.
func (s *Set) index(r ref) {
	if s.tab.rec(r).draft {
		return
	}
	id, path := s.tab.id(r), s.tab.path(r)
	cur := s.live.get(id)
	switch {
	case cur == noRef:
		s.live.put(r)
	case path < s.tab.path(cur):
		s.live.put(r)
		s.addExtra(id, s.tab.path(cur))
	default:
		s.addExtra(id, path)
	}
}

// unindex withdraws r, still held in posts, as a candidate for its id.
func (s *Set) unindex(r ref) {
	if s.tab.rec(r).draft {
		return
	}
	id, path := s.tab.id(r), s.tab.path(r)
	if cur := s.live.get(id); cur == noRef || s.tab.path(cur) != path {
		s.dropExtra(id, path)
		return
	}
	if more := s.extra[id]; len(more) > 0 {
		s.live.put(s.posts.get(more[0]))
		s.dropExtra(id, more[0])
	} else {
		s.live.del(id)
	}
}

// addExtra copies the strings it keeps: those given share a table's text.
func (s *Set) addExtra(id, path string) {
	paths := s.extra[id]
	if i, found := slices.BinarySearch(paths, path); !found {
		s.extra[strings.Clone(id)] = slices.Insert(paths, i, strings.Clone(path))
	}
}

func (s *Set) dropExtra(id, path string) {
	paths := s.extra[id]
	if i, found := slices.BinarySearch(paths, path); found {
		paths = slices.Delete(paths, i, i+1)
	}
	if len(paths) == 0 {
		delete(s.extra, id)
	} else {
		s.extra[id] = paths
	}
}

// publish takes the ids a change touched, with the post each showed
// before it, moves posts that are now due out of the future list, builds
// the next snapshot from the current one, rebuilding only the views that
// changed, and publishes it with its Change.
func (s *Set) publish(touched map[string]ref) *Snapshot {
	now := s.now()
	removed, added := s.settle(touched, now)
	s.version++
	snap, changed := nextSnapshot(s.cur.Load(), &s.tab, removed, added, now, s.version)
	if len(s.future) > 0 {
		snap.NextDue = s.tab.date(s.future[0])
	}
	c := newChange(snap)
	c.First = s.cur.Load() == nil
	c.Views = changed
	c.classify(&s.tab, added, removed)
	s.cur.Store(snap)
	prev := s.latest.Load()
	prev.next = c
	s.latest.Store(c)
	close(prev.done)
	return snap
}

// settle compares each touched id's post before and after the change, and
// lists the records that leave and enter the published posts: a post not
// due yet goes to the future list instead, and those now due come out of
// it.
func (s *Set) settle(touched map[string]ref, now time.Time) (removed, added []ref) {
	t := &s.tab
	var later []ref
	for id, old := range touched {
		want := s.live.get(id)
		for _, dropped := range s.extra[id] {
			s.conflict(id, t.path(want), dropped)
		}
		if old == want {
			continue
		}
		if old != noRef {
			if i, ok := s.futureIndex(old); ok {
				s.future = slices.Delete(s.future, i, i+1)
			} else if !slices.Contains(s.pulled, old) { // a future post was never public
				removed = append(removed, old)
			}
		}
		switch {
		case want == noRef:
		case t.date(want).After(now):
			later = append(later, want) // not into s.future yet: it must stay sorted for futureIndex
		default:
			added = append(added, want)
		}
	}
	if len(later) > 0 {
		s.future = append(s.future, later...)
		slices.SortFunc(s.future, t.compareDue)
	}
	due := 0
	for due < len(s.future) && !t.date(s.future[due]).After(now) {
		due++
	}
	added = append(added, s.future[:due]...)
	s.future = slices.Delete(s.future, 0, due)
	return removed, added
}

// futureIndex finds r in the future list.
func (s *Set) futureIndex(r ref) (int, bool) {
	i, found := slices.BinarySearchFunc(s.future, r, s.tab.compareDue)
	if found && s.future[i] == r {
		return i, true
	}
	return 0, false
}

func (s *Set) conflict(id, kept, dropped string) {
	key := id + "\x00" + kept + "\x00" + dropped
	if s.reported[key] {
		return
	}
	s.reported[key] = true
	s.log.Warn("two posts share a code; keeping the path that sorts first", "code", id, "kept", kept, "ignored", dropped)
}

// nextSnapshot builds snapshot version of t from prev (nil for the first)
// with the removed posts taken out and the added ones put in, and lists
// the feeds that changed. Views no change touches are shared with prev; a
// touched view costs a binary search per change and one copy of its items.
func nextSnapshot(prev *Snapshot, t *table, removed, added []ref, now time.Time, version uint64) (*Snapshot, []ViewKey) {
	slices.SortFunc(removed, t.compare)
	slices.SortFunc(added, t.compare)
	drop, put := byView(t, removed), byView(t, added)
	snap := &Snapshot{Version: version, views: map[ViewKey]*View{}, tab: *t}
	if prev != nil {
		maps.Copy(snap.views, prev.views)
	}
	changed := slices.Collect(maps.Keys(drop))
	for k := range put {
		if _, ok := drop[k]; !ok {
			changed = append(changed, k)
		}
	}
	slices.SortFunc(changed, ViewKey.compare)
	for _, k := range changed {
		old := snap.views[k]
		if old == nil {
			old = &View{Key: k}
		}
		items := merge(t, old.items, drop[k], put[k])
		if len(items) == 0 && k.Kind != Everything {
			delete(snap.views, k)
			continue
		}
		snap.views[k] = nextView(t, old, items, drop[k], put[k], now, version, prev == nil)
	}
	all := ViewKey{Kind: Everything}
	if _, ok := snap.views[all]; !ok {
		snap.views[all] = &View{Key: all}
	}
	snap.all = snap.views[all].items
	if prev != nil && len(changed) == 0 {
		snap.ordered = prev.ordered
	} else {
		snap.ordered = slices.SortedFunc(maps.Values(snap.views), func(a, b *View) int { return a.Key.compare(b.Key) })
	}
	return snap, changed
}

// byView lists each record of refs (sorted) under every feed it belongs
// to, in the same order.
func byView(t *table, refs []ref) map[ViewKey][]ref {
	m := map[ViewKey][]ref{}
	for _, r := range refs {
		for _, k := range viewKeys(t, r) {
			m[k] = append(m[k], r)
		}
	}
	return m
}

// merge returns a new slice: old (sorted) without the records of drop and
// with those of put, both sorted, in their places. Unchanged runs of old
// are copied whole.
func merge(t *table, old, drop, put []ref) []ref {
	out := make([]ref, 0, len(old)+len(put)-len(drop))
	i, d, j := 0, 0, 0
	for d < len(drop) || j < len(put) {
		nextDrop, nextPut := len(old), len(old)
		if d < len(drop) {
			k, found := slices.BinarySearchFunc(old[i:], drop[d], t.compare)
			if !found || old[i+k] != drop[d] {
				d++ // a dropped post old does not hold (never expected)
				continue
			}
			nextDrop = i + k
		}
		if j < len(put) {
			k, _ := slices.BinarySearchFunc(old[i:], put[j], t.compare)
			nextPut = i + k
		}
		if j < len(put) && nextPut <= nextDrop {
			out = append(out, old[i:nextPut]...)
			out = append(out, put[j])
			i, j = nextPut, j+1
			continue
		}
		out = append(out, old[i:nextDrop]...)
		i, d = nextDrop+1, d+1
	}
	return append(out, old[i:]...)
}

// nextView describes the feed old.Key holding items, after drop and put
// (in the set's first snapshot if first).
func nextView(t *table, old *View, items, drop, put []ref, now time.Time, version uint64, first bool) *View {
	v := &View{Key: old.Key, items: items, ChangedAt: old.ChangedAt, Revision: version}
	if !first && now.After(v.ChangedAt) {
		v.ChangedAt = now
	}
	if len(items) > 0 {
		v.Newest = t.post(items[0]).Date
	}
	for i, f := range v.Key.Kind.Facets {
		v.spellings[i] = countSpellings(t, f, v.Key.Values[i], old.spellings[i], drop, put)
		v.Names[i] = mostWritten(v.spellings[i])
	}
	return v
}

// countSpellings counts how many posts write value key of facet f each
// way, from the old counts, less drop's, plus put's.
func countSpellings(t *table, f *Facet, key string, old map[string]int, drop, put []ref) map[string]int {
	counts := maps.Clone(old)
	if counts == nil {
		counts = map[string]int{}
	}
	spelling := func(r ref) string {
		for k, name := range t.values(r, f) {
			if k == key {
				return name
			}
		}
		return ""
	}
	// A map assignment stores the key it is given: each is the map's own
	// copy, never the table's memory.
	own := func(n string) string {
		for k := range counts {
			if k == n {
				return k
			}
		}
		return strings.Clone(n)
	}
	for _, r := range drop {
		n := own(spelling(r))
		if counts[n]--; counts[n] <= 0 {
			delete(counts, n)
		}
	}
	for _, r := range put {
		counts[own(spelling(r))]++
	}
	return counts
}

// mostWritten is the spelling most posts use; the smallest of those tied,
// so that it does not depend on the order files were read in.
func mostWritten(counts map[string]int) string {
	best, most := "", 0
	for n, c := range counts {
		if c > most || c == most && n < best {
			best, most = n, c
		}
	}
	return best
}
