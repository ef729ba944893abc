package feed_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
)

// post builds a post file from front matter lines and a body.
func post(front, body string) []byte {
	return []byte("---\n" + front + "\n---\n" + body)
}

// mustParse parses a post of front matter only, with the fixture's
// options.
func mustParse(t testing.TB, path, front string) *feed.Post {
	t.Helper()
	return mustParseBody(t, path, front, "")
}

func mustParseBody(t testing.TB, path, front, body string) *feed.Post {
	t.Helper()
	p, err := parse.Post(path, post(front, body), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ids lists the posts' ids, comma-separated.
func ids(posts []*feed.Post) string {
	var s []string
	for _, p := range posts {
		s = append(s, p.ID)
	}
	return strings.Join(s, ",")
}

// kind is the kind of feed named name.
func kind(t testing.TB, name string) *feed.Kind {
	t.Helper()
	for _, k := range feed.Kinds {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("no kind of feed %q", name)
	return nil
}

// everything is the key of the feed of every post.
var everything = feed.ViewKey{Kind: feed.Everything}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// newSet is a set whose clock is clock (feedtest.Now if nil), that logs
// nothing and keeps its bodies in store (in memory if nil).
func newSet(clock func() time.Time, store feed.BodyStore) *feed.Set {
	if clock == nil {
		clock = func() time.Time { return feedtest.Now }
	}
	return feed.NewSet(feed.SetOptions{Now: clock, Logger: feedtest.Quiet, Bodies: store})
}

// newStore opens a body store in a temporary directory, closed when the
// test ends.
func newStore(t testing.TB, opt bodies.Options) *bodies.Store {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	opt.Logger = feedtest.Quiet
	s, err := bodies.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// renderSnapshot renders every feed of snap, in every format, by URL.
func renderSnapshot(t testing.TB, snap *feed.Snapshot) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, v := range snap.Views() {
		for _, f := range render.Formats {
			b, err := feedtest.Render(snap, v, f)
			if err != nil {
				t.Fatalf("%s%s: %v", v.Key.Dir(), f.File, err)
			}
			out[v.Key.Dir()+f.File] = b
		}
	}
	return out
}
