package render_test

import (
	"encoding/json"
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/feed/text"
)

// The gaps of gorilla/feeds v1.2.0 that feedd closes (docs/design.md and
// the render package's doc comments), each checked on
// the documents rendered from the fixture, decoded with encoding/xml and
// encoding/json.

type xmlAttrLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
}

type rssDocument struct {
	XMLName xml.Name   `xml:"rss"`
	Attrs   []xml.Attr `xml:",any,attr"`
	Channel struct {
		AtomLinks   []xmlAttrLink `xml:"http://www.w3.org/2005/Atom link"` // before link: encoding/xml takes the first field that matches
		Link        []string      `xml:"link"`
		Language    string        `xml:"language"`
		Description string        `xml:"description"`
		LastBuild   string        `xml:"lastBuildDate"`
		Editor      string        `xml:"managingEditor"`
		Items       []struct {
			Link        string   `xml:"link"`
			Description string   `xml:"description"`
			Categories  []string `xml:"category"`
			Author      []string `xml:"author"`
			Creators    []string `xml:"http://purl.org/dc/elements/1.1/ creator"`
			Language    []string `xml:"http://purl.org/dc/elements/1.1/ language"`
			PubDate     string   `xml:"pubDate"`
			GUID        struct {
				Value       string `xml:",chardata"`
				IsPermaLink string `xml:"isPermaLink,attr"`
			} `xml:"guid"`
			Enclosure *struct {
				URL    string `xml:"url,attr"`
				Length string `xml:"length,attr"`
				Type   string `xml:"type,attr"`
			} `xml:"enclosure"`
			Media *struct {
				URL string `xml:"url,attr"`
			} `xml:"http://search.yahoo.com/mrss/ content"`
		} `xml:"item"`
	} `xml:"channel"`
}

type atomDocument struct {
	Lang    string        `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string        `xml:"id"`
	Updated string        `xml:"updated"`
	Links   []xmlAttrLink `xml:"link"`
	Author  []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Entries []struct {
		Lang       string        `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		ID         string        `xml:"id"`
		Published  string        `xml:"published"`
		Updated    string        `xml:"updated"`
		Links      []xmlAttrLink `xml:"link"`
		Categories []struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
	} `xml:"entry"`
}

func decodeXML(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := feedtest.WellFormed(body); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, body)
	}
	if err := xml.Unmarshal(body, v); err != nil {
		t.Fatalf("cannot decode: %v\n%s", err, body)
	}
}

var all = feed.ViewKey{Kind: feed.Everything}

