package parse_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
)

// post builds a post file from front matter lines and a body.
func post(front, body string) []byte {
	return []byte("---\n" + front + "\n---\n" + body)
}

// mustParseBody parses a post with the fixture's options.
func mustParseBody(t testing.TB, path, front, body string) *feed.Post {
	t.Helper()
	p, err := parse.Post(path, post(front, body), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// everything is the key of the feed of every post.
var everything = feed.ViewKey{Kind: feed.Everything}

// newSet is a set whose clock is feedtest.Now, that logs nothing and keeps
// its bodies in memory.
func newSet() *feed.Set { return feedtest.NewSet() }

// renderDoc renders page 1 of view v of snap in format f, every post on
// it.
func renderDoc(snap *feed.Snapshot, v *feed.View, f *render.Format) ([]byte, error) {
	doc, ok := feedtest.Site().Document(snap, v, f, 1, 500)
	if !ok {
		return nil, fmt.Errorf("%s: no first page", v.Key.Dir())
	}
	var buf bytes.Buffer
	err := doc.Render(&buf)
	return buf.Bytes(), err
}

// mustParse parses a post of front matter only, with the fixture's
// options.
func mustParse(t testing.TB, path, front string) *feed.Post {
	t.Helper()
	return mustParseBody(t, path, front, "")
}
