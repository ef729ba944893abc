package render

import (
	"encoding/xml"
	"io"
	"time"

	"github.com/gorilla/feeds"
)

// The Atom document: gorilla/feeds' structs, embedded and completed where
// they fall short (no xml:lang, the site link as every feed's id, one link
// only, no published, category without term).

type atomFeed struct {
	XMLName         xml.Name         `xml:"feed"`
	Lang            string           `xml:"xml:lang,attr"`
	*feeds.AtomFeed                  // xmlns, title, id, updated, icon, subtitle, author
	Links           []feeds.AtomLink `xml:"link"`
	Entries         []*atomEntry     `xml:"entry"`
}

// FeedXml lets feeds.WriteXML write the document.
func (a *atomFeed) FeedXml() interface{} { return a }

type atomEntry struct {
	XMLName          xml.Name           `xml:"entry"`
	Lang             string             `xml:"xml:lang,attr"`
	*feeds.AtomEntry                    // title, updated, id, content, published, links, summary
	Categories       []atomCategory     `xml:"category"`
	Authors          []feeds.AtomAuthor `xml:"author"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

func renderAtom(d *Document, w io.Writer) error {
	f, err := d.gorillaFeed()
	if err != nil {
		return err
	}
	af := (&feeds.Atom{Feed: f}).AtomFeed()
	af.Id = d.feedID()
	af.Icon = d.Site.Icon
	af.Link = nil
	out := &atomFeed{
		Lang:     d.Language(),
		AtomFeed: af,
		Links: []feeds.AtomLink{
			{Href: d.SelfURL(), Rel: "self", Type: d.Format.mediaType()},
			{Href: d.Site.Link, Rel: "alternate", Type: "text/html"},
		},
	}
	for _, h := range d.Site.Hubs {
		out.Links = append(out.Links, feeds.AtomLink{Href: h, Rel: "hub"})
	}
	for _, l := range d.pageLinks() {
		out.Links = append(out.Links, feeds.AtomLink{Href: l.Href, Rel: l.Rel, Type: d.Format.mediaType()})
	}
	for i, e := range af.Entries {
		p := d.Posts[i]
		e.Id = d.Site.AtomID(p)
		e.Published = p.Date.Format(time.RFC3339)
		e.Updated = p.Updated.Format(time.RFC3339)
		if e.Summary != nil {
			e.Summary.Type = "text"
		}
		entry := &atomEntry{Lang: p.Language, AtomEntry: e}
		for _, c := range terms(p) {
			entry.Categories = append(entry.Categories, atomCategory{Term: c})
		}
		for _, a := range d.itemAuthors(p) {
			entry.Authors = append(entry.Authors, feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: a}})
		}
		out.Entries = append(out.Entries, entry)
	}
	af.Entries = nil
	return feeds.WriteXML(out, w)
}
