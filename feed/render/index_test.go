package render_test

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Phnom_Penh on a machine without zoneinfo

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"golang.org/x/net/html"
)

// indexEntry is one feed's entry in the index page, under its heading.
type indexEntry struct {
	heading, id, name, count, newest, newestAttr string
	url                                          string   // the address shown, as text
	urlParts                                     []string // its pieces, between which it may wrap
	copyURL                                      string   // its Copy button's address
	copyLabel                                    string
	links                                        []string // to each format
	linkNames                                    []string
}

// indexPost is one of the newest posts the page lists.
type indexPost struct {
	title, href, lang, date, dateAttr string
	categories, categoryHrefs         []string
}

// indexDoc is what the index page shows, read with an HTML parser.
type indexDoc struct {
	title      string
	alternates []string // "type href"
	h1, desc   string
	lead, note string
	leadLinks  []string
	headings   []string // every h2, in order
	ids        map[string]bool
	entries    []indexEntry
	posts      []indexPost
	scripts    []string
	style      string
}

// readIndex parses the index page.
func readIndex(t *testing.T, page []byte) indexDoc {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, key string) string {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val
			}
		}
		return ""
	}
	class := func(n *html.Node, c string) bool {
		return n.Type == html.ElementNode && slices.Contains(strings.Fields(attr(n, "class")), c)
	}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	// find is every element under n (n too) that match says.
	var find func(n *html.Node, match func(*html.Node) bool) []*html.Node
	find = func(n *html.Node, match func(*html.Node) bool) []*html.Node {
		var out []*html.Node
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			out = append(out, find(c, match)...)
		}
		return out
	}
	tag := func(name string) func(*html.Node) bool {
		return func(n *html.Node) bool { return n.Data == name }
	}
	one := func(n *html.Node, c string) *html.Node {
		t.Helper()
		found := find(n, func(n *html.Node) bool { return class(n, c) })
		if len(found) != 1 {
			t.Fatalf("%d elements of class %s in %q", len(found), c, text(n))
		}
		return found[0]
	}

	d := indexDoc{ids: map[string]bool{}}
	for _, n := range find(root, func(*html.Node) bool { return true }) {
		if id := attr(n, "id"); id != "" {
			if d.ids[id] {
				t.Errorf("two elements have the id %q", id)
			}
			d.ids[id] = true
		}
		switch {
		case n.Data == "title":
			d.title = text(n)
		case n.Data == "link" && attr(n, "rel") == "alternate":
			d.alternates = append(d.alternates, attr(n, "type")+" "+attr(n, "href"))
		case n.Data == "h1":
			d.h1 = text(n)
		case n.Data == "script":
			d.scripts = append(d.scripts, text(n))
		case n.Data == "style":
			d.style = text(n)
		case class(n, "desc"):
			d.desc = text(n)
		case class(n, "lead"):
			d.lead = text(n)
			for _, a := range find(n, tag("a")) {
				d.leadLinks = append(d.leadLinks, attr(a, "href"))
			}
		case class(n, "note"):
			d.note = text(n)
		}
	}
	heading := ""
	for _, n := range find(root, func(n *html.Node) bool { return n.Data == "h2" || n.Data == "li" }) {
		if n.Data == "h2" {
			heading = text(n)
			d.headings = append(d.headings, heading)
			continue
		}
		switch {
		case class(n.Parent, "feeds"):
			e := indexEntry{heading: heading, id: attr(n, "id"), name: text(one(n, "name"))}
			stats := one(n, "stats")
			e.count = text(one(stats, "count"))
			if ts := find(stats, tag("time")); len(ts) == 1 {
				e.newest, e.newestAttr = text(ts[0]), attr(ts[0], "datetime")
			}
			addr := one(n, "url")
			e.url = text(addr)
			for _, s := range find(addr, tag("span")) {
				e.urlParts = append(e.urlParts, text(s))
			}
			if wbrs := len(find(addr, tag("wbr"))); wbrs != len(e.urlParts)-1 {
				t.Errorf("%s: %d pieces and %d <wbr>", e.url, len(e.urlParts), wbrs)
			}
			button := one(n, "copy")
			e.copyURL, e.copyLabel = attr(button, "data-url"), text(button)
			if button.Data != "button" || attr(button, "type") != "button" {
				t.Errorf("%s: the copy button is a <%s type=%q>", e.url, button.Data, attr(button, "type"))
			}
			for _, a := range find(one(n, "formats"), tag("a")) {
				e.links = append(e.links, attr(a, "href"))
				e.linkNames = append(e.linkNames, text(a))
			}
			d.entries = append(d.entries, e)
		case class(n.Parent, "posts"):
			a := find(n, tag("a"))[0]
			p := indexPost{title: text(a), href: attr(a, "href"), lang: attr(a, "lang")}
			meta := one(n, "meta")
			tm := find(meta, tag("time"))[0]
			p.date, p.dateAttr = text(tm), attr(tm, "datetime")
			for _, c := range find(meta, tag("a")) {
				p.categories = append(p.categories, text(c))
				p.categoryHrefs = append(p.categoryHrefs, attr(c, "href"))
			}
			d.posts = append(d.posts, p)
		}
	}
	return d
}

