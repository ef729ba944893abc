package feed

import (
	"cmp"
	"context"
	"iter"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unique"
)

// ViewKey names one feed: a category slug, a language key (lower-case tag),
// both, or neither for the feed of every post.
type ViewKey struct {
	Category string
	Language string
}

// View is the list of posts of one feed, newest first. Its items are shared
// by the snapshots it did not change in, and never modified.
type View struct {
	Key          ViewKey
	CategoryName string // the category as posts write it ("" for none)
	Language     string // canonical tag ("" for none)
	Newest       time.Time
	// RemovedAt is when this process last saw a post leave the view (not
	// replaced by a new version of it): a document's Last-Modified must move
	// forward then too, though its newest item may be older.
	RemovedAt time.Time
	items     []ref // in the snapshots' tables
}

// Len is the number of posts in the view.
func (v *View) Len() int { return len(v.items) }

// Pages is the number of pages of v at limit posts per page (at least 1).
func (v *View) Pages(limit int) int {
	return max(1, (len(v.items)+limit-1)/limit)
}

// Snapshot is an immutable state of the posts: what every response is built
// from, so that no response mixes two states.
type Snapshot struct {
	Version uint64
	// NextDue is when the next future-dated post becomes due; zero if none.
	NextDue time.Time
	views   map[ViewKey]*View
	ordered []*View
	all     []ref // the published posts, newest date first, equal dates by id
	tab     table
}

// Len is the number of published posts.
func (s *Snapshot) Len() int { return len(s.all) }

// Published yields the published posts, newest date first, from the
// set's latest snapshot as it is when each is reached: a long walk (the
// background rendering of deferred bodies) follows edits, and reaches
// each post through the table current then, so that what it stores is
// the current table's. A post may be skipped or seen twice when others
// are added or removed meanwhile.
func (s *Set) Published() iter.Seq[*Post] {
	return func(yield func(*Post) bool) {
		for i := 0; ; i++ {
			cur := s.cur.Load()
			if cur == nil || i >= len(cur.all) || !yield(cur.tab.post(cur.all[i])) {
				return
			}
		}
	}
}

// Posts makes every published post, newest date first, equal dates by id:
// a Post each, so for a tool or a test; a feed makes only its page's.
func (s *Snapshot) Posts() []*Post { return s.posts(s.all) }

func (s *Snapshot) posts(refs []ref) []*Post {
	out := make([]*Post, len(refs))
	for i, r := range refs {
		out[i] = s.tab.post(r)
	}
	return out
}

// View returns the feed named by k, if any post is in it.
func (s *Snapshot) View(k ViewKey) (*View, bool) {
	v, ok := s.views[k]
	return v, ok
}

// Views lists every feed: all posts first, then categories, languages, and
// language-category pairs, each sorted by key.
func (s *Snapshot) Views() []*View { return s.ordered }

// Page returns the posts of page n (1-based) of v with limit posts per page,
// or false when the page is past the end. Page 1 of an empty view is empty.
func (s *Snapshot) Page(v *View, n, limit int) ([]*Post, bool) {
	start := (n - 1) * limit
	if n < 1 || limit < 1 || (start >= len(v.items) && n != 1) {
		return nil, false
	}
	end := min(start+limit, len(v.items))
	return s.posts(v.items[start:end]), true
}

// Set is the collection of posts, keyed by file path, and the latest
// snapshot built from it. One writer at a time (Apply, Refresh), many
// readers (Current), who never wait on the writer. A change costs time in
// proportion to the feeds it touches, not to the whole archive.
type Set struct {
	mu sync.Mutex
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
	renewedAt         uint64     // the store's segments made at the last renew
	compacting        bool       // CompactBodies runs
	posts             *postIndex // every post by path, drafts included
	// live holds, for each id, the non-draft post with it whose path sorts
	// first: the post the feeds use. extra holds the other paths, sorted,
	// of ids that more than one post has (rare: no entry per post, which
	// would cost every garbage collection a few more pointers per post).
	live     *postIndex
	extra    map[string][]string
	future   []ref // live posts not yet due, soonest first
	now      func() time.Time
	log      *slog.Logger
	version  uint64
	reported map[string]bool // duplicate-code conflicts already logged
	cur      atomic.Pointer[Snapshot]
	changed  chan struct{} // closed at the next publish
}

