package render

import (
	"cmp"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/text"
)

// Document is one feed document: a page of a view in a format.
type Document struct {
	Site   *Site
	View   *feed.View
	Format *Format
	Page   int // 1-based
	Limit  int
	Pages  int
	Posts  []*feed.Post
}

// Document selects page n of view v at limit items per page from snap. It
// reports false when the page is past the end.
func (site *Site) Document(snap *feed.Snapshot, v *feed.View, f *Format, page, limit int) (*Document, bool) {
	posts, ok := snap.Page(v, page, limit)
	if !ok {
		return nil, false
	}
	return &Document{Site: site, View: v, Format: f, Page: page, Limit: limit, Pages: v.Pages(limit), Posts: posts}, true
}

// Render writes the document in its format.
func (d *Document) Render(w io.Writer) error { return d.Format.render(d, w) }

// URL is the canonical public URL of page n of the document's feed: the
// base URL, the path, then limit and page only where not the defaults.
func (d *Document) URL(page int) string {
	u := d.Site.URL(d.View.Key, d.Format)
	if q := d.query(page); q != "" {
		u += "?" + q
	}
	return u
}

// SelfURL is the document's own canonical URL.
func (d *Document) SelfURL() string { return d.URL(d.Page) }

// Canonical are the document's canonical path (decoded, as a request's
// URL.Path holds it) and query: a request for the document by any other
// spelling is redirected there.
func (d *Document) Canonical() (path, query string) {
	path, err := url.PathUnescape(d.View.Key.Dir() + d.Format.File)
	if err != nil {
		path = "" // cannot happen: the path is escaped from a view key
	}
	return path, d.query(d.Page)
}

// query is the canonical query string of page n: limit and page, each only
// where not the default, in that order.
func (d *Document) query(page int) string {
	var q []string
	if d.Limit != d.Site.Limit {
		q = append(q, "limit="+strconv.Itoa(d.Limit))
	}
	if page != 1 {
		q = append(q, "page="+strconv.Itoa(page))
	}
	return strings.Join(q, "&")
}

// pageLink is one RFC 5005 paging link.
type pageLink struct {
	Rel, Href string
}

// pageLinks are the RFC 5005 links: first and last always, previous and
// next where those pages exist.
func (d *Document) pageLinks() []pageLink {
	links := []pageLink{{"first", d.URL(1)}}
	if d.Page > 1 {
		links = append(links, pageLink{"previous", d.URL(d.Page - 1)})
	}
	if d.Page < d.Pages {
		links = append(links, pageLink{"next", d.URL(d.Page + 1)})
	}
	return append(links, pageLink{"last", d.URL(d.Pages)})
}

// Title is the site's title, then the feed's name.
func (d *Document) Title() string { return d.Site.FeedTitle(d.View) }

// Language is the document's language: the view's, else the site's.
func (d *Document) Language() string { return d.Site.language(d.View) }

// Updated is the newest `updated` time among the document's items: the
// feed's own updated time, taken from the posts so that identical posts give
// identical bytes. An empty feed gives the Unix epoch.
func (d *Document) Updated() time.Time {
	var t time.Time
	for _, p := range d.Posts {
		if p.Updated.After(t) {
			t = p.Updated
		}
	}
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t
}

// LastModified is the newest change the document shows: the latest of its
// items' `updated` times and file modification times, and of the last
// change of its feed's posts seen by this process.
func (d *Document) LastModified() time.Time {
	t := d.Updated()
	if d.View.ChangedAt.After(t) {
		t = d.View.ChangedAt
	}
	for _, p := range d.Posts {
		if p.ModTime.After(t) {
			t = p.ModTime
		}
	}
	return t
}

// feedAuthor is the author named on a whole feed.
func (d *Document) feedAuthor() string {
	if d.Site.Author != "" {
		return d.Site.Author
	}
	return d.Site.Title
}

// itemAuthors are the authors a post's item names in every format: its
// own, else the feed's, so that every reader shows the same.
func (d *Document) itemAuthors(p *feed.Post) []string {
	if len(p.Authors) > 0 {
		return p.Authors
	}
	return []string{d.feedAuthor()}
}

// description is the feed's description: the site's, else its title, then
// the feed's name.
func (d *Document) description() string {
	desc := d.Site.Description
	if desc == "" {
		desc = d.Site.Title
	}
	if n := d.Site.ViewName(d.View); n != "" {
		desc += " — " + n
	}
	return desc
}

// feedID is the Atom feed id: the feed's URL without paging, unique to each
// feed and the same on every page of it.
func (d *Document) feedID() string { return d.Site.URL(d.View.Key, d.Format) }

// AtomID is the Atom entry id of a post: a tag URI (RFC 4151) from the
// base URL's host, the site's id date and the post's id, so that it never
// changes when the post is edited, its date corrected or its file moved.
func (site *Site) AtomID(p *feed.Post) string {
	host := "localhost"
	if u, err := url.Parse(site.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "tag:" + host + "," + cmp.Or(site.IDDate, DefaultIDDate) + ":" + text.EscapePath(p.ID)
}

// DefaultIDDate is the day in Atom entry ids when site.id_date is not set.
const DefaultIDDate = "2024-01-01"

// terms are a post's category names then its tags, each once: the item's
// categories in RSS and Atom, its tags in JSON Feed.
func terms(p *feed.Post) []string {
	out := make([]string, 0, len(p.Categories)+len(p.Tags))
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, c := range p.Categories {
		add(c.Name)
	}
	for _, t := range p.Tags {
		add(t)
	}
	return out
}