// index renders snap's index page for site and reads it.
func index(t *testing.T, site *render.Site, snap *feed.Snapshot) (indexDoc, []byte) {
	t.Helper()
	page, err := site.Index(snap)
	if err != nil {
		t.Fatal(err)
	}
	return readIndex(t, page), page
}

// byPath is the page's entries by their address without the base URL,
// percent-decoded.
func byPath(site *render.Site, d indexDoc) map[string]indexEntry {
	m := map[string]indexEntry{}
	for _, e := range d.entries {
		p, err := url.PathUnescape(strings.TrimPrefix(e.url, site.BaseURL))
		if err != nil {
			panic(err)
		}
		m[p] = e
	}
	return m
}

// snapshotOf is the snapshot of posts given as front matter, at
// posts/1.md, posts/2.md…
func snapshotOf(t *testing.T, fronts ...string) *feed.Snapshot {
	t.Helper()
	set := feedtest.NewSet()
	var posts []*feed.Post
	for i, front := range fronts {
		posts = append(posts, parsePost(t, fmt.Sprintf("posts/%d.md", i+1), front, "Body."))
	}
	return set.Apply(posts, nil)
}

// TestIndex: the index page lists every feed of every kind under its
// kind's heading, in the kinds' order (the newest posts after the feed
// of all), each with its name, item count, newest time, its RSS address
// and a link to each format, and has autodiscovery links for the main
// feed, its viewport and a link to the OPML list.
func TestIndex(t *testing.T) {
	snap := fixture(t)
	site := feedtest.Site()
	d, page := index(t, site, snap)
	if d.title != "Test Post & Co — feeds" || d.h1 != "Test Post & Co" || d.desc != "Fixture feeds <for> tests" {
		t.Errorf("title %q, heading %q, description %q", d.title, d.h1, d.desc)
	}
	wantAlt := []string{
		"application/rss+xml https://feeds.example.com/rss.xml",
		"application/atom+xml https://feeds.example.com/atom.xml",
		"application/feed+json https://feeds.example.com/feed.json",
	}
	if !slices.Equal(d.alternates, wantAlt) {
		t.Errorf("autodiscovery links %q, want %q", d.alternates, wantAlt)
	}
	if !bytes.Contains(page, []byte(`<meta name="viewport" content="width=device-width, initial-scale=1">`)) || !slices.Contains(d.leadLinks, "https://feeds.example.com/opml.xml") {
		t.Error("the page lacks its viewport or its link to the OPML list")
	}
	if bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte(`src=`)) || bytes.Contains(page, []byte(`@import`)) {
		t.Error("the page loads something: it must be self-contained")
	}

	var wantHeadings []string
	for _, k := range feed.Kinds {
		wantHeadings = append(wantHeadings, k.Group)
		if k == feed.Everything {
			wantHeadings = append(wantHeadings, "Latest posts")
		}
	}
	if !slices.Equal(d.headings, wantHeadings) {
		t.Errorf("headings %q, want %q", d.headings, wantHeadings)
	}
	var feedHeadings []string
	for _, e := range d.entries {
		if len(feedHeadings) == 0 || feedHeadings[len(feedHeadings)-1] != e.heading {
			feedHeadings = append(feedHeadings, e.heading)
		}
	}
	if want := slices.DeleteFunc(slices.Clone(wantHeadings), func(h string) bool { return h == "Latest posts" }); !slices.Equal(feedHeadings, want) {
		t.Errorf("feeds under %q, want %q", feedHeadings, want)
	}

	entries := byPath(site, d)
	if len(entries) != len(d.entries) {
		t.Errorf("%d entries for %d addresses: one is listed twice", len(d.entries), len(entries))
	}
	names := map[string]string{
		"/":                                  "All posts",
		"/category/national/":                "National News", // configured
		"/category/real-estate/":             "Real Estate",   // as posts spell it
		"/category/ជាតិ/":                    "ជាតិ",
		"/language/km/":                      "ខ្មែរ", // configured
		"/language/zh-hant/":                 "Traditional Chinese · 繁體中文",
		"/language/en/":                      "English",
		"/language/en-us/":                   "American English",
		"/language/km/category/business/":    "Business (ខ្មែរ)",
		"/language/zh-hant/category/world/":  "World (Traditional Chinese · 繁體中文)",
		"/author/ann-writer/":                "Ann Writer",
		"/language/km/author/dara/":          "Dara (ខ្មែរ)",
		"/language/en/author/ann-writer/":    "Ann Writer (English)",
		"/language/en-us/category/national/": "National News (American English)",
	}
	for _, v := range feedtest.Views() {
		u := site.URL(v.Key, render.RSS)
		dir, _ := url.PathUnescape(v.Key.Dir())
		e, ok := entries[dir+"rss.xml"]
		if !ok {
			t.Errorf("%s is not listed", u)
			continue
		}
		delete(entries, dir+"rss.xml")
		if e.heading != v.Key.Kind.Group {
			t.Errorf("%s is under %q, want %q", u, e.heading, v.Key.Kind.Group)
		}
		if e.id != v.Key.Dir() {
			t.Errorf("%s: id %q, want %q", u, e.id, v.Key.Dir())
		}
		if want, ok := names[dir]; (ok && e.name != want) || e.name == "" {
			t.Errorf("%s is named %q, want %q", u, e.name, want)
		}
		if e.count != strconv.Itoa(len(v.Posts)) {
			t.Errorf("%s: %s items, want %d", u, e.count, len(v.Posts))
		}
		newest := v.Posts[0].Date.UTC() // the site's zone: none is UTC
		if want := newest.Format("2006-01-02 15:04"); e.newest != want || e.newestAttr != newest.Format(time.RFC3339) {
			t.Errorf("%s: newest %q (%s), want %q", u, e.newest, e.newestAttr, want)
		}
		var want, wantNames []string
		for _, f := range render.Formats {
			want = append(want, "https://feeds.example.com"+v.Key.Dir()+f.File)
			wantNames = append(wantNames, f.Name)
		}
		if !slices.Equal(e.links, want) || !slices.Equal(e.linkNames, wantNames) {
			t.Errorf("%s: links %q %q, want %q %q", u, e.links, e.linkNames, want, wantNames)
		}
	}
	for u := range entries {
		t.Errorf("%s is listed but is no feed of the fixture", u)
	}
}

