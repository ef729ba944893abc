package feed

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/feeds"
)

// gorillaFeed is the document as gorilla/feeds sees it: the common ground
// of the three formats, which each format's converter then completes.
func (d *Document) gorillaFeed() (*feeds.Feed, error) {
	f := &feeds.Feed{
		Title:       d.Title(),
		Link:        &feeds.Link{Href: d.Site.Link},
		Description: d.description(),
		Author:      &feeds.Author{Name: d.feedAuthor()},
		Updated:     d.Updated(),
	}
	if d.Site.Icon != "" {
		f.Image = &feeds.Image{Url: d.Site.Icon, Title: f.Title, Link: d.Site.Link}
	}
	for _, p := range d.Posts {
		content, err := p.HTML()
		if err != nil {
			return nil, err
		}
		it := &feeds.Item{
			Title:       p.Title,
			Link:        &feeds.Link{Href: p.Link},
			Description: p.Summary,
			Id:          p.ID,
			IsPermaLink: "false",
			Created:     p.Date,
			Updated:     p.Updated,
			Content:     content,
		}
		if p.Image != "" {
			// gorilla/feeds drops an RSS enclosure without a length, which is
			// right: RSS requires one and the W3C validator refuses 0. Atom's
			// enclosure link takes the image with or without it.
			it.Enclosure = &feeds.Enclosure{Url: p.Image, Type: p.ImageType}
			if p.ImageLength > 0 {
				it.Enclosure.Length = strconv.FormatInt(p.ImageLength, 10)
			}
		}
		f.Items = append(f.Items, it)
	}
	return f, nil
}

// description is the feed's description: the site's, else its title.
func (d *Document) description() string {
	desc := d.Site.Description
	if desc == "" {
		desc = d.Site.Title
	}
	if extra := strings.TrimPrefix(d.Title(), d.Site.Title); extra != "" {
		desc += extra
	}
	return desc
}

// feedID is the Atom feed id: the feed's URL without paging, unique to each
// feed and the same on every page of it.
func (d *Document) feedID() string { return d.Site.BaseURL + d.View.Key.Path(d.Format) }

// AtomID is the Atom entry id of a post: a tag URI (RFC 4151) from the
// base URL's host, the day of the post's date and its id, so it does not
// change when the post is edited.
func (site *Site) AtomID(p *Post) string {
	host := "localhost"
	if u, err := url.Parse(site.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	segs := strings.Split(p.ID, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "tag:" + host + "," + p.Date.UTC().Format("2006-01-02") + ":" + strings.Join(segs, "/")
}

// Terms are a post's category names then its tags, each once: the item's
// categories in RSS and Atom, its tags in JSON Feed.
func (p *Post) Terms() []string {
	names := make([]string, 0, len(p.Categories)+len(p.Tags))
	for _, c := range p.Categories {
		names = append(names, c.Name)
	}
	return cleanList(append(names, p.Tags...))
}
