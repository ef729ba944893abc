package feed

import (
	"cmp"
	"log/slog"
	"slices"
	"sort"
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

// View is the list of posts of one feed, newest first, as positions in its
// snapshot's Posts, so that a page is a slice, not a scan.
type View struct {
	Key          ViewKey
	CategoryName string // the category as posts write it ("" for none)
	Language     string // canonical tag ("" for none)
	Newest       time.Time
	items        []int32
}

// Len is the number of posts in the view.
func (v *View) Len() int { return len(v.items) }

// Snapshot is an immutable state of the posts: what every response is built
// from, so that no response mixes two states.
type Snapshot struct {
	Version uint64
	// Posts are the published posts, newest date first, equal dates by id.
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
// or nil when the page is past the end. Page 1 of an empty view is empty.
func (s *Snapshot) Page(v *View, n, limit int) ([]*Post, bool) {
	start := (n - 1) * limit
	if n < 1 || limit < 1 || (start >= len(v.items) && n != 1) {
		return nil, false
	}
	end := min(start+limit, len(v.items))
	out := make([]*Post, 0, end-start)
	for _, i := range v.items[start:end] {
		out = append(out, s.Posts[i])
	}
	return out, true
}

// Pages is the number of pages of v at limit posts per page (at least 1).
func (v *View) Pages(limit int) int {
	return max(1, (len(v.items)+limit-1)/limit)
}

// Set is the collection of posts, keyed by file path, and the latest
// snapshot built from it. One writer (Apply, Refresh), many readers
// (Current), who never wait on the writer.
type Set struct {
	mu       sync.Mutex
	posts    map[string]*Post
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
	return &Set{posts: map[string]*Post{}, now: opt.Now, log: opt.Logger, reported: map[string]bool{}, changed: make(chan struct{})}
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
	for _, p := range removes {
		delete(s.posts, p)
	}
	for _, p := range upserts {
		s.posts[p.Path] = p
	}
	return s.publish()
}

// Refresh publishes a new snapshot of the same posts at the clock's current
// time, so that future-dated posts that are now due appear.
func (s *Set) Refresh() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publish()
}

// Post returns the post held for a path, if any.
func (s *Set) Post(path string) (*Post, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.posts[path]
	return p, ok
}

func (s *Set) publish() *Snapshot {
	s.version++
	snap := build(s.posts, s.now(), s.version, s.conflict)
	s.cur.Store(snap)
	close(s.changed)
	s.changed = make(chan struct{})
	return snap
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

func build(posts map[string]*Post, now time.Time, version uint64, conflict func(id, kept, dropped string)) *Snapshot {
	paths := make([]string, 0, len(posts))
	for p, post := range posts {
		if !post.Draft {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	snap := &Snapshot{Version: version, views: map[ViewKey]*View{}}
	owner := make(map[string]string, len(paths))
	for _, path := range paths {
		p := posts[path]
		if kept, dup := owner[p.ID]; dup {
			conflict(p.ID, kept, path)
			continue
		}
		owner[p.ID] = path
		if p.Date.After(now) {
			if snap.NextDue.IsZero() || p.Date.Before(snap.NextDue) {
				snap.NextDue = p.Date
			}
			continue
		}
		snap.Posts = append(snap.Posts, p)
	}
	slices.SortFunc(snap.Posts, comparePosts)

	all := &View{}
	snap.views[ViewKey{}] = all
	view := func(k ViewKey, p *Post, c Category) *View {
		v, ok := snap.views[k]
		if !ok {
			v = &View{Key: k}
			if k.Language != "" {
				v.Language = p.Language
			}
			if k.Category != "" {
				v.CategoryName = c.Name
			}
			snap.views[k] = v
		}
		if k.Category != "" && c.Name < v.CategoryName {
			v.CategoryName = c.Name // the same name whatever the order of files
		}
		return v
	}
	for i, p := range snap.Posts {
		add := func(v *View) {
			if len(v.items) == 0 {
				v.Newest = p.Date
			}
			v.items = append(v.items, int32(i))
		}
		add(all)
		lang := p.LanguageKey()
		add(view(ViewKey{Language: lang}, p, Category{}))
		for _, c := range p.Categories {
			add(view(ViewKey{Category: c.Slug}, p, c))
			add(view(ViewKey{Category: c.Slug, Language: lang}, p, c))
		}
	}
	snap.ordered = make([]*View, 0, len(snap.views))
	for _, v := range snap.views {
		snap.ordered = append(snap.ordered, v)
	}
	slices.SortFunc(snap.ordered, func(a, b *View) int {
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