// SetOptions configure a Set. Zero values give the system clock and the
// default logger.
type SetOptions struct {
	Now    func() time.Time
	Logger *slog.Logger
}

// NewSet returns an empty set with no snapshot: Current is nil until the
// first Apply, so a server can tell it is not ready.
func NewSet(opt SetOptions) *Set {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Set{
		tab:   table{gen: &generation{}},
		extra: map[string][]string{},
		now:   opt.Now, log: opt.Logger, reported: map[string]bool{}, changed: make(chan struct{}),
	}
	s.posts = newPostIndex(func(r ref) string { return s.tab.path(r) })
	s.live = newPostIndex(func(r ref) string { return s.tab.id(r) })
	return s
}

// Current returns the latest snapshot, or nil before the first Apply.
func (s *Set) Current() *Snapshot { return s.cur.Load() }

// Changed returns the latest snapshot (nil before the first Apply) and a
// channel that is closed when a newer one is published.
func (s *Set) Changed() (*Snapshot, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur.Load(), s.changed
}

// Now is the set's clock: what decides whether a post is due.
func (s *Set) Now() time.Time { return s.now() }

// Apply adds or replaces the given posts (by path), removes the given paths,
// and publishes the resulting snapshot as one change. The set keeps a copy
// of each post: the Posts given are not held.
func (s *Set) Apply(upserts []*Post, removes []string) *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	// touched: the ids the change may concern, with the post each showed
	// before it.
	touched := make(map[string]ref, len(upserts)+len(removes))
	touch := func(id string) {
		if _, ok := touched[id]; !ok {
			touched[id] = s.live.get(id)
		}
	}
	drop := func(old ref) {
		touch(s.tab.id(old))
		s.unindex(old)
		s.textLive -= int64(s.tab.rec(old).text.n)
	}
	for _, path := range removes {
		if old := s.posts.get(path); old != noRef {
			drop(old)
			s.posts.del(path)
		}
	}
	for _, p := range upserts {
		if old := s.posts.get(p.Path); old != noRef {
			drop(old)
		}
		r := s.add(p)
		touch(p.ID)
		s.posts.put(r)
		s.index(r)
	}
	snap := s.publish(touched)
	// A new generation, once the records dropped are out of every view,
	// when the store has started a segment file since the last one (so
	// that files only dead bodies are in close), or when most of the text
	// is dead; not while a compaction moves the bodies of this one.
	st := s.tab.gen.store
	copyText := s.textAll > 2*s.textLive+renewAbove
	if (copyText || st != nil && st.made.Load() != s.renewedAt) && !s.compacting {
		s.renew(copyText)
		snap = s.cur.Load()
	}
	return snap
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
	s.scratch = s.tab.add(r, p, s.scratch)
	n := int64(s.tab.rec(r).text.n)
	s.textLive += n
	s.textAll += n
	return r
}

// CompactBodies compacts the body store of the posts held (see
// BodyStore.Compact), then starts a new generation of the table, so that
// the files the bodies were moved out of are let go once no snapshot of
// the old one is in use. No generation starts while it runs: the bodies
// it moves are the current table's. It returns whether it compacted, and
// the bodies it kept.
func (s *Set) CompactBodies(ctx context.Context) (bool, []*Body, error) {
	s.mu.Lock()
	st := s.tab.gen.store
	if st == nil || s.compacting {
		s.mu.Unlock()
		return false, nil, nil
	}
	s.compacting = true
	bodies := s.storedBodies()
	s.mu.Unlock()
	done, err := st.Compact(ctx, bodies)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compacting = false
	if done {
		s.renew(s.textAll > 2*s.textLive+renewAbove)
	}
	return done, bodies, err
}