// TestIndexSubscribe: the page says, under the site's title and
// description, what a feed is and how to subscribe: a feed reader takes
// a feed's address, which its Copy button copies (said only where the
// script runs, which shows the buttons), or the OPML list, for all of
// them at once.
func TestIndexSubscribe(t *testing.T) {
	d, page := index(t, feedtest.Site(), fixture(t))
	for _, want := range []string{"A feed is a list of new posts that a feed reader app checks for you", "give your feed reader the address of a feed", "(its Copy button copies it)", "import the OPML list into your reader to subscribe to all 22 feeds at once"} {
		if !strings.Contains(d.lead, want) {
			t.Errorf("the page's opening says %q: no %q", d.lead, want)
		}
	}
	if !slices.Equal(d.leadLinks, []string{"https://feeds.example.com/opml.xml"}) {
		t.Errorf("the opening links to %q, want the OPML list", d.leadLinks)
	}
	if !bytes.Contains(page, []byte(`<span class="js-only"> (its Copy button copies it)</span>`)) ||
		!strings.Contains(d.style, ".js-only{display:none}") || !strings.Contains(d.style, ".js .js-only{display:inline}") {
		t.Error("the mention of the Copy button is not hidden without JavaScript")
	}
	if !strings.Contains(d.note, "Times are in UTC.") {
		t.Errorf("the page says %q of its times, want the zone, UTC", d.note)
	}
}

