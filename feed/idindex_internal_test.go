package feed

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// TestIDIndexCollisions: with a hash that gives only four values, so that
// most ids collide, the index still finds, replaces and removes exactly
// what a plain map does.
func TestIDIndexCollisions(t *testing.T) {
	x := newIDIndex()
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
	}
	if len(x.clash) == 0 {
		t.Fatal("no collisions exercised")
	}
}
