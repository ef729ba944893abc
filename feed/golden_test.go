package feed_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenURLs are the documents kept as golden files: the main feeds, one of
// each kind of view, and a middle page with its paging links.
var goldenURLs = []string{
	"/rss.xml", "/atom.xml", "/feed.json",
	"/category/national/rss.xml", "/category/national/atom.xml", "/category/national/feed.json",
	"/language/km/rss.xml", "/language/km/atom.xml", "/language/km/feed.json",
	"/language/km/category/%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7/rss.xml",
	"/rss.xml?limit=2&page=2", "/atom.xml?limit=2&page=2", "/feed.json?limit=2&page=2",
}

func goldenName(u string) string {
	r := strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "-", "%", "")
	return strings.TrimPrefix(r.Replace(u), "_")
}

// TestGolden compares each document with its golden file. Regenerate with
// `go test ./feed -run TestGolden -update` and review the diff by eye.
func TestGolden(t *testing.T) {
	srv := fixtureServer(t)
	for _, u := range goldenURLs {
		t.Run(goldenName(u), func(t *testing.T) {
			resp, body := fetch(t, http.MethodGet, srv.URL+u, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
			}
			path := filepath.Join("testdata", "golden", goldenName(u))
			if *update {
				if err := os.WriteFile(path, body, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("GET %s differs from %s; got:\n%s", u, path, body)
			}
		})
	}
}
