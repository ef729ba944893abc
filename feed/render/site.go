// Package render makes the documents feedd serves from a snapshot of the
// posts: RSS 2.0, Atom 1.0 and JSON Feed 1.1 through gorilla/feeds, the
// OPML list of every feed, and the HTML index page. It knows nothing of
// HTTP: the server decides which document a request names, caches and
// compresses what it renders.
package render

import (
	"io"
	"strings"
	"time"

	"github.com/feedd/feedd/feed"
)

// Site is what every document shows of the site (the config's site,
// categories, languages, websub, and the page size).
type Site struct {
	Title       string
	Description string
	BaseURL     string // absolute, no trailing slash; the public URL of this service
	Link        string // the site the feeds are about
	Language    string // canonical tag
	Author      string
	Icon        string
	// IDDate is the day in Atom entry ids (tag:HOST,IDDATE:ID), a day on
	// which the publisher held the base URL's host: "2024-01-01".
	IDDate string
	// Location is the zone the index page shows dates in (site.timezone).
	Location *time.Location
	// Names are display names by facet, then by value key (the config's
	// categories and languages); a value not named there shows as posts
	// spell it.
	Names map[*feed.Facet]map[string]string
	// Limit is the default page size: a document's URL names its limit
	// only when it is another.
	Limit int
	TTL   time.Duration // how long a reader may keep a document: RSS <ttl>
	Hubs  []string      // WebSub hubs
}

// A Format is a feed format: its name, its file name in URLs, its media
// type, and how a document is written in it.
type Format struct {
	Name        string // for people: "JSON Feed"
	File        string // "feed.json"
	ContentType string // with its charset
	render      func(d *Document, w io.Writer) error
}

// The formats feedd serves.
var (
	RSS      = &Format{Name: "RSS", File: "rss.xml", ContentType: "application/rss+xml; charset=utf-8", render: renderRSS}
	Atom     = &Format{Name: "Atom", File: "atom.xml", ContentType: "application/atom+xml; charset=utf-8", render: renderAtom}
	JSONFeed = &Format{Name: "JSON Feed", File: "feed.json", ContentType: "application/feed+json; charset=utf-8", render: renderJSON}
	// Formats lists them in the order feeds are listed.
	Formats = []*Format{RSS, Atom, JSONFeed}
)

// FormatByFile finds the format of a feed URL's file name.
func FormatByFile(name string) (*Format, bool) {
	for _, f := range Formats {
		if f.File == name {
			return f, true
		}
	}
	return nil, false
}

// mediaType is the format's media type without parameters.
func (f *Format) mediaType() string {
	t, _, _ := strings.Cut(f.ContentType, ";")
	return t
}

// URL is the public URL of view key's feed in format f.
func (site *Site) URL(key feed.ViewKey, f *Format) string {
	return site.BaseURL + key.Dir() + f.File
}

// ValueName is the display name of v's value of facet f: the configured
// one, else how posts spell it; "" when v's kind has no f.
func (site *Site) ValueName(v *feed.View, f *feed.Facet) string {
	spelling, ok := v.Name(f)
	if !ok {
		return ""
	}
	key, _ := v.Key.Value(f)
	if n, ok := site.Names[f][key]; ok {
		return n
	}
	return spelling
}

// ViewName names a feed for people: its last facet's value, with the
// others in parentheses ("Business (ខ្មែរ)"); "" for the feed of every
// post.
func (site *Site) ViewName(v *feed.View) string { return site.viewName(v, site.ValueName) }

// viewName is ViewName with each facet's value named by name.
func (site *Site) viewName(v *feed.View, name func(*feed.View, *feed.Facet) string) string {
	fs := v.Key.Kind.Facets
	if len(fs) == 0 {
		return ""
	}
	s := name(v, fs[len(fs)-1])
	for i := len(fs) - 2; i >= 0; i-- {
		s += " (" + name(v, fs[i]) + ")"
	}
	return s
}

// FeedTitle is the site's title, then the feed's name.
func (site *Site) FeedTitle(v *feed.View) string {
	if n := site.ViewName(v); n != "" {
		return site.Title + " — " + n
	}
	return site.Title
}

// language is a feed's language: its view's, else the site's.
func (site *Site) language(v *feed.View) string {
	if l, ok := v.Name(feed.ByLanguage); ok && l != "" {
		return l
	}
	return site.Language
}