// TestIndexUnderAPath: served under a path of its host (a base URL of
// https://example.com/news behind a proxy), the page links to every feed
// and to the OPML list under that path, not at the host's root.
func TestIndexUnderAPath(t *testing.T) {
	site := feedtest.Site()
	site.BaseURL = "https://example.com/news"
	d, _ := index(t, site, fixture(t))
	links := slices.Clone(d.leadLinks)
	for _, e := range d.entries {
		links = append(links, e.url, e.copyURL)
		links = append(links, e.links...)
	}
	links = append(links, d.alternates...)
	if len(d.entries) == 0 {
		t.Fatal("the page lists no feed")
	}
	for _, l := range links {
		if _, u, _ := strings.Cut(l, " "); u != "" {
			l = u // an alternate: "type href"
		}
		if !strings.HasPrefix(l, "https://example.com/news/") {
			t.Errorf("link %q is not under the base URL", l)
		}
	}
}

// TestIndexCopyButtons: each feed's address is shown whole, as text (it
// is the address to give a reader without JavaScript), and has a Copy
// button for it, hidden unless the page's script runs; the script copies
// with the clipboard API, and selects the address without it. The shown
// address may wrap only after a "/" or between percent-encoded
// characters.
func TestIndexCopyButtons(t *testing.T) {
	snap := fixture(t)
	site := feedtest.Site()
	d, _ := index(t, site, snap)
	if len(d.entries) != len(snap.Views()) {
		t.Fatalf("%d entries for %d feeds", len(d.entries), len(snap.Views()))
	}
	for i, v := range snap.Views() {
		e, u := d.entries[i], site.URL(v.Key, render.RSS)
		if e.url != u || e.copyURL != u || e.copyLabel != "Copy" {
			t.Errorf("%s: shows %q, and a button %q that copies %q", u, e.url, e.copyLabel, e.copyURL)
		}
		if strings.Join(e.urlParts, "") != u {
			t.Errorf("%s: in pieces %q", u, e.urlParts)
		}
		for j, p := range e.urlParts[:len(e.urlParts)-1] {
			next := e.urlParts[j+1]
			if !strings.HasSuffix(p, "/") && !strings.HasSuffix(p, "-") && !(percentEnd.MatchString(p) && percentLead.MatchString(next)) {
				t.Errorf("%s may wrap between %q and %q", u, p, next)
			}
		}
	}
	wantParts := map[string][]string{
		"https://feeds.example.com/rss.xml":                                               {"https://", "feeds.example.com/", "rss.xml"},
		"https://feeds.example.com/language/zh-hant/rss.xml":                              {"https://", "feeds.example.com/", "language/", "zh-", "hant/", "rss.xml"},
		"https://feeds.example.com/category/%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7/rss.xml": {"https://", "feeds.example.com/", "category/", "%E1%9E%87", "%E1%9E%B6", "%E1%9E%8F", "%E1%9E%B7/", "rss.xml"},
	}
	for _, e := range d.entries {
		if want, ok := wantParts[e.url]; ok {
			delete(wantParts, e.url)
			if !slices.Equal(e.urlParts, want) {
				t.Errorf("%s in pieces %q, want %q", e.url, e.urlParts, want)
			}
		}
	}
	if len(wantParts) > 0 {
		t.Errorf("not listed: %q", wantParts)
	}
	for _, want := range []string{".copy{display:none;", ".js .copy{display:block}", ".url span{white-space:nowrap}", "overflow-wrap:normal;word-break:normal"} {
		if !strings.Contains(d.style, want) {
			t.Errorf("the style lacks %q", want)
		}
	}
	js := strings.Join(d.scripts, "\n")
	for _, want := range []string{
		`document.documentElement.className = "js"`,
		`navigator.clipboard.writeText(url).then(function () { say("Copied"); }, selectIt)`,
		`r.selectNodeContents(code);`,
		`b.textContent = "Copy";`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("the script lacks %q", want)
		}
	}
}

