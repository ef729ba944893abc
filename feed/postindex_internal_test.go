package feed

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// TestPostIndexCollisions: with a hash that gives only four values, so
// that most keys collide, the index still finds, replaces, removes and
// lists exactly what a plain map does.
func TestPostIndexCollisions(t *testing.T) {
	var ids []string // by ref
	x := newPostIndex(func(r ref) string { return ids[r] })
	x.hash = func(_ maphash.Seed, s string) uint64 { return uint64(len(s) % 4) }
	model := map[string]ref{}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 20000 {
		id := fmt.Sprintf("id%d", rng.IntN(200))
		switch rng.IntN(3) {
		case 0, 1:
			r := ref(len(ids))
			ids = append(ids, id)
			x.put(r)
			model[id] = r
		case 2:
			x.del(id)
			delete(model, id)
		}
		probe := fmt.Sprintf("id%d", rng.IntN(200))
		want, ok := model[probe]
		if !ok {
			want = noRef
		}
		if got := x.get(probe); got != want {
			t.Fatalf("step %d: get(%s) = %v, want %v", step, probe, got, want)
		}
		if x.len() != len(model) {
			t.Fatalf("step %d: %d ids held, want %d", step, x.len(), len(model))
		}
		if step%1000 == 0 {
			n := 0
			for r := range x.all {
				if model[ids[r]] != r {
					t.Fatalf("step %d: all yields %s's %v, which is not held", step, ids[r], r)
				}
				n++
			}
			if n != len(model) {
				t.Fatalf("step %d: all yields %d posts, want %d", step, n, len(model))
			}
		}
	}
	if len(x.clash) == 0 {
		t.Fatal("no collisions exercised")
	}
}
