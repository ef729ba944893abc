package feed

import (
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// TestViewKeysOutsideText: what outlives a table (the views' keys and
// names) does not point into its text, which would keep the text alive
// after the set has copied what it holds into a new table.
func TestViewKeysOutsideText(t *testing.T) {
	set := NewSet(SetOptions{Now: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }})
	var posts []*Post
	for i := range 20 {
		posts = append(posts, &Post{
			Path: fmt.Sprintf("p%d.md", i), ID: fmt.Sprintf("P%d", i), Title: "T", Language: []string{"en", "km", "zh-Hant"}[i%3],
			Categories: []Category{{Slug: fmt.Sprintf("cat-%d", i%4), Name: fmt.Sprintf("Cat %d", i%4)}},
			Authors:    []string{fmt.Sprintf("Author %d", i%2)},
			Date:       time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC),
		})
	}
	snap := set.Apply(posts, nil)
	inText := func(s string) bool {
		if s == "" {
			return false
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		for _, c := range snap.tab.text {
			start := uintptr(unsafe.Pointer(unsafe.SliceData(c)))
			if p >= start && p < start+uintptr(len(c)) {
				return true
			}
		}
		return false
	}
	// every post; 4 categories; 3 languages; 12 pairs; 2 authors; 6 pairs
	if n := len(snap.Views()); n != 1+4+3+12+2+6 {
		t.Fatalf("%d views", n)
	}
	for k, v := range snap.views {
		for _, s := range append(append(k.Values[:], v.Key.Values[:]...), v.Names[:]...) {
			if inText(s) {
				t.Errorf("view %s: %q is in the table's text", k.Dir(), s)
			}
		}
	}
}
