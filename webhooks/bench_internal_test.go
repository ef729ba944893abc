package webhooks

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
)

// BenchmarkStartup: what webhooks add to a start with 10 hooks on 100,000
// posts: the first start of every hook (each records its feed's posts as
// seen), a restart (each compares its feed's posts with what it has seen:
// posts published while feedd was stopped are new), and the state file's
// size.
//
//	go test ./webhooks -run '^$' -bench Startup -benchtime 1x
func BenchmarkStartup(b *testing.B) {
	opt := feedtest.ParseOptions()
	opt.DeferBodies = true
	set := feed.NewSet(feed.SetOptions{Logger: feedtest.Quiet})
	set.Apply(feedtest.ParseCorpus(b, 100000, opt), nil)
	c := set.Latest()
	var hooks []Hook
	for i, dir := range []string{"/", "/category/national/", "/category/business/", "/category/world/", "/category/sport/",
		"/language/en/", "/language/km/", "/language/zh/", "/language/en/category/national/", "/category/real-estate/"} {
		k, ok := feed.ParseDir(dir)
		if !ok {
			b.Fatal(dir)
		}
		hooks = append(hooks, Hook{Name: fmt.Sprintf("hook-%d", i), URL: "http://127.0.0.1:1/", Feed: k, Format: Slack})
	}
	for b.Loop() {
		file := filepath.Join(b.TempDir(), "webhooks.state")
		run := func() time.Duration {
			s, err := Open(set, feedtest.Site(), Options{State: file, Hooks: hooks, Logger: feedtest.Quiet})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			start := time.Now()
			for _, h := range s.hooks {
				if err := s.queue(c, h, true); err != nil {
					b.Fatal(err)
				}
			}
			return time.Since(start)
		}
		first, again := run(), run()
		st, err := os.Stat(file)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(first.Seconds(), "first-start-s")
		b.ReportMetric(again.Seconds(), "restart-s")
		b.ReportMetric(float64(st.Size())/1e6, "state-MB")
	}
}