// renew copies the records held, and their text if copyText (otherwise
// the new table shares the old one's text), into a new generation, and
// makes it current. The posts a snapshot lists are all held: only older
// snapshots read the records left behind, from their own tables, and the
// refs of those are free in the new one.
func (s *Set) renew(copyText bool) {
	old := s.tab
	next := table{gen: &generation{store: old.gen.store}}
	if !copyText {
		next.text, next.textUsed = slices.Clone(old.text), old.textUsed
	}
	if st := old.gen.store; st != nil {
		s.renewedAt = st.made.Load()
		st.locs.RLock() // no body moves while it is copied
		defer st.locs.RUnlock()
	}
	for len(next.recs) < len(old.recs) {
		next.recs = append(next.recs, new([recChunk]record))
	}
	held := make([]bool, s.n)
	for r := range s.posts.all {
		next.copyFrom(&old, r, copyText)
		held[r] = true
	}
	s.free = s.free[:0]
	for r := range held {
		if !held[r] {
			s.free = append(s.free, ref(r))
		}
	}
	s.tab = next
	if copyText {
		s.textAll = s.textLive
	}
	if cur := s.cur.Load(); cur != nil {
		c := *cur
		c.tab = next
		s.cur.Store(&c)
	}
}

// storedBodies lists the bodies of every post held (drafts and posts not
// due included) that are kept in a BodyStore: what a compaction keeps.
// s.mu is held.
func (s *Set) storedBodies() []*Body {
	bodies := make([]*Body, 0, s.posts.len())
	for r := range s.posts.all {
		if rec := s.tab.rec(r); rec.flags&recStored != 0 {
			bodies = append(bodies, &Body{store: s.tab.gen.store, gen: s.tab.gen, rec: &rec.body})
		}
	}
	return bodies
}

// StoredBodyBytes is the size of the bodies of every post held that are
// in a BodyStore: the store's space in use. It walks the posts without
// making storedBodies' list, for the metrics.
func (s *Set) StoredBodyBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.tab.gen.store
	if st == nil {
		return 0
	}
	st.locs.RLock()
	defer st.locs.RUnlock()
	var n int64
	for r := range s.posts.all {
		if rec := s.tab.rec(r); rec.flags&recStored != 0 && rec.body.seg >= 0 {
			n += int64(rec.body.n)
		}
	}
	return n
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