var (
	percentEnd  = regexp.MustCompile(`%[0-9A-F]{2}$`)
	percentLead = regexp.MustCompile(`^%([0-7]|[C-F])[0-9A-F]`)
)

// TestIndexLanguageNames: a language without a configured name is named
// in English and in itself (x/text's display names), once when the two
// are the same; a configured name wins.
func TestIndexLanguageNames(t *testing.T) {
	snap := snapshotOf(t,
		"title: A\ndate: 2024-01-01\nlanguage: km\ncategory: World",
		"title: B\ndate: 2024-01-02\nlanguage: zh-Hant\ncategory: World",
		"title: C\ndate: 2024-01-03\nlanguage: en",
		"title: D\ndate: 2024-01-04\nlanguage: en-US",
		"title: E\ndate: 2024-01-05\nlanguage: fr",
		"title: F\ndate: 2024-01-06\nlanguage: ar",
	)
	site := feedtest.Site()
	site.Names = nil
	d, _ := index(t, site, snap)
	entries := byPath(site, d)
	for path, want := range map[string]string{
		"/language/km/rss.xml":                     "Khmer · ខ្មែរ",
		"/language/zh-hant/rss.xml":                "Traditional Chinese · 繁體中文",
		"/language/en/rss.xml":                     "English",
		"/language/en-us/rss.xml":                  "American English",
		"/language/fr/rss.xml":                     "French · français",
		"/language/ar/rss.xml":                     "Arabic · العربية",
		"/language/zh-hant/category/world/rss.xml": "World (Traditional Chinese · 繁體中文)",
	} {
		if got := entries[path].name; got != want {
			t.Errorf("%s is named %q, want %q", path, got, want)
		}
	}

	site.Names = map[*feed.Facet]map[string]string{feed.ByLanguage: {"zh-hant": "Chinese (Taiwan)", "km": "ខ្មែរ"}}
	d, _ = index(t, site, snap)
	entries = byPath(site, d)
	for path, want := range map[string]string{
		"/language/km/rss.xml":                     "ខ្មែរ",
		"/language/zh-hant/rss.xml":                "Chinese (Taiwan)",
		"/language/zh-hant/category/world/rss.xml": "World (Chinese (Taiwan))",
		"/language/en/rss.xml":                     "English",
	} {
		if got := entries[path].name; got != want {
			t.Errorf("with names configured, %s is named %q, want %q", path, got, want)
		}
	}
}