func TestGorillaGapsRSS(t *testing.T) {
	_, body := document(t, feedtest.Site(), fixture(t), all, render.RSS, 1, 50)
	var d rssDocument
	decodeXML(t, body, &d)
	ns := map[string]bool{}
	for _, a := range d.Attrs {
		if a.Name.Space == "xmlns" {
			ns[a.Name.Local+"="+a.Value] = true
		}
	}
	for _, want := range []string{"atom=http://www.w3.org/2005/Atom", "content=http://purl.org/rss/1.0/modules/content/", "dc=http://purl.org/dc/elements/1.1/", "media=http://search.yahoo.com/mrss/"} {
		if !ns[want] {
			t.Errorf("namespace xmlns:%s not declared", want)
		}
	}
	ch := d.Channel
	if len(ch.AtomLinks) == 0 || ch.AtomLinks[0].Rel != "self" || ch.AtomLinks[0].Href != "https://feeds.example.com/rss.xml" {
		t.Errorf("atom:link rel=self missing or wrong: %+v", ch.AtomLinks)
	}
	if ch.Language != "en" {
		t.Errorf("<language> %q", ch.Language)
	}
	if ch.Editor != "" {
		t.Errorf("managingEditor %q must be an email or absent", ch.Editor)
	}
	if _, err := time.Parse(time.RFC1123Z, ch.LastBuild); err != nil || strings.HasSuffix(ch.LastBuild, "UTC") {
		t.Errorf("lastBuildDate %q is not RFC 1123 with a numeric zone", ch.LastBuild)
	}
	if len(ch.Items) != len(feedtest.Posts) {
		t.Fatalf("%d items, want %d", len(ch.Items), len(feedtest.Posts))
	}
	a := ch.Items[0]
	if a.GUID.Value != "T-001" || a.GUID.IsPermaLink != "false" {
		t.Errorf("guid %+v, want T-001 with isPermaLink=false", a.GUID)
	}
	if len(a.Categories) != 3 {
		t.Errorf("categories %q, want one per category and tag", a.Categories)
	}
	if len(a.Author) != 0 || len(a.Creators) != 1 || a.Creators[0] != "Ann Writer" {
		t.Errorf("author %q, dc:creator %q: want the name in dc:creator only", a.Author, a.Creators)
	}
	if a.Enclosure == nil || a.Enclosure.Length != "48213" || a.Enclosure.Type != "image/png" || a.Media == nil || a.Media.URL != a.Enclosure.URL {
		t.Errorf("enclosure %+v and media:content %+v for an image with image_length", a.Enclosure, a.Media)
	}
	// Without image_length there is no length to give, and RSS (and the W3C
	// validator) refuse an enclosure without one: media:content carries it.
	e := ch.Items[len(ch.Items)-1]
	if e.Enclosure != nil || e.Media == nil || e.Media.URL != "https://cdn.example.com/e.jpg" {
		t.Errorf("image without a length: enclosure %+v, media:content %+v", e.Enclosure, e.Media)
	}
	for i, it := range ch.Items {
		want := feedtest.Posts[i]
		if it.Link == "" || it.Description == "" {
			t.Errorf("item %d has an empty link or description", i)
		}
		if it.Enclosure != nil && it.Enclosure.Length == "0" {
			t.Errorf("item %d has an enclosure of length 0", i)
		}
		if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
			t.Errorf("item %d pubDate %q: %v", i, it.PubDate, err)
		}
		// Every item has a creator: its authors, else the site's.
		if len(want.Authors) == 0 && (len(it.Creators) != 1 || it.Creators[0] != "Fixture Staff") {
			t.Errorf("item %d names no author: dc:creator %q, want the site's author", i, it.Creators)
		}
		// One dc:creator with every name, in the post's order.
		if len(want.Authors) > 0 && (len(it.Creators) != 1 || text.Slug(it.Creators[0]) != strings.Join(want.Authors, "-")) {
			t.Errorf("item %d: dc:creator %q, want one naming %q", i, it.Creators, want.Authors)
		}
		// dc:language only when the item's language is not the channel's.
		switch {
		case want.Lang == ch.Language && len(it.Language) != 0:
			t.Errorf("item %d in the channel's language has dc:language %q", i, it.Language)
		case want.Lang != ch.Language && (len(it.Language) != 1 || it.Language[0] != want.Lang):
			t.Errorf("item %d in %s: dc:language %q", i, want.Lang, it.Language)
		}
	}
	// No empty <link> or <description> (gorilla/feeds writes them when
	// unset).
	for _, empty := range []string{"<link></link>", "<description></description>", "<link/>", "<description/>"} {
		if strings.Contains(string(body), empty) {
			t.Errorf("the document holds %s", empty)
		}
	}
	// Plain text is written with character references for & and <.
	if !strings.Contains(string(body), "<title>Rates &#x26; &#x3C;rules&#x3E;") || strings.Contains(string(body), "<title>Rates &amp;") {
		t.Error("RSS title should write & and < as &#x26; and &#x3C;")
	}
}

func TestGorillaGapsAtom(t *testing.T) {
	snap := fixture(t)
	site := feedtest.Site()
	ids := map[string]string{}
	for _, v := range feedtest.Views() {
		d, body := document(t, site, snap, v.Key, render.Atom, 1, 50)
		path := d.SelfURL()
		var doc atomDocument
		decodeXML(t, body, &doc)
		if other, dup := ids[doc.ID]; dup {
			t.Errorf("%s and %s share the feed id %s", path, other, doc.ID)
		}
		ids[doc.ID] = path
		if doc.Lang != v.Lang {
			t.Errorf("%s: xml:lang %q, want %q", path, doc.Lang, v.Lang)
		}
		if doc.Updated == "" || doc.ID == "" || len(doc.Author) != 1 || doc.Author[0].Name != "Fixture Staff" {
			t.Errorf("%s: updated %q, id %q, author %+v", path, doc.Updated, doc.ID, doc.Author)
		}
		rels := map[string]bool{}
		for _, l := range doc.Links {
			rels[l.Rel] = true
		}
		if !rels["self"] || !rels["alternate"] {
			t.Errorf("%s: links %+v, want self and alternate", path, doc.Links)
		}
		if len(doc.Entries) != len(v.Posts) {
			t.Fatalf("%s: %d entries, want %d", path, len(doc.Entries), len(v.Posts))
		}
		for i, e := range doc.Entries {
			if e.Lang != v.Posts[i].Lang || e.Published == "" || e.Updated == "" || !strings.HasPrefix(e.ID, "tag:feeds.example.com,") {
				t.Errorf("%s: entry %+v lacks xml:lang %s, published, updated or a tag id", path, e, v.Posts[i].Lang)
			}
			for _, c := range e.Categories {
				if c.Term == "" {
					t.Errorf("%s: category without term", path)
				}
			}
		}
	}
	_, body := document(t, site, snap, all, render.Atom, 1, 50)
	var d atomDocument
	decodeXML(t, body, &d)
	var enclosure bool
	for _, l := range d.Entries[0].Links {
		enclosure = enclosure || (l.Rel == "enclosure" && l.Href == "https://cdn.example.com/img/lead.png")
	}
	if !enclosure {
		t.Errorf("entry links %+v lack the image as rel=enclosure", d.Entries[0].Links)
	}
	var terms []string
	for _, c := range d.Entries[0].Categories {
		terms = append(terms, c.Term)
	}
	if !slices.Equal(terms, feedtest.Posts[0].Names) {
		t.Errorf("entry categories %q, want a term for each of %q", terms, feedtest.Posts[0].Names)
	}
}

