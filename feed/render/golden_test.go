package render_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
)

// goldenDoc is a document kept as a golden file.
type goldenDoc struct {
	key         feed.ViewKey
	format      *render.Format
	page, limit int
}

// goldenDocs are the documents kept as golden files: the main feeds, one
// of each kind of feed, and a middle page with its paging links.
func goldenDocs() []goldenDoc {
	all := feed.ViewKey{Kind: feed.Everything}
	national := kind("category").Key("national")
	km := kind("language").Key("km")
	docs := []goldenDoc{
		{all, render.RSS, 1, 50}, {all, render.Atom, 1, 50}, {all, render.JSONFeed, 1, 50},
		{national, render.RSS, 1, 50}, {national, render.Atom, 1, 50}, {national, render.JSONFeed, 1, 50},
		{km, render.RSS, 1, 50}, {km, render.Atom, 1, 50}, {km, render.JSONFeed, 1, 50},
		{kind("language_category").Key("km", "ជាតិ"), render.RSS, 1, 50},
		{kind("author").Key("ann-writer"), render.Atom, 1, 50},
		{kind("author").Key("bopha"), render.RSS, 1, 50},
		{kind("language_author").Key("km", "dara"), render.JSONFeed, 1, 50},
	}
	for _, f := range render.Formats {
		docs = append(docs, goldenDoc{all, f, 2, 2})
	}
	return docs
}

// goldenName is the golden file of a document: its URL's path and query,
// "/", "?" and "&" as "_", "=" as "-", percent signs dropped.
func goldenName(selfURL string) string {
	u := strings.TrimPrefix(selfURL, feedtest.Site().BaseURL)
	r := strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "-", "%", "")
	return strings.TrimPrefix(r.Replace(u), "_")
}

// TestGolden renders each golden document from the fixture and compares it
// with its file under testdata/golden. Regenerate them with
// `go test ./feed/render -run TestGolden -update` and review the diff by
// eye.
func TestGolden(t *testing.T) {
	snap := fixture(t)
	site := feedtest.Site()
	for _, g := range goldenDocs() {
		d, body := document(t, site, snap, g.key, g.format, g.page, g.limit)
		name := goldenName(d.SelfURL())
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name)
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
				t.Errorf("%s differs from %s; got:\n%s", d.SelfURL(), path, body)
			}
		})
	}
	// Every golden file is one of the documents: none is left behind.
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(goldenDocs()) {
		t.Errorf("%d golden files for %d documents: remove the stale ones", len(files), len(goldenDocs()))
	}
}
