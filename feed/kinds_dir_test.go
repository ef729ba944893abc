package feed_test

import (
	"testing"

	"github.com/feedd/feedd/feed"
)

// TestParseDir: a feed's path names its key, however it is encoded or
// cased; anything else names none.
func TestParseDir(t *testing.T) {
	for dir, want := range map[string]string{
		"/":                                "/",
		"/category/National/":              "/category/national/",
		"/language/zh_Hant/":               "/language/zh-hant/",
		"/language/km/category/ជាតិ/":      "/language/km/category/%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7/",
		"/language/km/category/%E1%9E%87/": "/language/km/category/%E1%9E%87/",
		"/author/ann-writer/":              "/author/ann-writer/",
	} {
		k, ok := feed.ParseDir(dir)
		if !ok || k.Dir() != want {
			t.Errorf("%q: %v %q, want %q", dir, ok, k.Dir(), want)
		}
	}
	for _, dir := range []string{"", "category/x/", "/category/", "/category/x", "/tag/x/", "/category/x/language/en/", "/category/%zz/", "/rss.xml"} {
		if k, ok := feed.ParseDir(dir); ok {
			t.Errorf("%q names %s", dir, k.Dir())
		}
	}
}

func TestHolds(t *testing.T) {
	p := &feed.Post{Language: "km", Categories: []feed.Category{{Slug: "national", Name: "National"}}, Authors: []string{"Ann Writer"}}
	for dir, want := range map[string]bool{
		"/": true, "/category/national/": true, "/category/sport/": false, "/language/km/": true,
		"/language/en/": false, "/language/km/category/national/": true, "/language/en/category/national/": false,
		"/author/ann-writer/": true, "/author/bopha/": false,
	} {
		k, _ := feed.ParseDir(dir)
		if got := k.Holds(p); got != want {
			t.Errorf("%s holds the post: %v, want %v", dir, got, want)
		}
	}
}
