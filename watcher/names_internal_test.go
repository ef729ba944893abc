package watcher

import (
	"fmt"
	"testing"
)

// TestNameArena: the watcher keeps its file states by copies of their
// paths in a few chunks, and however many times files are saved and
// removed, it finds each by its path with its latest state, and the copies
// of paths no longer used are let go.
func TestNameArena(t *testing.T) {
	w := &Watcher{files: map[string]fileState{}}
	const files = 100
	for step := range 200000 {
		rel := fmt.Sprintf("2024/%02d/post-%03d.md", step%files%12, step%files)
		if step%7 == 0 {
			w.remove(rel, &batch{})
		}
		w.keep(rel, fileState{real: "/posts/" + rel, size: int64(step)})
	}
	if len(w.files) != files {
		t.Fatalf("%d files known, want %d", len(w.files), files)
	}
	for step := 200000 - files; step < 200000; step++ {
		rel := fmt.Sprintf("2024/%02d/post-%03d.md", step%files%12, step%files)
		if st, ok := w.files[rel]; !ok || st.size != int64(step) || st.real != "/posts/"+rel {
			t.Errorf("%s: %+v, %v; want the state of step %d", rel, st, ok, step)
		}
	}
	if live := w.names.used - w.names.dead; w.names.used > 2*live+2<<20 {
		t.Errorf("%d bytes of paths kept for %d in use", w.names.used, live)
	}
}
