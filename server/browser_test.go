package server_test

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
)

var update = flag.Bool("update", false, "rewrite docs/index.png, the screenshot of the index page")

const chromium = "/usr/bin/chromium"

// TestIndexInBrowser opens the index page in Debian's Chromium, headless:
// it lists every feed in every format, every link on it answers 200, its
// head has autodiscovery links, and it fits a phone's width. It writes a
// screenshot (docs/index.png at the repository's root with -update, for
// the README).
func TestIndexInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing in CI: .ci/run must install Debian's chromium", chromium)
		}
		t.Skipf("Debian's chromium is not installed (apt-get install chromium; .ci/run does): %v", err)
	}
	srv := fixtureServer(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))`))
	if err != nil {
		t.Fatal(err)
	}
	headings, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('h2')].map(h => h.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	alternates, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('link[rel=alternate]')].map(l => l.type + " " + l.getAttribute('href'))`))
	if err != nil {
		t.Fatal(err)
	}
	fitsPhone, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 800)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if title != "Test Post & Co — feeds" {
		t.Errorf("title %q", title)
	}
	var groups []string // the fixture has feeds of every kind
	for _, k := range feed.Kinds {
		groups = append(groups, k.Group)
	}
	if !slices.Equal(headings, groups) {
		t.Errorf("headings %q, want %q", headings, groups)
	}
	for _, v := range feedtest.Views() {
		for _, f := range render.Formats {
			if p := v.Key.Dir() + f.File; !slices.Contains(hrefs, p) {
				t.Errorf("the page has no link to %s", p)
			}
		}
	}
	for _, h := range hrefs {
		if resp, _ := fetch(t, http.MethodGet, srv.URL+h, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("link %s answers %d", h, resp.StatusCode)
		}
	}
	want := []string{
		"application/rss+xml https://feeds.example.com/rss.xml",
		"application/atom+xml https://feeds.example.com/atom.xml",
		"application/feed+json https://feeds.example.com/feed.json",
	}
	if !slices.Equal(alternates, want) {
		t.Errorf("autodiscovery links %q, want %q", alternates, want)
	}
	if !fitsPhone {
		t.Error("the page is wider than a phone's screen (390 px)")
	}
	if len(png) < 1000 {
		t.Fatalf("screenshot of %d bytes", len(png))
	}
	out := filepath.Join(t.TempDir(), "index.png")
	if *update {
		out = filepath.Join("..", "docs", "index.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
