package server_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Phnom_Penh on a machine without zoneinfo

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/server"
)

var (
	update = flag.Bool("update", false, "rewrite docs/index.png, the screenshot of the index page")
	shots  = flag.String("shots", "", "write the index page's screenshots at each width tested to this directory, to look at")
)

const chromium = "/usr/bin/chromium"

// indexLayoutJS measures the index page as laid out now: whether it
// scrolls sideways, which elements' content overflows them, and every
// line break inside a feed's address, a name or a post's title that is
// not where one may break. A line break is found with a range over each
// character: a character whose box starts below the middle of the one
// before it starts a line.
const indexLayoutJS = `(() => {
	const out = {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, urls: 0, wrapped: 0, overflowing: [], badBreaks: []};
	const describe = el => el.tagName.toLowerCase() + (el.className ? "." + el.className : "") + ": " + el.textContent.replace(/\s+/g, " ").trim().slice(0, 60);
	// breaks lists [before, after] at each line break in el's text.
	const breaks = el => {
		const chars = [];
		const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		for (let n; (n = walk.nextNode());) {
			for (let i = 0; i < n.data.length;) {
				const len = n.data.codePointAt(i) > 0xffff ? 2 : 1;
				const r = document.createRange();
				r.setStart(n, i);
				r.setEnd(n, i + len);
				const box = r.getClientRects()[0];
				if (box) chars.push({ch: n.data.slice(i, i + len), top: box.top, bottom: box.bottom});
				i += len;
			}
		}
		const out = [];
		for (let i = 1; i < chars.length; i++) {
			if (chars[i].top > (chars[i-1].top + chars[i-1].bottom) / 2) {
				out.push([chars.slice(0, i).map(c => c.ch).join(""), chars.slice(i).map(c => c.ch).join("")]);
			}
		}
		return out;
	};
	for (const el of document.querySelectorAll("body *")) {
		if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth) out.overflowing.push(describe(el) + " (" + el.scrollWidth + " > " + el.clientWidth + ")");
	}
	// An address may break after a "/" or a "-", or between two
	// percent-encoded characters.
	for (const el of document.querySelectorAll(".url")) {
		out.urls++;
		const bs = breaks(el);
		if (bs.length) out.wrapped++;
		for (const [before, after] of bs) {
			if (!before.endsWith("/") && !before.endsWith("-") && !(/%[0-9A-F]{2}$/.test(before) && /^%([0-7]|[C-F])[0-9A-F]/.test(after))) {
				out.badBreaks.push(before + " | " + after);
			}
		}
	}
	// A name or a title may break anywhere but between two letters or digits
	// of a script that puts spaces between words.
	const spaced = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Nd}]/u;
	for (const el of document.querySelectorAll("h1, .desc, .name, .posts > li > a")) {
		for (const [before, after] of breaks(el)) {
			if (spaced.test(before.slice(-1)) && spaced.test([...after][0])) out.badBreaks.push(before + " | " + after);
		}
	}
	return out;
})()`

// indexLayout is what indexLayoutJS measures.
type indexLayout struct {
	ScrollWidth, InnerWidth int
	URLs, Wrapped           int // feed addresses, and how many take more than a line
	Overflowing, BadBreaks  []string
}

