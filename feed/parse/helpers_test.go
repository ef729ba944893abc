package parse_test

import (
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
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

// mustParse parses a post of front matter only, with the fixture's
// options.
func mustParse(t testing.TB, path, front string) *feed.Post {
	t.Helper()
	return mustParseBody(t, path, front, "")
}
