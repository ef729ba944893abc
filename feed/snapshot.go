package feed

import (
	"iter"
	"time"
)

// View is the list of posts of one feed, newest first. Its items are shared
// by the snapshots it did not change in, and never modified.
type View struct {
	Key ViewKey
	// Names are how posts spell the view's value of each of its kind's
	// facets: the spelling most of its posts use, the smallest of those
	// tied, so that every replica agrees ("Real Estate", "zh-Hant").
	Names  [maxFacets]string
	Newest time.Time
	// ChangedAt is when this process last saw the view's posts change
	// (zero until a change after its first snapshot): a document's
	// Last-Modified moves forward then too, though its items' times may be
	// older (a post withdrawn, or a back-dated one added).
	ChangedAt time.Time
	// Revision is the version of the snapshot that last changed the view:
	// a document rendered from it stays valid while it is the same.
	Revision uint64
	items    []ref // in the snapshots' tables
	// spellings count the posts that write each facet's value each way.
	spellings [maxFacets]map[string]int
}

// Len is the number of posts in the view.
func (v *View) Len() int { return len(v.items) }

// Pages is the number of pages of v at limit posts per page (at least 1).
func (v *View) Pages(limit int) int {
	return max(1, (len(v.items)+limit-1)/limit)
}

// Name is how posts spell the view's value of facet f, if its kind has f.
func (v *View) Name(f *Facet) (string, bool) {
	for i, kf := range v.Key.Kind.Facets {
		if kf == f {
			return v.Names[i], true
		}
	}
	return "", false
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

// Posts makes every published post, newest date first, equal dates by id:
// a Post each, so for a tool or a test; a feed makes only its page's.
func (s *Snapshot) Posts() []*Post { return s.posts(s.all) }

// All yields every published post, newest date first, making each as it
// is reached.
func (s *Snapshot) All() iter.Seq[*Post] {
	return func(yield func(*Post) bool) {
		for _, r := range s.all {
			if !yield(s.tab.post(r)) {
				return
			}
		}
	}
}

func (s *Snapshot) posts(refs []ref) []*Post {
	out := make([]*Post, len(refs))
	for i, r := range refs {
		out[i] = s.tab.post(r)
	}
	return out
}

// View returns the feed named by k, if any post is in it. The feed of
// every post always exists.
func (s *Snapshot) View(k ViewKey) (*View, bool) {
	v, ok := s.views[k]
	return v, ok
}

// Views lists every feed in the order of Kinds, then of their keys.
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
