package websub_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/websub"
)

// hub is a test WebSub hub recording the publish pings it receives.
type hub struct {
	mu      sync.Mutex
	pings   []string // hub.url values, in arrival order
	fail    map[string]int
	release chan struct{} // when not nil, requests wait for it to close
	waiting atomic.Int32  // requests waiting for release
	bad     []string
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.release != nil {
		h.waiting.Add(1)
		<-h.release
	}
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.Form.Get("hub.mode") != "publish" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		h.mu.Lock()
		h.bad = append(h.bad, r.Method+" "+r.Header.Get("Content-Type")+" "+r.Form.Encode())
		h.mu.Unlock()
		http.Error(w, "bad ping", http.StatusBadRequest)
		return
	}
	topic := r.Form.Get("hub.url")
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pings = append(h.pings, topic)
	if h.fail[topic] > 0 {
		h.fail[topic]--
		http.Error(w, "try later", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *hub) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.pings)
}

func post(t *testing.T, path, front string) *feed.Post {
	t.Helper()
	p, err := parse.Post(path, []byte("---\n"+front+"\n---\n"), time.Time{}, parse.Options{Location: time.UTC, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The set's posts: a sport post in English by Ann Writer, and a world post
// in Khmer with no author.
const (
	sport = "code: S\ntitle: s\ndate: 2024-01-01\ncategory: Sport\nlanguage: en\nauthor: Ann Writer"
	world = "code: W\ntitle: w\ndate: 2024-01-02\ncategory: World\nlanguage: km"
)

// sportEdit is the sport post with another title.
func sportEdit(title string) string {
	return strings.Replace(sport, "title: s\n", "title: "+title+"\n", 1)
}

func testSite(hubs ...string) *render.Site {
	return &render.Site{Title: "T", BaseURL: "https://feeds.example.com", Limit: 50, Hubs: hubs}
}

// setup runs a publisher for a set holding the sport and the world posts.
func setup(t *testing.T, h *hub, opt websub.Options) (*feed.Set, *websub.Publisher, *render.Site) {
	set := feedtest.NewSet()
	set.Apply([]*feed.Post{post(t, "s.md", sport), post(t, "w.md", world)}, nil)
	p, site := start(t, h, set, opt)
	return set, p, site
}

// start runs a publisher for set, pinging h.
func start(t *testing.T, h *hub, set *feed.Set, opt websub.Options) (*websub.Publisher, *render.Site) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	site := testSite(srv.URL + "/hub")
	opt.Hubs, opt.Logger = site.Hubs, feedtest.Quiet
	p := websub.New(set, site, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() {
		if h.release != nil {
			select {
			case <-h.release:
			default:
				close(h.release)
			}
		}
		cancel()
		<-done
	})
	return p, site
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling counters; the deadline decides
	}
}

func urlsOf(base string, paths ...string) []string {
	var out []string
	for _, p := range paths {
		for _, f := range []string{"rss.xml", "atom.xml", "feed.json"} {
			out = append(out, base+p+f)
		}
	}
	slices.Sort(out)
	return out
}

// sportFeeds are the feeds of the sport post.
var sportFeeds = []string{"/", "/category/sport/", "/language/en/", "/language/en/category/sport/",
	"/author/ann-writer/", "/language/en/author/ann-writer/"}

// TestChangedURLs: the URLs of a change are those of the feeds whose posts
// changed, in every format; a feed the change emptied is left out.
func TestChangedURLs(t *testing.T) {
	base := "https://feeds.example.com"
	site := testSite()
	set := feedtest.NewSet()
	c := set.Latest()
	next := func(upserts []*feed.Post, removes ...string) *feed.Change {
		t.Helper()
		set.Apply(upserts, removes)
		select {
		case <-c.Done():
			c = c.Next()
			return c
		default:
			t.Fatal("Apply published no change")
			return nil
		}
	}
	for _, tc := range []struct {
		name string
		do   func() *feed.Change
		want []string
	}{
		{"the first snapshot", func() *feed.Change {
			return next([]*feed.Post{post(t, "s.md", sport), post(t, "w.md", world)})
		}, urlsOf(base, append(sportFeeds, "/category/world/", "/language/km/", "/language/km/category/world/")...)},
		{"an edit of the sport post", func() *feed.Change {
			return next([]*feed.Post{post(t, "s.md", sportEdit("edited"))})
		}, urlsOf(base, sportFeeds...)},
		{"the sport post moved to another category", func() *feed.Change {
			return next([]*feed.Post{post(t, "s.md", strings.Replace(sportEdit("moved"), "Sport", "World", 1))})
		}, urlsOf(base, "/", "/category/world/", "/language/en/", "/language/en/category/world/",
			"/author/ann-writer/", "/language/en/author/ann-writer/")}, // not sport's: they are gone
		{"the world post removed", func() *feed.Change {
			return next(nil, "w.md")
		}, urlsOf(base, "/", "/category/world/")}, // km's feeds are gone
		{"nothing changed", func() *feed.Change {
			return next(nil, "nothing.md")
		}, nil},
	} {
		change := tc.do()
		got := websub.ChangedURLs(site, change)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestPingsForChangedFeeds: an edit in one category pings exactly the feeds
// it changed: everything, the category, the language, the pair and the
// post's author's; a feed that vanished is not pinged.
func TestPingsForChangedFeeds(t *testing.T) {
	h := &hub{}
	set, p, _ := setup(t, h, websub.Options{})
	set.Apply([]*feed.Post{post(t, "s.md", sportEdit("s edited"))}, nil)
	want := urlsOf("https://feeds.example.com", sportFeeds...)
	waitFor(t, "the pings", func() bool { return p.Stats().Sent == uint64(len(want)) })
	got := h.got()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("pinged %q\nwant %q", got, want)
	}
	// A second change, elsewhere: only its feeds.
	set.Apply(nil, []string{"w.md"})
	want2 := urlsOf("https://feeds.example.com", "/")
	waitFor(t, "the second change's pings", func() bool { return p.Stats().Sent == uint64(len(want)+len(want2)) })
	if got := h.got()[len(want):]; !slices.Equal(slices.Sorted(slices.Values(got)), want2) {
		t.Errorf("after removing the only world post: %q, want %q (vanished feeds are not pinged)", got, want2)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bad) > 0 {
		t.Errorf("malformed pings: %q", h.bad)
	}
}

// TestNoPingsForTheFirstSnapshot: the set's first snapshot (feedd starting)
// pings nothing: it is new to this process, not to the world; the next
// change pings as usual.
func TestNoPingsForTheFirstSnapshot(t *testing.T) {
	h := &hub{}
	set := feedtest.NewSet()
	p, _ := start(t, h, set, websub.Options{})
	set.Apply([]*feed.Post{post(t, "s.md", sport), post(t, "w.md", world)}, nil)
	first := set.Current().Version
	waitFor(t, "the publisher to see the first snapshot", func() bool { return p.Stats().Seen == first })
	set.Apply([]*feed.Post{post(t, "s.md", sportEdit("edited"))}, nil)
	want := urlsOf("https://feeds.example.com", sportFeeds...)
	waitFor(t, "the edit's pings", func() bool { return p.Stats().Sent == uint64(len(want)) })
	if got := slices.Sorted(slices.Values(h.got())); !slices.Equal(got, want) {
		t.Errorf("pinged %q\nwant %q: the edit's feeds only, nothing for the first snapshot", got, want)
	}
}

// TestPingRetries: a hub answering 500 is tried again, with backoff, until
// it accepts.
func TestPingRetries(t *testing.T) {
	topic := "https://feeds.example.com/category/sport/rss.xml"
	h := &hub{fail: map[string]int{topic: 2}}
	set, p, _ := setup(t, h, websub.Options{Backoff: 10 * time.Millisecond})
	set.Apply([]*feed.Post{post(t, "s.md", sportEdit("again"))}, nil)
	want := len(sportFeeds) * len(render.Formats)
	waitFor(t, "every ping accepted", func() bool { return p.Stats().Sent == uint64(want) })
	n := 0
	for _, u := range h.got() {
		if u == topic {
			n++
		}
	}
	if st := p.Stats(); n != 3 || st.Retried != 2 || st.Failed != 0 {
		t.Errorf("%s was sent %d times (want 3: two 500s, then accepted); stats %+v", topic, n, st)
	}
}

// TestPingsDeduplicated: changes that fall while a feed's ping waits to be
// sent add no ping (the hub fetches the newest state anyway); a change
// that falls while its ping is in flight, which the hub may have answered
// by fetching the feed before the change, gets one more ping, once.
func TestPingsDeduplicated(t *testing.T) {
	h := &hub{release: make(chan struct{})}
	set, p, _ := setup(t, h, websub.Options{Workers: 1})
	edit := func(i int) {
		start := time.Now()
		set.Apply([]*feed.Post{post(t, "s.md", sportEdit("edit "+string(rune('a'+i))))}, nil)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Apply waited %v for the hub", d)
		}
	}
	edit(0)
	// The first ping (the first format of the feed of every post) is in
	// flight, held by the hub; the others wait in the queue.
	waitFor(t, "the first ping to reach the hub", func() bool { return h.waiting.Load() == 1 })
	for i := 1; i < 5; i++ {
		edit(i)
	}
	last := set.Current().Version
	waitFor(t, "the publisher to see the last edit", func() bool { return p.Stats().Seen == last })
	close(h.release)
	edits := uint64(len(sportFeeds)*len(render.Formats)) + 1 // and the in-flight one again
	waitFor(t, "the pings", func() bool { return p.Stats().Sent >= edits })
	// Let any duplicate show itself: one more change, and wait for its pings.
	set.Apply(nil, []string{"w.md"})
	waitFor(t, "the last change's pings", func() bool { return p.Stats().Sent >= edits+3 })
	counts := map[string]int{}
	for _, u := range h.got() {
		counts[u]++
	}
	for u, n := range counts {
		want := 1
		switch u {
		case "https://feeds.example.com/rss.xml":
			want = 3 // in flight during the edits, again after them, then the removal
		case "https://feeds.example.com/atom.xml", "https://feeds.example.com/feed.json":
			want = 2 // the edits, then the removal
		}
		if n != want {
			t.Errorf("%s pinged %d times, want %d", u, n, want)
		}
	}
	if st := p.Stats(); st.Sent != edits+3 {
		t.Errorf("sent %d pings, want %d", st.Sent, edits+3)
	}
}
