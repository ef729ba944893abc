package watcher_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/watcher"
)

// generatePosts writes n posts of about 1.5 KB under dir/yyyy/mm/, dated
// over several years, in four categories and two languages.
func generatePosts(tb testing.TB, dir string, n int) {
	tb.Helper()
	body := strings.Repeat("A sentence of an ordinary news article, with [a link](/x) in it. ", 20)
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	cats := []string{"National", "Business", "World", "Sport"}
	langs := []string{"en", "km"}
	for i := range n {
		date := start.Add(time.Duration(i) * 17 * time.Minute)
		sub := filepath.Join(dir, date.Format("2006/01"))
		if i == 0 || date.Day() == 1 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		text := fmt.Sprintf("---\ncode: G%07d\ntitle: \"Generated post %d\"\ncategory: %s\nlanguage: %s\ndate: %s\n---\n%s\n",
			i, i, cats[i%len(cats)], langs[i%len(langs)], date.Format(time.RFC3339), body)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("g%07d.md", i)), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkEditToVisible measures the time from a post's rename into place
// to its item in /rss.xml, fetched over HTTP, with the default debounce
// window (200 ms). Run it with a fixed count, for example:
//
//	go test ./watcher -run '^$' -bench EditToVisible -benchtime 50x
func BenchmarkEditToVisible(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("posts=%d", n), func(b *testing.B) { benchEditToVisible(b, n) })
	}
}

func benchEditToVisible(b *testing.B, n int) {
	dir := filepath.Join(b.TempDir(), "posts")
	generatePosts(b, dir, n)
	if err := os.MkdirAll(filepath.Join(dir, "new"), 0o755); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	set := feed.NewSet(feed.SetOptions{Logger: log})
	w := watcher.New(set, watcher.Options{Dir: dir, Parse: parseOptions(), Debounce: watcher.DefaultDebounce, Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	srv := httptest.NewServer(newServer(set))
	defer srv.Close()
	if _, ok := waitSet(set, func(s *feed.Snapshot) bool { return s != nil && s.Len() == n }, 10*time.Minute); !ok {
		b.Fatalf("the %d posts were not published", n)
	}

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		code := fmt.Sprintf("NEW%06d", i)
		tmp := filepath.Join(dir, "new", ".incoming.tmp")
		// Newer than every generated post and than the one before, never in the future.
		date := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		text := "---\ncode: " + code + "\ntitle: Fresh\ncategory: National\ndate: " + date.Format(time.RFC3339) + "\n---\nJust in.\n"
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := os.Rename(tmp, filepath.Join(dir, "new", code+".md")); err != nil {
			b.Fatal(err)
		}
		for c := set.Latest(); ; {
			snap := set.Current()
			all, _ := snap.View(feed.ViewKey{Kind: feed.Everything})
			if newest, _ := snap.Page(all, 1, 1); len(newest) > 0 && newest[0].ID == code {
				resp, err := noRedirects.Get(srv.URL + "/rss.xml")
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if strings.Contains(string(body), ">"+code+"</guid>") {
					break
				}
			}
			<-c.Done()
			c = c.Next()
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
