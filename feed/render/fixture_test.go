package render_test

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixture is the snapshot of the fixture posts (feed/testdata/posts).
func fixture(t testing.TB) *feed.Snapshot {
	t.Helper()
	set, _ := feedtest.Load(t, "posts")
	return set.Current()
}

// document renders page of the feed key names in format f, at limit items
// a page; the page must exist.
func document(t testing.TB, site *render.Site, snap *feed.Snapshot, key feed.ViewKey, f *render.Format, page, limit int) (*render.Document, []byte) {
	t.Helper()
	v, ok := snap.View(key)
	if !ok {
		t.Fatalf("no feed %s", key.Dir())
	}
	d, ok := site.Document(snap, v, f, page, limit)
	if !ok {
		t.Fatalf("%s%s: no page %d at limit %d", key.Dir(), f.File, page, limit)
	}
	var b bytes.Buffer
	if err := d.Render(&b); err != nil {
		t.Fatalf("%s: %v", d.SelfURL(), err)
	}
	return d, b.Bytes()
}

// kind is the kind of feed named name.
func kind(name string) *feed.Kind {
	for _, k := range feed.Kinds {
		if k.Name == name {
			return k
		}
	}
	panic("no kind " + name)
}

// parse parses one post (front matter and body) with the fixture's
// options.
func parsePost(t testing.TB, path, front, body string) *feed.Post {
	t.Helper()
	p, err := parse.Post(path, []byte("---\n"+front+"\n---\n"+body), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
