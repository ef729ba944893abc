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
	x := newPostIndex(byID)
	x.hash = func(_ maphash.Seed, s string) uint64 { return uint64(len(s) % 4) }
	model := map[string]*Post{}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 20000 {
		id := fmt.Sprintf("id%d", rng.IntN(200))
		switch rng.IntN(3) {
		case 0, 1:
			p := &Post{ID: id, Path: fmt.Sprint(step)}
			x.put(p)
			model[id] = p
		case 2:
			x.del(id)
			delete(model, id)
		}
		probe := fmt.Sprintf("id%d", rng.IntN(200))
		if got, want := x.get(probe), model[probe]; got != want {
			t.Fatalf("step %d: get(%s) = %v, want %v", step, probe, got, want)
		}
		if x.len() != len(model) {
			t.Fatalf("step %d: %d ids held, want %d", step, x.len(), len(model))
		}
		if step%1000 == 0 {
			n := 0
			for p := range x.all {
				if model[p.ID] != p {
					t.Fatalf("step %d: all yields %s's %v, which is not held", step, p.ID, p)
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
