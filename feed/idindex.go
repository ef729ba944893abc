package feed

import "hash/maphash"

// idIndex maps post ids to posts. It is keyed by a 64-bit hash of the id
// rather than by the id itself: a string key is one more pointer per post
// for every garbage collection to follow (into the middle of the post's
// text, the costliest kind), and at 100,000 posts that was about 15 ms a
// collection. An id whose hash another id already holds is kept in a
// plain map, so a collision costs nothing but a second lookup.
type idIndex struct {
	seed   maphash.Seed
	hash   func(maphash.Seed, string) uint64 // maphash.String; tests force collisions
	byHash map[uint64]*Post
	clash  map[string]*Post
}

func newIDIndex() *idIndex {
	return &idIndex{seed: maphash.MakeSeed(), hash: maphash.String, byHash: map[uint64]*Post{}, clash: map[string]*Post{}}
}

func (x *idIndex) get(id string) *Post {
	if p, ok := x.byHash[x.hash(x.seed, id)]; ok && p.ID == id {
		return p
	}
	return x.clash[id]
}

// put makes p the post for p.ID.
func (x *idIndex) put(p *Post) {
	h := x.hash(x.seed, p.ID)
	if cur, ok := x.byHash[h]; ok && cur.ID != p.ID {
		x.clash[p.ID] = p
		return
	}
	delete(x.clash, p.ID) // in case its hash was held by another id until now
	x.byHash[h] = p
}

func (x *idIndex) del(id string) {
	h := x.hash(x.seed, id)
	if p, ok := x.byHash[h]; ok && p.ID == id {
		delete(x.byHash, h)
		return
	}
	delete(x.clash, id)
}

func (x *idIndex) len() int { return len(x.byHash) + len(x.clash) }
