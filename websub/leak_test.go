package websub_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/websub"
)

// TestPublisherLetsOldChangesGo: a running publisher holds no change it
// has followed past, so old snapshots (and their tables) are let go:
// feedd with hubs does not grow with every change it ever published.
func TestPublisherLetsOldChangesGo(t *testing.T) {
	set := feed.NewSet(feed.SetOptions{Logger: feedtest.Quiet, Now: func() time.Time { return feedtest.Now }})
	hubSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hubSrv.Close()
	pub := websub.New(set, feedtest.Site(), websub.Options{Hubs: []string{hubSrv.URL}, Logger: feedtest.Quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); pub.Run(ctx) }()
	defer func() { cancel(); <-done }()

	first := weak.Make(set.Apply([]*feed.Post{post(t, "a.md", "code: A\ntitle: a0\ndate: 2024-01-01")}, nil))
	var last *feed.Snapshot
	for i := range 50 {
		last = set.Apply([]*feed.Post{post(t, "a.md", fmt.Sprintf("code: A\ntitle: a%d\ndate: 2024-01-01", i+1))}, nil)
	}
	deadline := time.Now().Add(30 * time.Second)
	for pub.Stats().Seen != last.Version { // the publisher follows to the latest change
		if time.Now().After(deadline) {
			t.Fatalf("the publisher saw version %d, not %d", pub.Stats().Seen, last.Version)
		}
		time.Sleep(time.Millisecond)
	}
	runtime.GC()
	runtime.GC()
	if first.Value() != nil {
		t.Error("the first snapshot is still reachable after 50 more changes")
	}
}
