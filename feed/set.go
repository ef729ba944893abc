package feed

import (
	"cmp"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
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
	items     []*Post
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
	// Posts are the published posts, newest date first, equal dates by id.
	// They must not be modified.
	Posts []*Post
	// NextDue is when the next future-dated post becomes due; zero if none.
	NextDue time.Time
	views   map[ViewKey]*View
	ordered []*View
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
// The slice is shared and must not be modified.
func (s *Snapshot) Page(v *View, n, limit int) ([]*Post, bool) {
	start := (n - 1) * limit
	if n < 1 || limit < 1 || (start >= len(v.items) && n != 1) {
		return nil, false
	}
	end := min(start+limit, len(v.items))
	return v.items[start:end:end], true
}

// Set is the collection of posts, keyed by file path, and the latest
// snapshot built from it. One writer at a time (Apply, Refresh), many
// readers (Current), who never wait on the writer. A change costs time in
// proportion to the feeds it touches, not to the whole archive.
type Set struct {
	mu    sync.Mutex
	posts *postIndex // every post by path, drafts included
	// live holds, for each id, the non-draft post with it whose path sorts
	// first: the post the feeds use. extra holds the other paths, sorted,
	// of ids that more than one post has (rare: no entry per post, which
	// would cost every garbage collection a few more pointers per post).
	live     *postIndex
	extra    map[string][]string
	future   []*Post // live posts not yet due, soonest first
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
	return &Set{
		posts: newPostIndex(byPath), live: newPostIndex(byID), extra: map[string][]string{},
		now: opt.Now, log: opt.Logger, reported: map[string]bool{}, changed: make(chan struct{}),
	}
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
// and publishes the resulting snapshot as one change.
func (s *Set) Apply(upserts []*Post, removes []string) *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	// touched: the ids the change may concern, with the post each showed
	// before it.
	touched := make(map[string]*Post, len(upserts)+len(removes))
	touch := func(id string) {
		if _, ok := touched[id]; !ok {
			touched[id] = s.live.get(id)
		}
	}
	for _, path := range removes {
		if old := s.posts.get(path); old != nil {
			touch(old.ID)
			s.unindex(old)
			s.posts.del(path)
		}
	}
	for _, p := range upserts {
		if old := s.posts.get(p.Path); old != nil {
			touch(old.ID)
			s.unindex(old)
		}
		touch(p.ID)
		s.posts.put(p)
		s.index(p)
	}
	return s.publish(touched)
}

// StoredBodies lists the bodies of every post held (drafts and posts not
// due included) that are kept in a BodyStore: what a compaction keeps.
func (s *Set) StoredBodies() []*Body {
	s.mu.Lock()
	defer s.mu.Unlock()
	bodies := make([]*Body, 0, s.posts.len())
	for b := range s.storedBodies {
		bodies = append(bodies, b)
	}
	return bodies
}

// StoredBodyBytes is the size of the bodies of every post held that are
// in a BodyStore: the store's space in use. It walks the posts without
// making StoredBodies' list, for the metrics.
func (s *Set) StoredBodyBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for b := range s.storedBodies {
		n += int64(b.Len())
	}
	return n
}

