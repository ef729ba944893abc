package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/watcher"
	"github.com/feedd/feedd/webhooks"
)

// BenchmarkPublishToDelivery measures the time from a post's rename into
// the posts directory to its message at a receiver on loopback, with the
// default debounce (200 ms), the real watcher and a real state file; each
// post waits for the one-message-a-second pace of its hook. With 20
// hooks, one of which always answers 500, the time is that of the last of
// the other 19 to receive it. Run it with a fixed count:
//
//	go test ./webhooks -run '^$' -bench PublishToDelivery -benchtime 100x
func BenchmarkPublishToDelivery(b *testing.B) {
	b.Run("hooks=1", func(b *testing.B) { benchPublishToDelivery(b, 1) })
	b.Run("hooks=20,one-failing", func(b *testing.B) { benchPublishToDelivery(b, 20) })
}

func benchPublishToDelivery(b *testing.B, nhooks int) {
	dir := filepath.Join(b.TempDir(), "posts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	arrived := map[string]int{} // by title: how many good hooks have it
	got := make(chan string, 1024)
	good := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 4096)
		n, _ := r.Body.Read(buf)
		_, rest, _ := strings.Cut(string(buf[:n]), "|")
		title, _, _ := strings.Cut(rest, ">")
		mu.Lock()
		arrived[title]++
		if arrived[title] == nhooks-min(1, nhooks-1) {
			got <- title
		}
		mu.Unlock()
	})
	var hooks []webhooks.Hook
	for i := range nhooks {
		handler := good
		if i == 0 && nhooks > 1 {
			handler = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }
		}
		srv := newReceiverHandler(b, handler)
		hooks = append(hooks, hookFor(b, fmt.Sprintf("hook-%d", i), srv, "/", webhooks.Slack))
	}
	set := feed.NewSet(feed.SetOptions{Logger: feedtest.Quiet})
	w := watcher.New(set, watcher.Options{Dir: dir, Parse: feedtest.ParseOptions(), Debounce: watcher.DefaultDebounce, Logger: feedtest.Quiet})
	s, err := webhooks.Open(set, feedtest.Site(), webhooks.Options{State: filepath.Join(b.TempDir(), "state"), Hooks: hooks, Logger: feedtest.Quiet})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	wg.Go(func() { s.Run(ctx) })
	defer func() { cancel(); wg.Wait(); s.Close() }()

	lat := make([]time.Duration, 0, b.N)
	last := time.Now()
	for i := range b.N {
		time.Sleep(time.Until(last.Add(1100 * time.Millisecond))) // a hook sends at most one message a second
		title := fmt.Sprintf("Fresh %d", i)
		tmp := filepath.Join(dir, ".incoming.tmp")
		date := time.Date(2025, 1, 1, 0, i, 0, 0, time.UTC).Format(time.RFC3339)
		if err := os.WriteFile(tmp, []byte("---\ncode: NEW"+fmt.Sprint(i)+"\ntitle: "+title+"\ndate: "+date+"\n---\nJust in.\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := os.Rename(tmp, filepath.Join(dir, fmt.Sprintf("new%d.md", i))); err != nil {
			b.Fatal(err)
		}
		select {
		case t := <-got:
			if t != title {
				b.Fatalf("got %q, want %q", t, title)
			}
		case <-time.After(30 * time.Second):
			b.Fatalf("%s not delivered in 30 s", title)
		}
		last = time.Now()
		lat = append(lat, last.Sub(start))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
