package render

import (
	"strconv"

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