// storedBodies yields the stored body of every post held; s.mu is held.
func (s *Set) storedBodies(yield func(*Body) bool) {
	for p := range s.posts.all {
		if b := p.StoredBody(); b != nil && !yield(b) {
			return
		}
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
	p := s.posts.get(path)
	ok := p != nil
	return p, ok
}

// index makes p, held in posts, a candidate for its id.
func (s *Set) index(p *Post) {
	if p.Draft {
		return
	}
	cur := s.live.get(p.ID)
	switch {
	case cur == nil:
		s.live.put(p)
	case p.Path < cur.Path:
		s.live.put(p)
		s.addExtra(p.ID, cur.Path)
	default:
		s.addExtra(p.ID, p.Path)
	}
}

// unindex withdraws p, still held in posts, as a candidate for its id.
func (s *Set) unindex(p *Post) {
	if p.Draft {
		return
	}
	if cur := s.live.get(p.ID); cur == nil || cur.Path != p.Path {
		s.dropExtra(p.ID, p.Path)
		return
	}
	if more := s.extra[p.ID]; len(more) > 0 {
		s.live.put(s.posts.get(more[0]))
		s.dropExtra(p.ID, more[0])
	} else {
		s.live.del(p.ID)
	}
}

func (s *Set) addExtra(id, path string) {
	paths := s.extra[id]
	if i, found := slices.BinarySearch(paths, path); !found {
		s.extra[id] = slices.Insert(paths, i, path)
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
func (s *Set) publish(touched map[string]*Post) *Snapshot {
	now := s.now()
	var removed, added, later []*Post
	for id, old := range touched {
		want := s.live.get(id)
		for _, dropped := range s.extra[id] {
			s.conflict(id, want.Path, dropped)
		}
		if old == want {
			continue
		}
		if old != nil {
			if i, ok := s.futureIndex(old); ok {
				s.future = slices.Delete(s.future, i, i+1)
			} else {
				removed = append(removed, old)
			}
		}
		if want == nil {
			continue
		}
		if want.Date.After(now) {
			later = append(later, want) // not into s.future yet: it must stay sorted for futureIndex
		} else {
			added = append(added, want)
		}
	}
	if len(later) > 0 {
		s.future = append(s.future, later...)
		slices.SortFunc(s.future, compareDue)
	}
	due := 0
	for due < len(s.future) && !s.future[due].Date.After(now) {
		due++
	}
	added = append(added, s.future[:due]...)
	s.future = slices.Delete(s.future, 0, due)

	s.version++
	snap := nextSnapshot(s.cur.Load(), removed, added, now)
	snap.Version = s.version
	if len(s.future) > 0 {
		snap.NextDue = s.future[0].Date
	}
	s.cur.Store(snap)
	close(s.changed)
	s.changed = make(chan struct{})
	return snap
}

// futureIndex finds p in the future list.
func (s *Set) futureIndex(p *Post) (int, bool) {
	i, found := slices.BinarySearchFunc(s.future, p, compareDue)
	if found && s.future[i] == p {
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

// comparePosts orders posts newest date first, equal dates by id.
func comparePosts(a, b *Post) int {
	if c := b.Date.Compare(a.Date); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// compareDue orders future posts soonest first, equal dates by id.
func compareDue(a, b *Post) int {
	if c := a.Date.Compare(b.Date); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// viewKeys are the feeds a post belongs to.
func viewKeys(p *Post) []ViewKey {
	lang := p.LanguageKey()
	keys := make([]ViewKey, 0, 2+2*len(p.Categories))
	keys = append(keys, ViewKey{}, ViewKey{Language: lang})
	for _, c := range p.Categories {
		keys = append(keys, ViewKey{Category: c.Slug}, ViewKey{Category: c.Slug, Language: lang})
	}
	return keys
}

// nextSnapshot builds a snapshot from prev (nil for the first) with the
// removed posts taken out and the added ones put in. Views no change
// touches are shared with prev; a touched view costs a binary search per
// change and one copy of its items.
func nextSnapshot(prev *Snapshot, removed, added []*Post, now time.Time) *Snapshot {
	slices.SortFunc(removed, comparePosts)
	slices.SortFunc(added, comparePosts)
	drop := map[ViewKey][]*Post{}
	for _, p := range removed {
		for _, k := range viewKeys(p) {
			drop[k] = append(drop[k], p) // stays sorted: removed is
		}
	}
	put := map[ViewKey][]*Post{}
	for _, p := range added {
		for _, k := range viewKeys(p) {
			put[k] = append(put[k], p)
		}
	}
	snap := &Snapshot{views: map[ViewKey]*View{}}
	if prev != nil {
		maps.Copy(snap.views, prev.views)
	}
	rebuild := func(k ViewKey) {
		old := snap.views[k]
		if old == nil {
			old = &View{Key: k}
		}
		items := merge(old.items, drop[k], put[k])
		if len(items) == 0 && k != (ViewKey{}) {
			delete(snap.views, k)
			return
		}
		snap.views[k] = nextView(old, items, drop[k], put[k], now)
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
	snap.Posts = snap.views[ViewKey{}].items
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

// merge returns a new slice: old (sorted) without the posts of drop and
// with those of put, both sorted, in their places. Unchanged runs of old are
// copied whole.
func merge(old, drop, put []*Post) []*Post {
	out := make([]*Post, 0, len(old)+len(put)-len(drop))
	i, d, j := 0, 0, 0
	// skip moves d past dropped posts that old does not hold (never expected).
	for d < len(drop) || j < len(put) {
		nextDrop, nextPut := len(old), len(old)
		if d < len(drop) {
			k, found := slices.BinarySearchFunc(old[i:], drop[d], comparePosts)
			if !found || old[i+k] != drop[d] {
				d++
				continue
			}
			nextDrop = i + k
		}
		if j < len(put) {
			k, _ := slices.BinarySearchFunc(old[i:], put[j], comparePosts)
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
func nextView(old *View, items, drop, put []*Post, now time.Time) *View {
	k := old.Key
	v := &View{Key: k, items: items, RemovedAt: old.RemovedAt}
	for _, p := range drop {
		if !slices.ContainsFunc(put, func(q *Post) bool { return q.ID == p.ID }) && now.After(v.RemovedAt) {
			v.RemovedAt = now
			break
		}
	}
	if len(items) == 0 {
		return v
	}
	v.Newest = items[0].Date
	if k.Language != "" {
		v.Language = items[0].Language
	}
	if k.Category == "" {
		return v
	}
	// The smallest spelling any post gives, so the name does not depend on
	// the order files were read in. Scan every item only when the last post
	// known to give the old name left.
	name := func(p *Post) string {
		for _, c := range p.Categories {
			if c.Slug == k.Category {
				return c.Name
			}
		}
		return ""
	}
	scan := put
	v.CategoryName = old.CategoryName
	if slices.ContainsFunc(drop, func(p *Post) bool { return name(p) == old.CategoryName }) &&
		!slices.ContainsFunc(put, func(p *Post) bool { return name(p) == old.CategoryName }) {
		scan, v.CategoryName = items, ""
	}
	for _, p := range scan {
		if n := name(p); v.CategoryName == "" || n < v.CategoryName {
			v.CategoryName = n
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