// TestIndexInBrowser opens the index page in Debian's Chromium, headless,
// with the fixture and the sample posts, times in Asia/Phnom_Penh: it
// lists every feed in every format, every link on it answers 200 or names
// an entry of the page or one of the newest ten posts, its head has
// autodiscovery links, languages are named in English and in themselves;
// at 390 px (a phone) and 1280 px wide it does not scroll sideways, no
// element's content overflows it, no address breaks but after a "/" (or
// between percent-encoded characters) and no name inside a word; a Copy
// button puts its feed's address on the clipboard, or selects it when
// there is no clipboard API; without JavaScript there are no Copy
// buttons, and every address is shown. It writes a screenshot
// (docs/index.png at the repository's root with -update, for the docs;
// -shots DIR writes one at each width tested).
func TestIndexInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing in CI: .ci/run must install Debian's chromium", chromium)
		}
		t.Skipf("Debian's chromium is not installed (apt-get install chromium; .ci/run does): %v", err)
	}
	// The fixture has five posts; the samples make the newest ten a full
	// list; one more has names as long as real ones get, in an address
	// too.
	long := t.TempDir()
	if err := os.WriteFile(filepath.Join(long, "long.md"), []byte("---\ncode: LONG-1\n"+
		"title: Telecommunications regulator publishes its long-awaited consultation on spectrum\n"+
		"category: Telecommunications and Information Technology\nauthor: Maximilian Alexander Fürstenberg-Hohenlohe\n"+
		"date: 2023-06-01\norigin_url: https://www.example.com/long\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, _ := feedtest.Load(t, "posts", feedtest.Samples(), long)
	site := feedtest.Site()
	var err error
	if site.Location, err = time.LoadLocation("Asia/Phnom_Penh"); err != nil {
		t.Fatal(err)
	}
	_, srv := newTestServer(t, set, server.Options{Site: site, CORS: true})
	snap := set.Current()
	if snap.Len() < 10 {
		t.Fatalf("%d posts: the newest ten cannot be checked", snap.Len())
	}

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
	ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	eval := func(js string) []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "Test Post & Co — feeds" {
		t.Errorf("title %q", title)
	}

	// Every feed, in every format; every link answers.
	var headings []string // the fixture has feeds of every kind, and "Latest posts" follow the feed of all
	for _, k := range feed.Kinds {
		headings = append(headings, k.Group)
		if k == feed.Everything {
			headings = append(headings, "Latest posts")
		}
	}
	if got := eval(`[...document.querySelectorAll('h2')].map(h => h.textContent)`); !slices.Equal(got, headings) {
		t.Errorf("headings %q, want %q", got, headings)
	}
	hrefs := eval(`[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))`)
	for _, v := range feedtest.Views() {
		for _, f := range render.Formats {
			if p := site.URL(v.Key, f); !slices.Contains(hrefs, p) {
				t.Errorf("the page has no link to %s", p)
			}
		}
	}
	var newest []string // the newest ten posts' links, which are not on this server
	for _, p := range snap.Posts()[:10] {
		newest = append(newest, p.Link)
	}
	for _, h := range hrefs {
		switch {
		case strings.HasPrefix(h, "#"):
			if found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById(%q) !== null`, h[1:]))); err != nil || !found {
				t.Errorf("link %s names no element of the page (%v)", h, err)
			}
		case strings.HasPrefix(h, site.BaseURL+"/"):
			if resp, _ := fetch(t, http.MethodGet, srv.URL+strings.TrimPrefix(h, site.BaseURL), nil); resp.StatusCode != http.StatusOK {
				t.Errorf("link %s answers %d", h, resp.StatusCode)
			}
		case !slices.Contains(newest, h):
			t.Errorf("link %s is neither a feed, an entry of the page nor one of the newest posts", h)
		}
	}
	alternates := eval(`[...document.querySelectorAll('link[rel=alternate]')].map(l => l.type + " " + l.getAttribute('href'))`)
	want := []string{
		"application/rss+xml https://feeds.example.com/rss.xml",
		"application/atom+xml https://feeds.example.com/atom.xml",
		"application/feed+json https://feeds.example.com/feed.json",
	}
	if !slices.Equal(alternates, want) {
		t.Errorf("autodiscovery links %q, want %q", alternates, want)
	}

	// The newest ten posts, newest first, each linking to its post.
	if got := eval(`[...document.querySelectorAll('.posts > li > a:first-child')].map(a => a.getAttribute('href'))`); !slices.Equal(got, newest) {
		t.Errorf("the newest posts link to\n%q, want\n%q", got, newest)
	}
	// Languages, in English and in themselves, or as configured (km).
	names := eval(`[...document.querySelectorAll('#feeds-language + .feeds .name')].map(n => n.innerText)`)
	for _, n := range []string{"English", "American English", "ខ្មែរ", "Chinese · 中文", "Traditional Chinese · 繁體中文"} {
		if !slices.Contains(names, n) {
			t.Errorf("no language is named %q: %q", n, names)
		}
	}
	if zone := eval(`[...document.querySelectorAll('.note')].map(n => n.innerText)`); !slices.Contains(zone, "Times are in Asia/Phnom_Penh.") {
		t.Errorf("the page does not say the zone of its times: %q", zone)
	}

	// The layout at a phone's width and at a desktop's.
	for _, width := range []int64{390, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 844)); err != nil {
			t.Fatal(err)
		}
		l, err := chromedp.Run(ctx, chromedp.Evaluate[indexLayout](indexLayoutJS))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d px: %d addresses, %d of them on more than a line", width, l.URLs, l.Wrapped)
		if l.ScrollWidth > l.InnerWidth {
			t.Errorf("%d px: the page is %d px wide: it scrolls sideways", width, l.ScrollWidth)
		}
		if l.URLs != len(snap.Views()) {
			t.Errorf("%d px: %d feed addresses shown, want %d", width, l.URLs, len(snap.Views()))
		}
		for _, o := range l.Overflowing {
			t.Errorf("%d px: content overflows %s", width, o)
		}
		for _, b := range l.BadBreaks {
			t.Errorf("%d px: a line breaks inside a word: %q", width, b)
		}
		if width == 390 && l.Wrapped == 0 {
			t.Errorf("%d px: no address wraps: the check of where they wrap checks nothing", width)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if len(shot) < 1000 {
			t.Fatalf("%d px: screenshot of %d bytes", width, len(shot))
		}
		if *shots != "" {
			if err := os.WriteFile(filepath.Join(*shots, fmt.Sprintf("index-%d.png", width)), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The docs' screenshot is at 1000 px, the page's width and a little:
	// shown in a column of text, it stays legible.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 800)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "index.png")
	if *update {
		out = filepath.Join("..", "docs", "index.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}

	checkCopyButtons(t, ctx, srv.URL, snap)
	checkWithoutJavaScript(t, ctx, snap)
}

// checkCopyButtons: the page has a Copy button per feed; a click on one
// puts its feed's address on the clipboard and says "Copied"; without the
// clipboard API, a click selects the address (and copies it with
// execCommand if the browser still can) and says so.
func checkCopyButtons(t *testing.T, ctx context.Context, origin string, snap *feed.Snapshot) {
	t.Helper()
	// Headless Chromium has a clipboard of its own; reading it needs the
	// permission and a focused page.
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    browser.PermissionSettingGranted,
			Origin:     origin,
		}); err != nil {
			t.Fatalf("granting %s: %v", name, err)
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('button.copy')].filter(b => b.offsetParent !== null).map(b => b.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != len(snap.Views()) || slices.ContainsFunc(labels, func(l string) bool { return l != "Copy" }) {
		t.Errorf("%d feeds, and these Copy buttons shown: %q", len(snap.Views()), labels)
	}
	// click clicks the Copy button of the feed at url, and waits for its
	// label to say one of want; the labels it took are recorded as they
	// change, so that the wait does not depend on how long one shows.
	click := func(url string, want ...string) string {
		t.Helper()
		button := fmt.Sprintf(`button.copy[data-url=%q]`, url)
		js := fmt.Sprintf(`(() => {
			const b = document.querySelector(%q);
			window.copyLabels = [];
			new MutationObserver(() => window.copyLabels.push(b.textContent)).observe(b, {childList: true, characterData: true, subtree: true});
			return true;
		})()`, button)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(button))); err != nil {
			t.Fatal(err)
		}
		label, err := chromedp.Run(ctx, chromedp.PollFunction[string](`want => window.copyLabels.find(l => want.includes(l))`, chromedp.WithPollingArgs(want)))
		if err != nil {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.copyLabels`))
			t.Fatalf("Copy of %s: labels %q, want one of %q: %v", url, got, want, err)
		}
		return label
	}
	clipboard := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("reading the clipboard: %v", err)
		}
		return s
	}

	first := "https://feeds.example.com/language/zh-hant/category/world/rss.xml"
	click(first, "Copied")
	if got := clipboard(); got != first {
		t.Errorf("the clipboard holds %q after a click on Copy, want %q", got, first)
	}

	// Without navigator.clipboard (a page served over plain HTTP, not from
	// this machine), the button selects the address.
	second := "https://feeds.example.com/category/%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7/rss.xml"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		window.realClipboard = Object.getOwnPropertyDescriptor(Navigator.prototype, "clipboard");
		Object.defineProperty(Navigator.prototype, "clipboard", {get: () => undefined, configurable: true});
		return navigator.clipboard === undefined;
	})()`)); err != nil {
		t.Fatal(err)
	}
	label := click(second, "Copied", "Selected")
	t.Logf("without the clipboard API, Copy says %s", label)
	selected, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.getSelection().toString()`))
	if err != nil {
		t.Fatal(err)
	}
	if selected != second {
		t.Errorf("without the clipboard API, a click on Copy selects %q, want %q", selected, second)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(Object.defineProperty(Navigator.prototype, "clipboard", window.realClipboard), true)`)); err != nil {
		t.Fatal(err)
	}
	if got := clipboard(); label == "Copied" && got != second {
		t.Errorf("without the clipboard API, Copy says Copied, and the clipboard holds %q, want %q", got, second)
	}
}

// checkWithoutJavaScript: with scripts off, the page shows no Copy button
// (it would do nothing) and every feed's address in full.
func checkWithoutJavaScript(t *testing.T, ctx context.Context, snap *feed.Snapshot) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('button.copy, .js-only')].filter(b => b.getClientRects().length > 0).map(b => b.outerHTML)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(shown) > 0 {
		t.Errorf("without JavaScript, the page shows %q", shown)
	}
	urls, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.url')].filter(u => u.getClientRects().length > 0).map(u => u.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range snap.Views() {
		want = append(want, "https://feeds.example.com"+v.Key.Dir()+"rss.xml")
	}
	if !slices.Equal(urls, want) {
		t.Errorf("without JavaScript, the page shows the addresses\n%q, want\n%q", urls, want)
	}
}