// TestIndexCategoryNames: a category or an author without a configured
// name is named as posts spell it, title-cased when written in capitals
// (in any script with cases; a short single word is an abbreviation); a
// configured name wins; mixed case and other scripts are left as they
// are. Feed titles keep the names as spelt.
func TestIndexCategoryNames(t *testing.T) {
	snap := snapshotOf(t,
		"title: A\ndate: 2024-01-01\ncategories: [NATIONAL, REAL ESTATE, iPhone News, ជាតិ, ΚΟΣΜΟΣ, ЭКОНОМИКА, UK, WORLD-CUP]\nauthor: SOK DARA",
		"title: B\ndate: 2024-01-02\ncategories: [BUSINESS, Real estate agents]\nauthors: [Ann Writer, MAO]",
	)
	site := feedtest.Site()
	site.Names = map[*feed.Facet]map[string]string{feed.ByCategory: {"business": "Business & Economy"}}
	d, _ := index(t, site, snap)
	entries := byPath(site, d)
	for path, want := range map[string]string{
		"/category/national/rss.xml":             "National",
		"/category/real-estate/rss.xml":          "Real Estate",
		"/category/business/rss.xml":             "Business & Economy", // configured
		"/category/iphone-news/rss.xml":          "iPhone News",
		"/category/real-estate-agents/rss.xml":   "Real estate agents",
		"/category/ជាតិ/rss.xml":                 "ជាតិ",
		"/category/κοσμοσ/rss.xml":               "Κοσμος",
		"/category/экономика/rss.xml":            "Экономика",
		"/category/uk/rss.xml":                   "UK",
		"/category/world-cup/rss.xml":            "World-Cup",
		"/author/sok-dara/rss.xml":               "Sok Dara",
		"/author/mao/rss.xml":                    "MAO",
		"/author/ann-writer/rss.xml":             "Ann Writer",
		"/language/en/category/national/rss.xml": "National (English)",
	} {
		if got := entries[path].name; got != want {
			t.Errorf("%s is named %q, want %q", path, got, want)
		}
	}
	// The newest posts name their categories as their entries do.
	if got := d.posts[1].categories; !slices.Equal(got, []string{"National", "Real Estate", "iPhone News", "ជាតិ", "Κοσμος", "Экономика", "UK", "World-Cup"}) {
		t.Errorf("the post names its categories %q", got)
	}
	// Feed titles are not the index page's business.
	v, _ := snap.View(feed.KindOf(feed.ByCategory).Key("national"))
	if got := site.FeedTitle(v); got != "Test Post & Co — NATIONAL" {
		t.Errorf("the national feed's title is %q, want it as posts spell it", got)
	}
}

// TestIndexTimeZone: times are shown in the site's zone, which the page
// names: a post at 20:30 UTC is on the next day in Phnom Penh (UTC+7).
func TestIndexTimeZone(t *testing.T) {
	snap := snapshotOf(t,
		"title: Late\ndate: 2024-03-01T20:30:00Z\ncategory: World",
		"title: Early\ndate: 2024-02-01T01:00:00Z\ncategory: Sport",
	)
	site := feedtest.Site()
	loc, err := time.LoadLocation("Asia/Phnom_Penh")
	if err != nil {
		t.Fatal(err)
	}
	site.Location = loc
	d, _ := index(t, site, snap)
	if !strings.Contains(d.note, "Times are in Asia/Phnom_Penh.") {
		t.Errorf("the page says %q of its times, want its zone", d.note)
	}
	entries := byPath(site, d)
	for path, want := range map[string][2]string{
		"/rss.xml":                {"2024-03-02 03:30", "2024-03-02T03:30:00+07:00"},
		"/category/world/rss.xml": {"2024-03-02 03:30", "2024-03-02T03:30:00+07:00"},
		"/category/sport/rss.xml": {"2024-02-01 08:00", "2024-02-01T08:00:00+07:00"},
	} {
		if e := entries[path]; e.newest != want[0] || e.newestAttr != want[1] {
			t.Errorf("%s: newest %q (%s), want %q (%s)", path, e.newest, e.newestAttr, want[0], want[1])
		}
	}
	if len(d.posts) != 2 || d.posts[0].date != "2024-03-02 03:30" || d.posts[0].dateAttr != "2024-03-02T03:30:00+07:00" || d.posts[1].date != "2024-02-01 08:00" {
		t.Errorf("the newest posts are dated %+v", d.posts)
	}

	site.Location = nil
	d, _ = index(t, site, snap)
	if e := byPath(site, d)["/rss.xml"]; e.newest != "2024-03-01 20:30" || d.posts[0].date != "2024-03-01 20:30" || !strings.Contains(d.note, "UTC") {
		t.Errorf("without a zone, times are not UTC: %q, %q, %q", e.newest, d.posts[0].date, d.note)
	}
}

