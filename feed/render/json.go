package render

import (
	"encoding/json"
	"io"
	"time"

	"github.com/gorilla/feeds"
)

// The JSON Feed 1.1 document: gorilla/feeds' structs, embedded and completed
// where they fall short (items dropped when empty, no language, feed_url,
// tags, hubs, next_url; dates in one RFC 3339 form).

type jsonFeed struct {
	*feeds.JSONFeed
	Items []*jsonItem `json:"items"`
}

type jsonItem struct {
	*feeds.JSONItem
	DatePublished string `json:"date_published"`
	DateModified  string `json:"date_modified"`
	Language      string `json:"language"`
}

func renderJSON(d *Document, w io.Writer) error {
	f, err := d.gorillaFeed()
	if err != nil {
		return err
	}
	jf := (&feeds.JSON{Feed: f}).JSONFeed()
	jf.Language = d.Language()
	// Every item names its authors; readers such as Miniflux add a feed's
	// authors to every item's, which would put the site's beside each
	// post's own.
	jf.Author, jf.Authors = nil, nil
	jf.FeedUrl = d.SelfURL()
	jf.Icon = d.Site.Icon
	jf.Favicon = d.Site.Icon
	if d.Page < d.Pages {
		jf.NextUrl = d.URL(d.Page + 1)
	}
	for _, h := range d.Site.Hubs {
		jf.Hubs = append(jf.Hubs, &feeds.JSONHub{Type: "WebSub", Url: h})
	}
	out := &jsonFeed{JSONFeed: jf, Items: make([]*jsonItem, 0, len(jf.Items))}
	for i, it := range jf.Items {
		p := d.Posts[i]
		it.Image = p.Image
		it.Tags = terms(p)
		for _, a := range d.itemAuthors(p) {
			it.Authors = append(it.Authors, &feeds.JSONAuthor{Name: a})
		}
		out.Items = append(out.Items, &jsonItem{
			JSONItem:      it,
			DatePublished: p.Date.Format(time.RFC3339),
			DateModified:  p.Updated.Format(time.RFC3339),
			Language:      p.Language,
		})
	}
	jf.Items = nil
	// encoding/json's default escapes <, > and & as \u003c, \u003e and
	// \u0026: the same text to every JSON reader, and a "</script>" in a post
	// cannot end a <script> element that a page inlines the feed in.
	// Compact, not indented: indenting took three quarters of the time of
	// a 50-item page, for whitespace no reader needs.
	return json.NewEncoder(w).Encode(out)
}
