package server_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/server"
)

// hookStore runs hook (once, when armed) at the start of a Get: what the
// watcher may do between a request's taking its snapshot and its reading
// of a body.
type hookStore struct {
	feed.BodyStore
	mu   sync.Mutex
	hook func()
}

func (h *hookStore) Get(id uint64) ([]byte, error) {
	h.mu.Lock()
	hook := h.hook
	h.hook = nil
	h.mu.Unlock()
	if hook != nil {
		hook()
	}
	return h.BodyStore.Get(id)
}

// serveOnce answers one request with srv.
func serveOnce(srv http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

// TestFeedRemovedWhileRendering: the only post of a category is removed
// while a request for the category's feed renders it: the request gets
// the 404 every later one gets, not an error.
func TestFeedRemovedWhileRendering(t *testing.T) {
	store := &hookStore{BodyStore: feed.MemoryBodies()}
	set := feed.NewSet(feed.SetOptions{Bodies: store, Logger: feedtest.Quiet, Now: func() time.Time { return feedtest.Now }})
	set.Apply([]*feed.Post{
		parsePost(t, "solo.md", "code: SOLO\ntitle: solo\ndate: 2024-01-02\ncategory: Solo"),
		parsePost(t, "other.md", "code: OTHER\ntitle: other\ndate: 2024-01-01"),
	}, nil)
	srv := server.New(server.Options{Site: feedtest.Site(), Set: set, Logger: feedtest.Quiet})
	store.mu.Lock()
	store.hook = func() { set.Apply(nil, []string{"solo.md"}) } // the watcher's batch
	store.mu.Unlock()
	if rec := serveOnce(srv, "/category/solo/rss.xml", nil); rec.Code != http.StatusNotFound {
		t.Errorf("status %d (%q), want 404: the feed is gone, nothing failed", rec.Code, rec.Body.String())
	}
}

// TestBackdatedPostMovesLastModified: a post dated before the feed's
// newest, copied in with its file's time kept (rsync -a, cp -p), changes
// the feed, so If-Modified-Since with the old Last-Modified gets the new
// document, not a 304.
func TestBackdatedPostMovesLastModified(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	set := feed.NewSet(feed.SetOptions{Logger: feedtest.Quiet, Now: clock})
	mk := func(path, front string, mtime time.Time) *feed.Post {
		p, err := parse.Post(path, []byte("---\n"+front+"\n---\nBody.\n"), mtime, feedtest.ParseOptions())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	set.Apply([]*feed.Post{mk("a.md", "code: A\ntitle: a\ndate: 2024-01-10", time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC))}, nil)
	srv := server.New(server.Options{Site: feedtest.Site(), Set: set, Logger: feedtest.Quiet})
	first := serveOnce(srv, "/rss.xml", nil)
	lm, etag := first.Header().Get("Last-Modified"), first.Header().Get("ETag")
	now = now.Add(time.Hour)
	set.Apply([]*feed.Post{mk("b.md", "code: B\ntitle: b\ndate: 2024-01-09", time.Date(2024, 1, 9, 18, 0, 0, 0, time.UTC))}, nil)
	if serveOnce(srv, "/rss.xml", nil).Header().Get("ETag") == etag {
		t.Fatal("the document did not change")
	}
	rec := serveOnce(srv, "/rss.xml", map[string]string{"If-Modified-Since": lm})
	if rec.Code == http.StatusNotModified {
		t.Errorf("If-Modified-Since %s: 304 for a document that gained a post", lm)
	}
	if got := rec.Header().Get("Last-Modified"); got != now.Format(http.TimeFormat) {
		t.Errorf("Last-Modified %s, want the time of the change, %s", got, now.Format(http.TimeFormat))
	}
}