// TestIndexLatestPosts: the page lists the ten newest posts of all,
// newest first, each linking to its post, with its time and its
// categories, which link to their feeds' entries in the page.
func TestIndexLatestPosts(t *testing.T) {
	var fronts []string
	for i := range 12 {
		fronts = append(fronts, fmt.Sprintf("title: Post %d\ndate: 2024-05-%02dT12:00:00Z\norigin_url: https://news.example.com/%d\ncategories: [National, Sport]\nlanguage: km", i+1, i+1, i+1))
	}
	fronts = append(fronts, "title: Old\ndate: 2020-01-01\norigin_url: https://news.example.com/old")
	snap := snapshotOf(t, fronts...)
	site := feedtest.Site()
	d, _ := index(t, site, snap)
	if len(d.posts) != 10 {
		t.Fatalf("%d posts listed, want 10", len(d.posts))
	}
	for i, p := range d.posts {
		n := 12 - i
		want := indexPost{
			title: fmt.Sprintf("Post %d", n), href: fmt.Sprintf("https://news.example.com/%d", n), lang: "km",
			date: fmt.Sprintf("2024-05-%02d 12:00", n), dateAttr: fmt.Sprintf("2024-05-%02dT12:00:00Z", n),
			categories: []string{"National News", "Sport"}, categoryHrefs: []string{"#/category/national/", "#/category/sport/"},
		}
		if p.title != want.title || p.href != want.href || p.lang != want.lang || p.date != want.date || p.dateAttr != want.dateAttr ||
			!slices.Equal(p.categories, want.categories) || !slices.Equal(p.categoryHrefs, want.categoryHrefs) {
			t.Errorf("post %d:\n%+v, want\n%+v", i+1, p, want)
		}
		for _, h := range p.categoryHrefs {
			if !d.ids[strings.TrimPrefix(h, "#")] {
				t.Errorf("post %d links to %s, which is no entry of the page", i+1, h)
			}
		}
	}

	// The fixture's posts, all five: two share a date, and are ordered by id.
	d, _ = index(t, site, fixture(t))
	var got, want []string
	for _, p := range d.posts {
		got = append(got, p.href)
	}
	for _, p := range feedtest.Posts {
		want = append(want, p.Link)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the fixture's newest posts link to %q, want %q", got, want)
	}
	if d.posts[2].categories[0] != "ជាតិ" || d.posts[2].categoryHrefs[0] != "#/category/%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7/" {
		t.Errorf("a Khmer category: %q %q", d.posts[2].categories, d.posts[2].categoryHrefs)
	}

	// No posts: no list, and the feed of all with nothing in it.
	d, _ = index(t, site, feedtest.NewSet().Apply(nil, nil))
	if len(d.posts) != 0 || slices.Contains(d.headings, "Latest posts") || len(d.entries) != 1 || d.entries[0].count != "0" {
		t.Errorf("with no posts: headings %q, %d posts, entries %+v", d.headings, len(d.posts), d.entries)
	}
}

// TestIndexEscapes: text from posts and the config is escaped: a title,
// a category, an author and a site title that look like markup are shown
// as written, and make no element.
func TestIndexEscapes(t *testing.T) {
	hostile := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	snap := snapshotOf(t, "title: '"+hostile+" & more'\ndate: 2024-01-01\norigin_url: 'https://news.example.com/a?b=1&c=\"2\"'\ncategory: '<b>BOLD</b>'\nauthor: '\"Quote\" <i>'")
	site := feedtest.Site()
	site.Title = `</title><script>alert(2)</script>`
	site.Description = `<em>desc</em> & "more"`
	d, page := index(t, site, snap)
	if d.posts[0].title != hostile+" & more" || d.posts[0].href != snap.Posts()[0].Link || !strings.Contains(snap.Posts()[0].Link, "&") {
		t.Errorf("the title is shown as %q, linking to %q", d.posts[0].title, d.posts[0].href)
	}
	if d.title != site.Title+" — feeds" || d.h1 != site.Title || d.desc != site.Description {
		t.Errorf("title %q, heading %q, description %q", d.title, d.h1, d.desc)
	}
	for _, bad := range []string{"<script>alert", "<img", "<b>", "<i>", "<em>"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
	names := map[string]bool{}
	for _, e := range d.entries {
		names[e.name] = true
	}
	if !names["<b>BOLD</b>"] || !names[`"Quote" <i>`] {
		t.Errorf("names %v", names)
	}
	if len(d.scripts) != 2 {
		t.Errorf("%d scripts, want the page's two", len(d.scripts))
	}
}
