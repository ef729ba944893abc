package feed

import (
	"hash/maphash"
	"strings"
)

// postIndex maps strings (a post's path, or its id) to records. It is
// keyed by a 64-bit hash of the string rather than by the string, and
// holds refs rather than pointers: a map with neither pointer keys nor
// pointer values is one the garbage collector does not trace. A string
// whose hash another string already holds is kept in a plain map, so a
// collision costs nothing but a second lookup.
type postIndex struct {
	key    func(ref) string // what the record is found by
	seed   maphash.Seed
	hash   func(maphash.Seed, string) uint64 // maphash.String; tests force collisions
	byHash map[uint64]ref
	clash  map[string]ref
}

func newPostIndex(key func(ref) string) *postIndex {
	return &postIndex{key: key, seed: maphash.MakeSeed(), hash: maphash.String, byHash: map[uint64]ref{}, clash: map[string]ref{}}
}

// get is the record for k, or noRef.
func (x *postIndex) get(k string) ref {
	if r, ok := x.byHash[x.hash(x.seed, k)]; ok && x.key(r) == k {
		return r
	}
	if r, ok := x.clash[k]; ok {
		return r
	}
	return noRef
}

// put makes r the record for its key.
func (x *postIndex) put(r ref) {
	k := x.key(r)
	h := x.hash(x.seed, k)
	if cur, ok := x.byHash[h]; ok && x.key(cur) != k {
		x.clash[strings.Clone(k)] = r // k shares a table's text
		return
	}
	delete(x.clash, k) // in case its hash was held by another key until now
	x.byHash[h] = r
}

func (x *postIndex) del(k string) {
	h := x.hash(x.seed, k)
	if r, ok := x.byHash[h]; ok && x.key(r) == k {
		delete(x.byHash, h)
		return
	}
	delete(x.clash, k)
}

func (x *postIndex) len() int { return len(x.byHash) + len(x.clash) }

// all yields every record held, in no particular order.
func (x *postIndex) all(yield func(ref) bool) {
	for _, r := range x.byHash {
		if !yield(r) {
			return
		}
	}
	for _, r := range x.clash {
		if !yield(r) {
			return
		}
	}
}
