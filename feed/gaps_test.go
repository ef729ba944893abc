package feed_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

// The gaps of gorilla/feeds v1.2.0 listed in DESIGN.md, each checked on
// the documents feedd serves, decoded with encoding/xml and encoding/json.

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
	if err := xml.Unmarshal(body, v); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, body)
	}
}

func TestGorillaGapsRSS(t *testing.T) {
	srv := fixtureServer(t)
	_, body := fetch(t, http.MethodGet, srv.URL+"/rss.xml", nil)
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
		if it.Link == "" || it.Description == "" {
			t.Errorf("item %d has an empty link or description", i)
		}
		if it.Enclosure != nil && it.Enclosure.Length == "0" {
			t.Errorf("item %d has an enclosure of length 0", i)
		}
		if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
			t.Errorf("item %d pubDate %q: %v", i, it.PubDate, err)
		}
	}
	// Plain text is written with character references for & and <.
	if !strings.Contains(string(body), "<title>Rates &#x26; &#x3C;rules&#x3E;") || strings.Contains(string(body), "<title>Rates &amp;") {
		t.Error("RSS title should write & and < as &#x26; and &#x3C;")
	}
}

func TestGorillaGapsAtom(t *testing.T) {
	srv := fixtureServer(t)
	ids := map[string]string{}
	for _, v := range wantViews() {
		path := v.key.Path(feed.Atom)
		_, body := fetch(t, http.MethodGet, srv.URL+path, nil)
		var d atomDocument
		decodeXML(t, body, &d)
		if other, dup := ids[d.ID]; dup {
			t.Errorf("%s and %s share the feed id %s", path, other, d.ID)
		}
		ids[d.ID] = path
		if d.Lang != v.lang {
			t.Errorf("%s: xml:lang %q, want %q", path, d.Lang, v.lang)
		}
		if d.Updated == "" || d.ID == "" || len(d.Author) != 1 || d.Author[0].Name != "Fixture Staff" {
			t.Errorf("%s: updated %q, id %q, author %+v", path, d.Updated, d.ID, d.Author)
		}
		rels := map[string]bool{}
		for _, l := range d.Links {
			rels[l.Rel] = true
		}
		if !rels["self"] || !rels["alternate"] {
			t.Errorf("%s: links %+v, want self and alternate", path, d.Links)
		}
		for _, e := range d.Entries {
			if e.Lang == "" || e.Published == "" || e.Updated == "" || !strings.HasPrefix(e.ID, "tag:feeds.example.com,") {
				t.Errorf("%s: entry %+v lacks xml:lang, published, updated or a tag id", path, e)
			}
			for _, c := range e.Categories {
				if c.Term == "" {
					t.Errorf("%s: category without term", path)
				}
			}
		}
	}
	_, body := fetch(t, http.MethodGet, srv.URL+"/atom.xml", nil)
	var d atomDocument
	decodeXML(t, body, &d)
	var enclosure bool
	for _, l := range d.Entries[0].Links {
		enclosure = enclosure || (l.Rel == "enclosure" && l.Href == "https://cdn.example.com/img/lead.png")
	}
	if !enclosure {
		t.Errorf("entry links %+v lack the image as rel=enclosure", d.Entries[0].Links)
	}
}

// TestEntryIDsStable: editing a post (title, body, updated, file name with
// the same code) keeps its id in every format.
func TestEntryIDsStable(t *testing.T) {
	site := testSite()
	render := func(path, front string) map[feed.Format]string {
		set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }})
		snap := set.Apply([]*feed.Post{mustParse(t, path, front)}, nil)
		v, _ := snap.View(feed.ViewKey{})
		out := map[feed.Format]string{}
		for _, f := range feed.Formats {
			doc, _ := site.NewDocument(snap, v, f, 1, 50)
			var sb strings.Builder
			if err := doc.Render(&sb); err != nil {
				t.Fatal(err)
			}
			out[f] = sb.String()
		}
		return out
	}
	before := render("a.md", "code: K-1\ntitle: Before\ndate: 2024-05-01T10:00:00+07:00")
	after := render("moved/b.md", "code: K-1\ntitle: After\ndate: 2024-05-01T10:00:00+07:00\nupdated: 2024-05-03T00:00:00Z")
	for _, want := range []string{`<guid isPermaLink="false">K-1</guid>`, "<id>tag:feeds.example.com,2024-05-01:K-1</id>", `"id":"K-1"`} {
		found := 0
		for _, docs := range []map[feed.Format]string{before, after} {
			for _, d := range docs {
				if strings.Contains(d, want) {
					found++
				}
			}
		}
		if found != 2 {
			t.Errorf("%s appears in %d of the two versions, want both", want, found)
		}
	}
}

func TestGorillaGapsJSON(t *testing.T) {
	srv := fixtureServer(t)
	_, body := fetch(t, http.MethodGet, srv.URL+"/feed.json", nil)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"version", "title", "home_page_url", "feed_url", "language", "items", "icon", "favicon", "authors", "hubs"} {
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
	if strings.Contains(string(body), `"banner_"`) {
		t.Error("the mistagged banner_ key is written")
	}
	for _, it := range items {
		for _, key := range []string{"date_published", "date_modified"} {
			s, _ := it.(map[string]any)[key].(string)
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				t.Errorf("%s %q is not RFC 3339", key, s)
			}
		}
	}
}
