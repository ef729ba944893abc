package feed_test

import (
	"encoding/xml"
	"net/http"
	"testing"
)

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Type     string        `xml:"type,attr"`
	XMLURL   string        `xml:"xmlUrl,attr"`
	Children []opmlOutline `xml:"outline"`
}

// TestOPML: /opml.xml lists every feed once, the main feed first, the
// categories in one group and each language in a group of its own.
func TestOPML(t *testing.T) {
	srv := fixtureServer(t)
	resp, body := fetch(t, http.MethodGet, srv.URL+"/opml.xml", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/x-opml; charset=utf-8" || resp.Header.Get("ETag") == "" {
		t.Fatalf("GET /opml.xml: %d %q ETag %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
	}
	var doc struct {
		Version string        `xml:"version,attr"`
		Title   string        `xml:"head>title"`
		Body    []opmlOutline `xml:"body>outline"`
	}
	if err := wellFormed(body); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.0" || doc.Title == "" || len(doc.Body) < 3 {
		t.Fatalf("version %q, title %q, %d top outlines", doc.Version, doc.Title, len(doc.Body))
	}
	urls := map[string]int{}
	var walk func([]opmlOutline)
	walk = func(os []opmlOutline) {
		for _, o := range os {
			if o.XMLURL != "" {
				urls[o.XMLURL]++
				if o.Type != "rss" || o.Text == "" {
					t.Errorf("outline %+v lacks type or text", o)
				}
			}
			walk(o.Children)
		}
	}
	walk(doc.Body)
	for _, v := range wantViews() {
		if u := "https://feeds.example.com" + v.key.Path(0); urls[u] != 1 {
			t.Errorf("%s is listed %d times", u, urls[u])
		}
	}
	if len(urls) != len(wantViews()) {
		t.Errorf("%d feeds listed, want %d", len(urls), len(wantViews()))
	}
	if doc.Body[0].XMLURL != "https://feeds.example.com/rss.xml" || doc.Body[1].Text != "Categories" {
		t.Errorf("the main feed then the categories should come first: %q, %q", doc.Body[0].XMLURL, doc.Body[1].Text)
	}
	var km *opmlOutline
	for i := range doc.Body {
		if doc.Body[i].Text == "ខ្មែរ" {
			km = &doc.Body[i]
		}
	}
	if km == nil || len(km.Children) != 3 || km.Children[0].XMLURL != "https://feeds.example.com/language/km/rss.xml" {
		t.Errorf("the Khmer group should hold its feed and its two category feeds: %+v", km)
	}
}
