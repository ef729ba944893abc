package feed

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Site holds the settings every feed shares (SPEC section 3, `site`, `feed`,
// `categories`, `languages`, `websub`).
type Site struct {
	Title       string
	Description string
	BaseURL     string // absolute, no trailing slash; the public URL of this service
	Link        string // the site the feeds are about
	Language    string // canonical tag
	Author      string
	Icon        string
	// CategoryNames and LanguageNames give display names by slug and by
	// lower-case tag; unknown ones use the value the posts give.
	CategoryNames map[string]string
	LanguageNames map[string]string
	Limit         int           // items per page by default
	MaxLimit      int           // the largest limit a request may ask for
	MaxAge        time.Duration // cache lifetime, also RSS <ttl>
	Hubs          []string      // WebSub hubs
	CacheBytes    int64         // memory bound of the render cache; 0 means DefaultCacheBytes
}

// Format is one of the three feed formats.
type Format int

// The formats feedd serves.
const (
	RSS Format = iota
	Atom
	JSONFeed
)

// Formats lists every format, in the order feeds are listed.
var Formats = []Format{RSS, Atom, JSONFeed}

// File is the format's file name in feed URLs.
func (f Format) File() string {
	return [...]string{"rss.xml", "atom.xml", "feed.json"}[f]
}

// ContentType is the format's media type.
func (f Format) ContentType() string {
	return [...]string{
		"application/rss+xml; charset=utf-8",
		"application/atom+xml; charset=utf-8",
		"application/feed+json; charset=utf-8",
	}[f]
}

// String names the format for people.
func (f Format) String() string { return [...]string{"RSS", "Atom", "JSON Feed"}[f] }

// FormatByFile finds the format of a feed URL's file name.
func FormatByFile(name string) (Format, bool) {
	for _, f := range Formats {
		if f.File() == name {
			return f, true
		}
	}
	return 0, false
}

// Path is the URL path of a view's feed in format f, categories
// percent-encoded: "/language/km/category/national/rss.xml".
func (k ViewKey) Path(f Format) string {
	var b strings.Builder
	if k.Language != "" {
		b.WriteString("/language/" + url.PathEscape(k.Language))
	}
	if k.Category != "" {
		b.WriteString("/category/" + url.PathEscape(k.Category))
	}
	b.WriteString("/" + f.File())
	return b.String()
}

// Document is what one response renders: a page of a view in a format.
type Document struct {
	Site   *Site
	View   *View
	Format Format
	Page   int // 1-based
	Limit  int
	Pages  int
	Posts  []*Post
}

// NewDocument selects page n of view v at limit items per page from snap. It
// reports false when the page is past the end.
func (site *Site) NewDocument(snap *Snapshot, v *View, f Format, page, limit int) (*Document, bool) {
	posts, ok := snap.Page(v, page, limit)
	if !ok {
		return nil, false
	}
	return &Document{Site: site, View: v, Format: f, Page: page, Limit: limit, Pages: v.Pages(limit), Posts: posts}, true
}

// URL is the canonical public URL of page n of the document's feed: the
// base URL, the path, then limit and page only where not the defaults.
func (d *Document) URL(page int) string {
	u := d.Site.BaseURL + d.View.Key.Path(d.Format)
	if q := d.query(page); q != "" {
		u += "?" + q
	}
	return u
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

// CanonicalParts are the document's canonical path (decoded, as a request's
// URL.Path holds it) and query.
func (d *Document) CanonicalParts() (path, query string) {
	path, err := url.PathUnescape(d.View.Key.Path(d.Format))
	if err != nil {
		path = "" // cannot happen: the path is escaped from a view key
	}
	return path, d.query(d.Page)
}

// SelfURL is the document's own canonical URL.
func (d *Document) SelfURL() string { return d.URL(d.Page) }

// pageLink is one RFC 5005 paging link.
type pageLink struct {
	Rel, Href string
}

// PageLinks are the RFC 5005 links: first and last always, previous and
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

// Title is the site's title, then the category's and language's names.
func (d *Document) Title() string {
	t := d.Site.Title
	cat, lang := d.CategoryName(), d.LanguageName()
	switch {
	case cat != "" && lang != "":
		t += " — " + cat + " (" + lang + ")"
	case cat != "":
		t += " — " + cat
	case lang != "":
		t += " — " + lang
	}
	return t
}

// CategoryName is the display name of the view's category, or "".
func (d *Document) CategoryName() string { return d.Site.CategoryName(d.View) }

// LanguageName is the display name of the view's language, or "".
func (d *Document) LanguageName() string { return d.Site.LanguageName(d.View) }

// CategoryName is the configured name of v's category, else the name posts
// give it; "" when v is not a category view.
func (site *Site) CategoryName(v *View) string {
	if v.Key.Category == "" {
		return ""
	}
	if n, ok := site.CategoryNames[v.Key.Category]; ok {
		return n
	}
	return v.CategoryName
}

// LanguageName is the configured name of v's language, else its tag; ""
// when v is not a language view.
func (site *Site) LanguageName(v *View) string {
	if v.Key.Language == "" {
		return ""
	}
	if n, ok := site.LanguageNames[v.Key.Language]; ok {
		return n
	}
	return v.Language
}

// Language is the document's language: the view's, else the site's.
func (d *Document) Language() string {
	if d.View.Language != "" {
		return d.View.Language
	}
	return d.Site.Language
}

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
// removal of a post from its feed seen by this process.
func (d *Document) LastModified() time.Time {
	t := d.Updated()
	if d.View.RemovedAt.After(t) {
		t = d.View.RemovedAt
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

// Render writes the document in its format.
func (d *Document) Render(w io.Writer) error {
	switch d.Format {
	case RSS:
		return d.renderRSS(w)
	case Atom:
		return d.renderAtom(w)
	case JSONFeed:
		return d.renderJSON(w)
	}
	return fmt.Errorf("unknown format %d", d.Format)
}