// index makes r, held in posts, a candidate for its id.
func (s *Set) index(r ref) {
	if s.tab.draft(r) {
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
	if s.tab.draft(r) {
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
// before it, moves posts that are now due out of the future list, and
// builds the next snapshot from the current one, rebuilding only the views
// that changed.
func (s *Set) publish(touched map[string]ref) *Snapshot {
	now := s.now()
	t := &s.tab
	var removed, added, later []ref
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
			} else {
				removed = append(removed, old)
			}
		}
		if want == noRef {
			continue
		}
		if t.date(want).After(now) {
			later = append(later, want) // not into s.future yet: it must stay sorted for futureIndex
		} else {
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

	s.version++
	snap := nextSnapshot(s.cur.Load(), t, removed, added, now)
	snap.Version = s.version
	if len(s.future) > 0 {
		snap.NextDue = t.date(s.future[0])
	}
	s.cur.Store(snap)
	close(s.changed)
	s.changed = make(chan struct{})
	return snap
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

// viewKeys are the feeds record r belongs to. Their strings are shared
// copies (unique), not the table's text: a view's key outlives the table
// it was first read from, and would keep a chunk of its text alive.
func viewKeys(t *table, r ref) []ViewKey {
	lang, cats := t.keys(r)
	lang = unique.Make(strings.ToLower(lang)).Value()
	keys := make([]ViewKey, 0, 4)
	keys = append(keys, ViewKey{}, ViewKey{Language: lang})
	eachCategory(cats, func(slug, _ string) bool {
		slug = unique.Make(slug).Value()
		keys = append(keys, ViewKey{Category: slug}, ViewKey{Category: slug, Language: lang})
		return true
	})
	return keys
}

// nextSnapshot builds a snapshot of t from prev (nil for the first) with
// the removed posts taken out and the added ones put in. Views no change
// touches are shared with prev; a touched view costs a binary search per
// change and one copy of its items.
func nextSnapshot(prev *Snapshot, t *table, removed, added []ref, now time.Time) *Snapshot {
	slices.SortFunc(removed, t.compare)
	slices.SortFunc(added, t.compare)
	drop := map[ViewKey][]ref{}
	for _, r := range removed {
		for _, k := range viewKeys(t, r) {
			drop[k] = append(drop[k], r) // stays sorted: removed is
		}
	}
	put := map[ViewKey][]ref{}
	for _, r := range added {
		for _, k := range viewKeys(t, r) {
			put[k] = append(put[k], r)
		}
	}
	snap := &Snapshot{views: map[ViewKey]*View{}, tab: *t}
	if prev != nil {
		maps.Copy(snap.views, prev.views)
	}
	rebuild := func(k ViewKey) {
		old := snap.views[k]
		if old == nil {
			old = &View{Key: k}
		}
		items := merge(t, old.items, drop[k], put[k])
		if len(items) == 0 && k != (ViewKey{}) {
			delete(snap.views, k)
			return
		}
		snap.views[k] = nextView(t, old, items, drop[k], put[k], now)
	}
	for k := range drop {
		rebuild(k)
	}
	for k := range put {
		if _, done := drop[k]; !done {
			rebuild(k)
		}
	}
	if _, ok := snap.views[ViewKey{}]; !ok {
		snap.views[ViewKey{}] = &View{}
	}
	snap.all = snap.views[ViewKey{}].items
	if prev != nil && len(drop) == 0 && len(put) == 0 {
		snap.ordered = prev.ordered
		return snap
	}
	snap.ordered = slices.SortedFunc(maps.Values(snap.views), func(a, b *View) int {
		if c := cmp.Compare(viewRank(a.Key), viewRank(b.Key)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Key.Language, b.Key.Language); c != 0 {
			return c
		}
		return cmp.Compare(a.Key.Category, b.Key.Category)
	})
	return snap
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

// nextView describes the feed old.Key holding items, after drop and put.
func nextView(t *table, old *View, items, drop, put []ref, now time.Time) *View {
	k := old.Key
	v := &View{Key: k, items: items, RemovedAt: old.RemovedAt}
	if len(drop) > 0 && now.After(v.RemovedAt) {
		replaced := make(map[string]bool, len(put))
		for _, r := range put {
			replaced[t.id(r)] = true
		}
		for _, r := range drop {
			if !replaced[t.id(r)] {
				v.RemovedAt = now
				break
			}
		}
	}
	if len(items) == 0 {
		return v
	}
	newest := t.post(items[0])
	v.Newest = newest.Date
	if k.Language != "" {
		v.Language = strings.Clone(newest.Language)
	}
	if k.Category == "" {
		return v
	}
	// The smallest spelling any post gives, so the name does not depend on
	// the order files were read in. Scan every item only when the last post
	// known to give the old name left.
	name := func(r ref) string {
		_, cats := t.keys(r)
		n := ""
		eachCategory(cats, func(slug, name string) bool {
			if slug == k.Category {
				n = name
				return false
			}
			return true
		})
		return n
	}
	scan := put
	v.CategoryName = old.CategoryName
	if slices.ContainsFunc(drop, func(r ref) bool { return name(r) == old.CategoryName }) &&
		!slices.ContainsFunc(put, func(r ref) bool { return name(r) == old.CategoryName }) {
		scan, v.CategoryName = items, ""
	}
	for _, r := range scan {
		if n := name(r); v.CategoryName == "" || n < v.CategoryName {
			v.CategoryName = strings.Clone(n)
		}
	}
	return v
}

func viewRank(k ViewKey) int {
	switch {
	case k.Category == "" && k.Language == "":
		return 0
	case k.Language == "":
		return 1
	case k.Category == "":
		return 2
	}
	return 3
}