// TestEmptyFeed: a feed with no items (a posts directory with none yet)
// still has JSON Feed's items, and Atom's id and a fixed updated time.
func TestEmptyFeed(t *testing.T) {
	set := feedtest.NewSet()
	snap := set.Apply(nil, nil)
	site := feedtest.Site()
	_, body := document(t, site, snap, all, render.JSONFeed, 1, 50)
	if !strings.Contains(string(body), `"items":[]`) {
		t.Errorf("empty JSON Feed without items: %s", body)
	}
	if problems := feedtest.CheckJSONFeed(body, "https://feeds.example.com/feed.json"); len(problems) > 0 {
		t.Errorf("empty JSON Feed: %q", problems)
	}
	_, body = document(t, site, snap, all, render.Atom, 1, 50)
	var d atomDocument
	decodeXML(t, body, &d)
	if d.Updated != "1970-01-01T00:00:00Z" || d.ID != "https://feeds.example.com/atom.xml" {
		t.Errorf("empty Atom feed: updated %q, id %q", d.Updated, d.ID)
	}
	_, body = document(t, site, snap, all, render.RSS, 1, 50)
	var r rssDocument
	decodeXML(t, body, &r)
	if len(r.Channel.Items) != 0 || r.Channel.Language != "en" || r.Channel.Description == "" {
		t.Errorf("empty RSS feed: %+v", r.Channel)
	}
}

// TestEntryIDsStable: editing a post (title, body, updated, file name with
// the same code) keeps its id in every format.
func TestEntryIDsStable(t *testing.T) {
	site := feedtest.Site()
	renderAll := func(path, front, body string) map[*render.Format]string {
		set := feedtest.NewSet()
		snap := set.Apply([]*feed.Post{parsePost(t, path, front, body)}, nil)
		out := map[*render.Format]string{}
		for _, f := range render.Formats {
			_, b := document(t, site, snap, all, f, 1, 50)
			out[f] = string(b)
		}
		return out
	}
	before := renderAll("a.md", "code: K-1\ntitle: Before\ndate: 2024-05-01T10:00:00+07:00", "first")
	// Edited, moved, and its date corrected by a day.
	after := renderAll("moved/b.md", "code: K-1\ntitle: After\ndate: 2024-05-02T10:00:00+07:00\nupdated: 2024-05-03T00:00:00Z", "second")
	for f, want := range map[*render.Format]string{
		render.RSS:      `<guid isPermaLink="false">K-1</guid>`,
		render.Atom:     "<id>tag:feeds.example.com,2020-05-17:K-1</id>",
		render.JSONFeed: `"id":"K-1"`,
	} {
		if !strings.Contains(before[f], want) || !strings.Contains(after[f], want) {
			t.Errorf("%s: %s is not in both versions", f.Name, want)
		}
	}
	if before[render.Atom] == after[render.Atom] {
		t.Error("the edit changed nothing: the test proves nothing")
	}
}

func TestGorillaGapsJSON(t *testing.T) {
	_, body := document(t, feedtest.Site(), fixture(t), all, render.JSONFeed, 1, 50)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"version", "title", "home_page_url", "feed_url", "language", "items", "icon", "favicon", "hubs"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("JSON Feed lacks %q", key)
		}
	}
	items := raw["items"].([]any)
	first := items[0].(map[string]any)
	for _, key := range []string{"id", "url", "title", "summary", "content_html", "image", "date_published", "date_modified", "tags", "authors", "language"} {
		if _, ok := first[key]; !ok {
			t.Errorf("item lacks %q", key)
		}
	}
	if strings.Contains(string(body), `"banner_"`) || strings.Contains(string(body), `"size":`) {
		t.Error("a mistagged banner_ or size key (gorilla/feeds' names for banner_image and size_in_bytes) is written")
	}
	for _, it := range items {
		for _, key := range []string{"date_published", "date_modified"} {
			s, _ := it.(map[string]any)[key].(string)
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				t.Errorf("%s %q is not RFC 3339", key, s)
			}
		}
	}
	if problems := feedtest.CheckJSONFeed(body, "https://feeds.example.com/feed.json"); len(problems) > 0 {
		t.Errorf("JSON Feed 1.1: %q", problems)
	}
}
