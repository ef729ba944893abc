package render_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"golang.org/x/net/html"
)

// indexRow is one feed's row of the index page, under its heading.
type indexRow struct {
	heading, name, url, count, newest string
	links                             []string
}

// indexPage reads the index page: its title, its autodiscovery links
// ("type href") and its rows.
func indexPage(t *testing.T, page []byte) (title string, alternates []string, rows []indexRow) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
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
	var heading string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "title":
				title = text(n)
			case "link":
				if attr(n, "rel") == "alternate" {
					alternates = append(alternates, attr(n, "type")+" "+attr(n, "href"))
				}
			case "h2":
				heading = text(n)
			case "tr":
				var cells []*html.Node
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && c.Data == "td" {
						cells = append(cells, c)
					}
				}
				if len(cells) == 0 {
					return // the header row
				}
				if len(cells) != 4 {
					t.Fatalf("a row of %d cells under %q", len(cells), heading)
				}
				r := indexRow{heading: heading, count: text(cells[1]), newest: text(cells[2])}
				r.name = text(cells[0].FirstChild)
				for c := cells[0].FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && c.Data == "code" {
						r.url = text(c)
					}
				}
				for c := cells[3].FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && c.Data == "a" {
						r.links = append(r.links, attr(c, "href"))
					}
				}
				rows = append(rows, r)
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return title, alternates, rows
}

// TestIndex: the index page lists every feed of every kind under its
// kind's heading, in the kinds' order, with its name, item count, newest
// date and a link to each format, and has autodiscovery links for the
// main feed.
func TestIndex(t *testing.T) {
	snap := fixture(t)
	site := feedtest.Site()
	page, err := site.Index(snap)
	if err != nil {
		t.Fatal(err)
	}
	title, alternates, rows := indexPage(t, page)
	if title != "Test Post & Co — feeds" {
		t.Errorf("title %q", title)
	}
	wantAlt := []string{
		"application/rss+xml https://feeds.example.com/rss.xml",
		"application/atom+xml https://feeds.example.com/atom.xml",
		"application/feed+json https://feeds.example.com/feed.json",
	}
	if !slices.Equal(alternates, wantAlt) {
		t.Errorf("autodiscovery links %q, want %q", alternates, wantAlt)
	}
	if !bytes.Contains(page, []byte(`name="viewport"`)) || !bytes.Contains(page, []byte(`href="/opml.xml"`)) {
		t.Error("the page lacks its viewport or its link to the OPML list")
	}

	var headings []string
	byURL := map[string]indexRow{}
	for _, r := range rows {
		if len(headings) == 0 || headings[len(headings)-1] != r.heading {
			headings = append(headings, r.heading)
		}
		if _, dup := byURL[r.url]; dup {
			t.Errorf("%s is listed twice", r.url)
		}
		byURL[r.url] = r
	}
	var wantHeadings []string
	for _, k := range feed.Kinds {
		wantHeadings = append(wantHeadings, k.Group)
	}
	if !slices.Equal(headings, wantHeadings) {
		t.Errorf("headings %q, want %q", headings, wantHeadings)
	}
	names := map[string]string{
		"/":                                  "All posts",
		"/category/national/":                "National News", // configured
		"/category/real-estate/":             "Real Estate",   // as posts spell it
		"/language/km/":                      "ខ្មែរ",         // configured
		"/language/zh-hant/":                 "繁體中文",          // x/text's name in the language itself
		"/language/en/":                      "English",
		"/language/en-us/":                   "American English",
		"/language/km/category/business/":    "Business (ខ្មែរ)",
		"/language/zh-hant/category/world/":  "World (繁體中文)",
		"/author/ann-writer/":                "Ann Writer",
		"/language/km/author/dara/":          "Dara (ខ្មែរ)",
		"/language/en/author/ann-writer/":    "Ann Writer (English)",
		"/language/en-us/category/national/": "National News (American English)",
	}
	for _, v := range feedtest.Views() {
		u := site.URL(v.Key, render.RSS)
		r, ok := byURL[u]
		if !ok {
			t.Errorf("%s is not listed", u)
			continue
		}
		delete(byURL, u)
		if r.heading != v.Key.Kind.Group {
			t.Errorf("%s is under %q, want %q", u, r.heading, v.Key.Kind.Group)
		}
		if want, ok := names[v.Key.Dir()]; (ok && r.name != want) || r.name == "" {
			t.Errorf("%s is named %q, want %q", u, r.name, want)
		}
		if r.count != strconv.Itoa(len(v.Posts)) {
			t.Errorf("%s: %s items, want %d", u, r.count, len(v.Posts))
		}
		if want := v.Posts[0].Date.UTC().Format(time.DateOnly); r.newest != want {
			t.Errorf("%s: newest %q, want %q", u, r.newest, want)
		}
		var want []string
		for _, f := range render.Formats {
			want = append(want, v.Key.Dir()+f.File)
		}
		if !slices.Equal(r.links, want) {
			t.Errorf("%s: links %q, want %q", u, r.links, want)
		}
	}
	for u := range byURL {
		t.Errorf("%s is listed but is no feed of the fixture", u)
	}
}

// TestIndexLanguageNames: a language without a configured name is named
// in that language (x/text's display names); a configured name wins.
func TestIndexLanguageNames(t *testing.T) {
	snap := fixture(t)
	site := feedtest.Site()
	site.Names = map[*feed.Facet]map[string]string{feed.ByLanguage: {"zh-hant": "Chinese (Traditional)"}}
	page, err := site.Index(snap)
	if err != nil {
		t.Fatal(err)
	}
	_, _, rows := indexPage(t, page)
	got := map[string]string{}
	for _, r := range rows {
		got[strings.TrimPrefix(r.url, site.BaseURL)] = r.name
	}
	for path, want := range map[string]string{
		"/language/km/rss.xml":                     "ខ្មែរ",
		"/language/zh-hant/rss.xml":                "Chinese (Traditional)",
		"/language/zh-hant/category/world/rss.xml": "World (Chinese (Traditional))",
		"/category/national/rss.xml":               "NATIONAL", // no name configured: the smallest spelling posts give
	} {
		if got[path] != want {
			t.Errorf("%s is named %q, want %q", path, got[path], want)
		}
	}
}
