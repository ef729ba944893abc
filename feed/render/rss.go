package render

import (
	"encoding/xml"
	"io"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

// The RSS document: gorilla/feeds' structs, embedded and completed where
// they fall short (no atom:link, no language, one category, guid without
// isPermaLink, author instead of dc:creator, text escaping).

type rssDoc struct {
	XMLName   xml.Name `xml:"rss"`
	Version   string   `xml:"version,attr"`
	NSContent string   `xml:"xmlns:content,attr"`
	NSAtom    string   `xml:"xmlns:atom,attr"`
	NSDC      string   `xml:"xmlns:dc,attr"`
	NSMedia   string   `xml:"xmlns:media,attr"`
	Channel   *rssChannel
}

// FeedXml lets feeds.WriteXML write the document.
func (d *rssDoc) FeedXml() interface{} { return d }

type rssChannel struct {
	XMLName        xml.Name   `xml:"channel"`
	Title          rssText    `xml:"title"`
	Description    rssText    `xml:"description"`
	AtomLinks      []rssLink  `xml:"atom:link"`
	*feeds.RssFeed            // link, language, lastBuildDate, ttl, image
	Items          []*rssItem `xml:"item"`
}

type rssItem struct {
	XMLName        xml.Name  `xml:"item"`
	Title          rssText   `xml:"title"`
	Description    rssText   `xml:"description"`
	*feeds.RssItem           // link, content:encoded, enclosure, guid, pubDate
	Categories     []rssText `xml:"category"`
	Creator        rssText   `xml:"dc:creator"`
	Language       string    `xml:"dc:language,omitempty"`
	Media          *rssMedia `xml:"media:content"`
}

// rssLink is an Atom link inside RSS (self, hub and paging links).
type rssLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type rssMedia struct {
	URL    string `xml:"url,attr"`
	Medium string `xml:"medium,attr"`
	Type   string `xml:"type,attr"`
}

// rssText is plain text with "&" and "<" written as character references:
// readers differ in how many times they unescape "&amp;", and the W3C
// validator asks for this form.
type rssText struct {
	Inner string `xml:",innerxml"`
}

var rssTextEscaper = strings.NewReplacer("&", "&#x26;", "<", "&#x3C;", ">", "&#x3E;")

func newRSSText(s string) rssText { return rssText{Inner: rssTextEscaper.Replace(s)} }

// htmlTextEscaper makes plain text into HTML that shows it as it is.
var htmlTextEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// newRSSDescription writes a plain-text summary into an RSS description,
// which readers (and the W3C validator) take as HTML: the text is escaped
// as HTML first, so that a summary that mentions "<script>" shows it
// instead of running it, then written in the &#x26; form.
func newRSSDescription(s string) rssText { return newRSSText(htmlTextEscaper.Replace(s)) }

func renderRSS(d *Document, w io.Writer) error {
	f, err := d.gorillaFeed()
	if err != nil {
		return err
	}
	ch := (&feeds.Rss{Feed: f}).RssFeed()
	ch.Language = d.Language()
	ch.ManagingEditor = "" // RSS wants an email here; the feed author is on Atom and JSON
	ch.Generator = "feedd"
	if d.Site.TTL > 0 {
		ch.Ttl = int((d.Site.TTL + time.Minute - 1) / time.Minute)
	}
	out := &rssChannel{
		Title:       newRSSText(f.Title),
		Description: newRSSDescription(f.Description),
		AtomLinks:   []rssLink{{Href: d.SelfURL(), Rel: "self", Type: d.Format.mediaType()}},
		RssFeed:     ch,
	}
	for _, h := range d.Site.Hubs {
		out.AtomLinks = append(out.AtomLinks, rssLink{Href: h, Rel: "hub"})
	}
	for _, l := range d.pageLinks() {
		out.AtomLinks = append(out.AtomLinks, rssLink{Href: l.Href, Rel: l.Rel})
	}
	for i, it := range ch.Items {
		p := d.Posts[i]
		item := &rssItem{
			Title:       newRSSText(p.Title),
			Description: newRSSDescription(p.Summary),
			RssItem:     it,
		}
		it.Author = ""
		for _, c := range terms(p) {
			item.Categories = append(item.Categories, newRSSText(c))
		}
		// One dc:creator with every name: readers that keep one creator
		// (gofeed keeps the first, feedparser the last) show the whole
		// byline.
		item.Creator = newRSSText(strings.Join(d.itemAuthors(p), ", "))
		if p.Language != ch.Language {
			item.Language = p.Language
		}
		if p.Image != "" {
			item.Media = &rssMedia{URL: p.Image, Medium: "image", Type: p.ImageType}
		}
		out.Items = append(out.Items, item)
	}
	return feeds.WriteXML(&rssDoc{
		Version:   "2.0",
		NSContent: "http://purl.org/rss/1.0/modules/content/",
		NSAtom:    "http://www.w3.org/2005/Atom",
		NSDC:      "http://purl.org/dc/elements/1.1/",
		NSMedia:   "http://search.yahoo.com/mrss/",
		Channel:   out,
	}, w)
}
