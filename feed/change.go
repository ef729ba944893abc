package feed

// Change is what one published snapshot changed: the posts it published,
// updated and withdrew, and the feeds whose lists of posts differ. The set
// links each change to the next, so a consumer (WebSub pings, webhooks)
// follows them in order and misses none. A change keeps every later one
// (and its snapshot) alive: a consumer holds only the one it is at.
//
//	c := set.Latest()
//	for {
//		select {
//		case <-ctx.Done():
//			return
//		case <-c.Done():
//			c = c.Next()
//			// use c
//		}
//	}
type Change struct {
	// Snapshot is the state the change published; nil for the change a
	// set starts with, before its first snapshot.
	Snapshot *Snapshot
	// First is true for the set's first snapshot: everything in it is new
	// to this process, not to the world.
	First bool
	// Views are the feeds whose posts or their order changed, in the order
	// of Kinds; a feed that has no posts any more is among them, and
	// missing from Snapshot.
	Views []ViewKey

	tab                     table // the records below are in it
	added, updated, removed []ref

	next *Change       // set before done is closed
	done chan struct{} // closed when the next change is published
}

func newChange(snap *Snapshot) *Change {
	return &Change{Snapshot: snap, done: make(chan struct{})}
}

// Done is closed when the next change is published.
func (c *Change) Done() <-chan struct{} { return c.done }

// Next is the change published after c, or nil until Done is closed.
func (c *Change) Next() *Change {
	select {
	case <-c.done:
		return c.next
	default:
		return nil
	}
}

// Published are the posts the change made public (new ones, and
// future-dated ones that became due), newest first.
func (c *Change) Published() []*Post { return c.posts(c.added) }

// Updated are the new versions of posts that were public before and still
// are, newest first.
func (c *Change) Updated() []*Post { return c.posts(c.updated) }

// Withdrawn are the last public versions of the posts the change took out
// of the feeds (removed, made drafts, or dated into the future). Their
// bodies may be gone.
func (c *Change) Withdrawn() []*Post { return c.posts(c.removed) }

func (c *Change) posts(refs []ref) []*Post {
	out := make([]*Post, len(refs))
	for i, r := range refs {
		out[i] = c.tab.post(r)
	}
	return out
}

// classify sorts the records a change put in and took out of the
// published posts (each list newest first) into published, updated and
// withdrawn, by id.
func (c *Change) classify(t *table, added, removed []ref) {
	c.tab = *t
	if len(removed) == 0 {
		c.added = added
		return
	}
	was := make(map[string]bool, len(removed))
	for _, r := range removed {
		was[t.id(r)] = true
	}
	is := make(map[string]bool, len(added))
	for _, r := range added {
		id := t.id(r)
		is[id] = true
		if was[id] {
			c.updated = append(c.updated, r)
		} else {
			c.added = append(c.added, r)
		}
	}
	for _, r := range removed {
		if !is[t.id(r)] {
			c.removed = append(c.removed, r)
		}
	}
}
