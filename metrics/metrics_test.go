package metrics_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/metrics"
)

// TestMetrics: /metrics, served through the feed handler, counts requests
// by route name and status (not by raw path) and reports the posts, the
// snapshot and the cache.
func TestMetrics(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	set := feed.NewSet(feed.SetOptions{Logger: quiet})
	site := &feed.Site{Title: "T", BaseURL: "https://feeds.example.com", Language: "en", Limit: 50, MaxLimit: 500, MaxAge: time.Minute}
	h := feed.NewHandler(site, set, quiet)
	m := metrics.New(&metrics.Sources{Set: set, Cache: h.Cache()})
	h.Mount("/metrics", "metrics", m.Handler())
	h.Observe(m.ObserveRequest)
	srv := httptest.NewServer(h)
	defer srv.Close()

	var posts []*feed.Post
	for _, src := range []string{"code: A\ntitle: a\ndate: 2024-01-01\ncategory: Sport", "code: B\ntitle: b\ndate: 2024-01-02\ncategory: World"} {
		p, err := feed.Parse("x"+src[6:7]+".md", []byte("---\n"+src+"\n---\n"), time.Time{}, feed.ParseOptions{Location: time.UTC, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, p)
	}
	set.Apply(posts, nil)
	m.ObserveReload(3 * time.Millisecond)

	for _, path := range []string{"/rss.xml", "/rss.xml", "/category/sport/rss.xml", "/category/world/atom.xml", "/category/nope/rss.xml", "/nothing"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/rss.xml", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		`feedd_http_requests_total{code="200",route="feed"} 2`,
		`feedd_http_requests_total{code="200",route="category"} 2`,
		`feedd_http_requests_total{code="404",route="category"} 1`,
		`feedd_http_requests_total{code="404",route="unmatched"} 1`,
		`feedd_http_requests_total{code="405",route="unmatched"} 1`,
		`feedd_http_request_duration_seconds_count{route="feed"} 2`,
		"feedd_posts_indexed 2",
		"feedd_feeds 6", // all; sport, world; en; sport+en, world+en
		"feedd_snapshot_version 1",
		"feedd_ready 1",
		"feedd_cache_hits_total 1",
		"feedd_cache_misses_total 3",
		"feedd_reload_duration_seconds_count 1",
		"go_goroutines",
	} {
		if !strings.Contains(text, want+"\n") && !strings.Contains(text, want+" ") && !(want == "go_goroutines" && strings.Contains(text, want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(text, "/category/sport") {
		t.Error("/metrics labels requests with raw paths")
	}
}
