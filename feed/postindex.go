package feed

import "hash/maphash"

// postIndex maps strings (a post's path, or its id) to posts. It is keyed
// by a 64-bit hash of the string rather than by the string: a string key
// is one more pointer per post for every garbage collection to follow,
// into the middle of the post's text, and at 100,000 posts each such map
// cost about 15 ms a collection. A string whose hash another string
// already holds is kept in a plain map, so a collision costs nothing but a
// second lookup.
type postIndex struct {
	key    func(*Post) string // what the post is found by
	seed   maphash.Seed
	hash   func(maphash.Seed, string) uint64 // maphash.String; tests force collisions
	byHash map[uint64]*Post
	clash  map[string]*Post
}

func newPostIndex(key func(*Post) string) *postIndex {
	return &postIndex{key: key, seed: maphash.MakeSeed(), hash: maphash.String, byHash: map[uint64]*Post{}, clash: map[string]*Post{}}
}

func byPath(p *Post) string { return p.Path }
func byID(p *Post) string   { return p.ID }

func (x *postIndex) get(k string) *Post {
	if p, ok := x.byHash[x.hash(x.seed, k)]; ok && x.key(p) == k {
		return p
	}
	return x.clash[k]
}

// put makes p the post for its key.
func (x *postIndex) put(p *Post) {
	k := x.key(p)
	h := x.hash(x.seed, k)
	if cur, ok := x.byHash[h]; ok && x.key(cur) != k {
		x.clash[k] = p
		return
	}
	delete(x.clash, k) // in case its hash was held by another key until now
	x.byHash[h] = p
}

func (x *postIndex) del(k string) {
	h := x.hash(x.seed, k)
	if p, ok := x.byHash[h]; ok && x.key(p) == k {
		delete(x.byHash, h)
		return
	}
	delete(x.clash, k)
}

func (x *postIndex) len() int { return len(x.byHash) + len(x.clash) }

// all yields every post held, in no particular order.
func (x *postIndex) all(yield func(*Post) bool) {
	for _, p := range x.byHash {
		if !yield(p) {
			return
		}
	}
	for _, p := range x.clash {
		if !yield(p) {
			return
		}
	}
}
