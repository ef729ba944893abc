package render

import (
	"bytes"
	"encoding/xml"
	"slices"

	"github.com/feedd/feedd/feed"
)

// The OPML 2.0 document listing every feed, for subscribing to all at once.

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Docs    string      `xml:"head>docs"`
	Body    []opmlEntry `xml:"body>outline"`
}

type opmlEntry struct {
	Text     string      `xml:"text,attr"`
	Title    string      `xml:"title,attr,omitempty"`
	Type     string      `xml:"type,attr,omitempty"`
	XMLURL   string      `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string      `xml:"htmlUrl,attr,omitempty"`
	Language string      `xml:"language,attr,omitempty"`
	Children []opmlEntry `xml:"outline"`
}

// OPML writes the OPML 2.0 list of snap's feeds, each in the RSS format:
// the feed of every post; then for each kind of one facet, a group of its
// feeds, except that a value other kinds refine (a language, refined by
// language and category) is a group of its own holding its feed and
// theirs.
func (site *Site) OPML(snap *feed.Snapshot) ([]byte, error) {
	doc := opmlDoc{Version: "2.0", Title: site.Title + " — feeds", Docs: "http://opml.org/spec2.opml"}
	groups := map[*feed.Kind]*opmlEntry{}    // kinds of one facet not refined
	parents := map[feed.ViewKey]*opmlEntry{} // views refined by other kinds
	var order []*opmlEntry
	group := func(e *opmlEntry) { order = append(order, e) }
	for _, v := range snap.Views() {
		k := v.Key.Kind
		switch {
		case len(k.Facets) == 0:
			doc.Body = append(doc.Body, site.opmlFeed(v, "All posts"))
		case len(k.Facets) == 1 && refined(k.Facets[0]):
			e := &opmlEntry{Text: site.ViewName(v), Children: []opmlEntry{site.opmlFeed(v, "All posts in "+site.ViewName(v))}}
			parents[v.Key] = e
			group(e)
		default:
			parent := parents[feed.ViewKey{Kind: feed.KindOf(k.Facets[0]), Values: [2]string{v.Key.Values[0]}}]
			if len(k.Facets) == 1 || parent == nil {
				if parent = groups[k]; parent == nil {
					parent = &opmlEntry{Text: k.Group}
					groups[k] = parent
					group(parent)
				}
			}
			parent.Children = append(parent.Children, site.opmlFeed(v, site.ValueName(v, k.Facets[len(k.Facets)-1])))
		}
	}
	for _, e := range order {
		doc.Body = append(doc.Body, *e)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// opmlFeed is the outline of one feed.
func (site *Site) opmlFeed(v *feed.View, text string) opmlEntry {
	return opmlEntry{Text: text, Title: site.FeedTitle(v), Type: "rss", XMLURL: site.URL(v.Key, RSS), HTMLURL: site.Link, Language: site.language(v)}
}

// refined says whether a kind of several facets starts with f.
func refined(f *feed.Facet) bool {
	return slices.ContainsFunc(feed.Kinds, func(k *feed.Kind) bool { return len(k.Facets) > 1 && k.Facets[0] == f })
}
