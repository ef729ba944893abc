package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/metrics"
	"github.com/feedd/feedd/server"
)

// TestMetrics: /metrics, served through the feeds' server, counts requests
// by route name and status (not by raw path) and reports the posts, the
// snapshot and the cache.
func TestMetrics(t *testing.T) {
	set := feedtest.NewSet()
	var srv *server.Server
	m := metrics.New(metrics.Sources{
		Posts: func() metrics.Posts {
			snap := set.Current()
			if snap == nil {
				return metrics.Posts{}
			}
			return metrics.Posts{Ready: true, Published: snap.Len(), Feeds: len(snap.Views()), Version: snap.Version}
		},
		Cache: func() metrics.Cache {
			c := srv.Cache()
			return metrics.Cache{Hits: c.Hits(), Misses: c.Misses(), Bytes: c.Bytes()}
		},
	})
	site := &render.Site{Title: "T", BaseURL: "https://feeds.example.com", Language: "en", Limit: 50}
	srv = server.New(server.Options{Site: site, Set: set, Logger: feedtest.Quiet, MaxLimit: 500, MaxAge: time.Minute,
		Metrics: m.Handler(), Observe: m.ObserveRequest})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	if text := scrape(t, ts.URL); !strings.Contains(text, "feedd_ready 0\n") {
		t.Errorf("before the first snapshot /metrics lacks feedd_ready 0")
	}
	var posts []*feed.Post
	for _, src := range []string{"code: A\ntitle: a\ndate: 2024-01-01\ncategory: Sport\nauthor: Ann", "code: B\ntitle: b\ndate: 2024-01-02\ncategory: World"} {
		p, err := parse.Post("x"+src[6:7]+".md", []byte("---\n"+src+"\n---\n"), time.Time{}, parse.Options{Location: time.UTC, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, p)
	}
	set.Apply(posts, nil)
	m.ObserveReload(3 * time.Millisecond)

	for _, path := range []string{"/rss.xml", "/rss.xml", "/category/sport/rss.xml", "/category/world/atom.xml", "/category/nope/rss.xml", "/nothing"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/rss.xml", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	text := scrape(t, ts.URL)
	for _, want := range []string{
		`feedd_http_requests_total{code="200",route="feed"} 2`,
		`feedd_http_requests_total{code="200",route="category"} 2`,
		`feedd_http_requests_total{code="404",route="category"} 1`,
		`feedd_http_requests_total{code="404",route="unmatched"} 1`,
		`feedd_http_requests_total{code="405",route="unmatched"} 1`,
		`feedd_http_request_duration_seconds_count{route="feed"} 2`,
		"feedd_posts_indexed 2",
		"feedd_feeds 8", // all; sport, world; en; sport+en, world+en; ann, ann+en (B has no author: none)
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

// scrape gets /metrics from the server at base.
func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(body)
}

// TestMetricsSources: each source's figures are read at each scrape under
// their names; a source left nil leaves its metrics out.
func TestMetricsSources(t *testing.T) {
	var sent atomic.Uint64
	all := metrics.Sources{
		Watcher: func() metrics.Watcher { return metrics.Watcher{BadNow: 3, FullScans: 7, Overflows: 1} },
		Bodies:  func() metrics.Bodies { return metrics.Bodies{LiveBytes: 1000, FileBytes: 4096, Compactions: 2} },
		WebSub:  func() metrics.WebSub { return metrics.WebSub{Sent: sent.Load(), Failed: 1, Retried: 4} },
		Webhooks: func() []metrics.Webhook {
			return []metrics.Webhook{{Hook: "slack", Delivered: 9, Retried: 2, Dropped: 1, Pending: 3}, {Hook: "json"}}
		},
	}
	ts := httptest.NewServer(metrics.New(all).Handler())
	defer ts.Close()
	sent.Store(5)
	text := scrape(t, ts.URL)
	sent.Store(6)
	again := scrape(t, ts.URL)
	for _, want := range []string{
		"feedd_posts_bad 3", "feedd_full_rescans_total 7", "feedd_event_overflows_total 1",
		"feedd_body_store_live_bytes 1000", "feedd_body_store_file_bytes 4096", "feedd_body_store_compactions_total 2",
		"feedd_websub_pings_sent_total 5", "feedd_websub_pings_failed_total 1", "feedd_websub_ping_retries_total 4",
		`feedd_webhook_deliveries_total{hook="slack",result="delivered"} 9`, `feedd_webhook_deliveries_total{hook="slack",result="retried"} 2`,
		`feedd_webhook_deliveries_total{hook="slack",result="dropped"} 1`, `feedd_webhook_pending{hook="slack"} 3`,
		`feedd_webhook_deliveries_total{hook="json",result="delivered"} 0`, `feedd_webhook_pending{hook="json"} 0`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !strings.Contains(again, "feedd_websub_pings_sent_total 6\n") {
		t.Error("a source is not read again at the next scrape")
	}

	ts2 := httptest.NewServer(metrics.New(metrics.Sources{}).Handler())
	defer ts2.Close()
	none := scrape(t, ts2.URL)
	for _, absent := range []string{"feedd_posts_indexed", "feedd_posts_bad", "feedd_cache_hits_total", "feedd_body_store_live_bytes", "feedd_websub_pings_sent_total", "feedd_webhook_pending"} {
		if strings.Contains(none, absent) {
			t.Errorf("with no sources /metrics has %s", absent)
		}
	}
	if !strings.Contains(none, "go_goroutines ") || !strings.Contains(none, "process_start_time_seconds ") {
		t.Error("with no sources /metrics lacks the process's own metrics")
	}
}
