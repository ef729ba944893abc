package parse

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/text"
)

// Permalink is site.permalink: the URL of a post on the site, from a
// template with placeholders for the post's file, code and date.
type Permalink struct {
	parts []permalinkPart
	site  *url.URL // its scheme and host, with the path "/"
}

// permalinkPart is literal text, or a placeholder when fill is set.
type permalinkPart struct {
	text string
	fill func(p *feed.Post, loc *time.Location) string
}

// permalinkFields are the placeholders: {path} is the file's path without
// its extension, {name} its name without extension, {code} the post's id,
// {year}, {month} and {day} its date's, in the site's time zone.
var permalinkFields = map[string]func(p *feed.Post, loc *time.Location) string{
	"path":  func(p *feed.Post, _ *time.Location) string { return text.EscapePath(withoutExt(p.Path)) },
	"name":  func(p *feed.Post, _ *time.Location) string { return url.PathEscape(path.Base(withoutExt(p.Path))) },
	"code":  func(p *feed.Post, _ *time.Location) string { return text.EscapePath(p.ID) },
	"year":  func(p *feed.Post, loc *time.Location) string { return p.Date.In(loc).Format("2006") },
	"month": func(p *feed.Post, loc *time.Location) string { return p.Date.In(loc).Format("01") },
	"day":   func(p *feed.Post, loc *time.Location) string { return p.Date.In(loc).Format("02") },
}

// NewPermalink reads a permalink template. It must be an absolute http(s)
// URL once filled in, whose scheme and host hold no placeholder, and name
// only the placeholders above, {path}, {name} or {code} among them (the
// others do not tell posts apart).
func NewPermalink(template string) (*Permalink, error) {
	pl := &Permalink{}
	rest := template
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			pl.parts = append(pl.parts, permalinkPart{text: rest})
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%q: a { without its }", template)
		}
		name := rest[open+1 : open+end]
		fill, ok := permalinkFields[name]
		if !ok {
			return nil, fmt.Errorf("%q: unknown placeholder {%s}; want {path}, {name}, {code}, {year}, {month} or {day}", template, name)
		}
		pl.parts = append(pl.parts, permalinkPart{text: rest[:open]}, permalinkPart{fill: fill})
		rest = rest[open+end+1:]
	}
	if !strings.Contains(template, "{path}") && !strings.Contains(template, "{name}") && !strings.Contains(template, "{code}") {
		return nil, fmt.Errorf("%q names neither {path}, {name} nor {code}: every post would share a link", template)
	}
	sample := &feed.Post{Path: "2024/sample.md", ID: "ART1", Date: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}
	u, err := absoluteHTTP(nil, pl.fill(sample, time.UTC))
	if err != nil || !strings.HasPrefix(pl.parts[0].text, u.Scheme+"://"+u.Host) {
		return nil, fmt.Errorf("%q: want an absolute http(s) URL with placeholders after its host", template)
	}
	pl.site = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}
	return pl, nil
}

// fill is the permalink of p.
func (pl *Permalink) fill(p *feed.Post, loc *time.Location) string {
	var b strings.Builder
	for _, part := range pl.parts {
		if part.fill != nil {
			b.WriteString(part.fill(p, loc))
		} else {
			b.WriteString(part.text)
		}
	}
	return b.String()
}

// withoutExt is a path without its file's extension.
func withoutExt(p string) string { return strings.TrimSuffix(p, path.Ext(p)) }
