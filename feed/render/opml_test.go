package render_test

import (
	"encoding/xml"
	"slices"
	"testing"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
)

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr"`
	Type     string        `xml:"type,attr"`
	XMLURL   string        `xml:"xmlUrl,attr"`
	HTMLURL  string        `xml:"htmlUrl,attr"`
	Language string        `xml:"language,attr"`
	Children []opmlOutline `xml:"outline"`
}

// TestOPML: the OPML list names every feed once, in RSS, with its title
// and language: the feed of every post first, then a group of the
// category feeds, a group per language holding the language's feed then
// its feeds by category and by author, and a group of the author feeds.
func TestOPML(t *testing.T) {
	snap := fixture(t)
	site := feedtest.Site()
	body, err := site.OPML(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := feedtest.WellFormed(body); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version string        `xml:"version,attr"`
		Title   string        `xml:"head>title"`
		Body    []opmlOutline `xml:"body>outline"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.0" || doc.Title != "Test Post & Co — feeds" {
		t.Errorf("version %q, title %q", doc.Version, doc.Title)
	}

	// Where each feed is: its group's text ("" at the top) and outline.
	type place struct {
		group string
		o     opmlOutline
	}
	found := map[string][]place{}
	var top []string
	for _, o := range doc.Body {
		top = append(top, o.Text)
		if o.XMLURL != "" {
			found[o.XMLURL] = append(found[o.XMLURL], place{"", o})
		}
		for _, c := range o.Children {
			if len(c.Children) > 0 {
				t.Errorf("%q: outlines nested more than two deep", c.Text)
			}
			found[c.XMLURL] = append(found[c.XMLURL], place{o.Text, c})
		}
	}
	wantTop := []string{"All posts", "By category", "en", "en-US", "ខ្មែរ", "zh-Hant", "By author"}
	if !slices.Equal(top, wantTop) {
		t.Errorf("top outlines %q, want %q", top, wantTop)
	}

	lang := feed.KindOf(feed.ByLanguage)
	for _, want := range feedtest.Views() {
		v, _ := snap.View(want.Key)
		u := site.URL(want.Key, render.RSS)
		places := found[u]
		if len(places) != 1 {
			t.Errorf("%s is listed %d times", u, len(places))
			continue
		}
		p := places[0]
		delete(found, u)
		var group string
		switch k := want.Key.Kind; {
		case k == feed.Everything:
			group = ""
		case k.Facets[0] == feed.ByLanguage:
			lv, _ := snap.View(lang.Key(want.Key.Values[0]))
			group = site.ViewName(lv)
		default:
			group = k.Group
		}
		if p.group != group {
			t.Errorf("%s is in group %q, want %q", u, p.group, group)
		}
		o := p.o
		if o.Type != "rss" || o.Text == "" || o.Title != site.FeedTitle(v) || o.Language != want.Lang || o.HTMLURL != site.Link {
			t.Errorf("%s: outline %+v, want type rss, a text, title %q, language %q", u, o, site.FeedTitle(v), want.Lang)
		}
	}
	for u := range found {
		t.Errorf("%s is listed but is no feed of the fixture", u)
	}
	// A language's group opens with its own feed.
	kindGroup := func(text string) bool {
		return slices.ContainsFunc(feed.Kinds, func(k *feed.Kind) bool { return k.Group == text })
	}
	for _, g := range doc.Body {
		if len(g.Children) > 0 && !kindGroup(g.Text) {
			if first := g.Children[0]; first.Text != "All posts in "+g.Text || !slices.Contains([]string{"/language/en/rss.xml", "/language/en-us/rss.xml", "/language/km/rss.xml", "/language/zh-hant/rss.xml"}, first.XMLURL[len(site.BaseURL):]) {
				t.Errorf("group %q opens with %+v, not the language's own feed", g.Text, first)
			}
		}
	}
	if i := slices.Index(top, "ខ្មែរ"); i < 0 || len(doc.Body[i].Children) != 5 {
		t.Error("the Khmer group should hold its feed, its two category feeds and its two author feeds")
	}
}
