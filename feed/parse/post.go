// Package parse reads a post file's bytes into a feed.Post: the front
// matter (plain key: value lines by a small reader of its own, anything
// else by yaml.v3), dates, language tags, links and images, categories,
// tags and authors, and the Markdown body, rendered or kept to render
// when first read. It reads no files: the watcher gives it their bytes.
package parse

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unique"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/text"
	"gopkg.in/yaml.v3"
)

// Options are the site settings a post's parsing depends on.
type Options struct {
	// The link of a post without origin_url is Permalink filled in for
	// the post; without one, SiteLink (site.link, when configured) and the
	// file's path without extension; without either, BaseURL (feedd's
	// own public URL) and that path, which feedd does not serve.
	Permalink *Permalink
	SiteLink  *url.URL
	BaseURL   *url.URL
	// WarnSelfLinks makes such a link to feedd itself a warning (check).
	WarnSelfLinks bool
	Location      *time.Location // zone of dates written without one
	Language      string         // language of posts without `language`
	MaxSize       int            // larger files are bad posts; 0 means DefaultMaxSize
	// DeferBodies leaves the Markdown body of a post that has a
	// description to be rendered when it is first needed: a start-up scan
	// of a large archive then reads only what feeds list. (A post without
	// one is rendered at once: its summary comes from its body.)
	DeferBodies bool
}

// DefaultMaxSize is the largest post accepted unless configured otherwise.
const DefaultMaxSize = 8 << 20

func (o Options) maxSize() int {
	if o.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return o.MaxSize
}

// Error says why a post cannot be used: the file's path, the line where
// there is one, and the reason.
type Error struct {
	Path   string
	Line   int
	Reason string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Reason)
}

// fieldError is a problem on a line of a post's file.
type fieldError struct {
	line int
	msg  string
}

func (e *fieldError) Error() string { return e.msg }

func badLine(line int, format string, args ...any) error {
	return &fieldError{line: line, msg: fmt.Sprintf(format, args...)}
}

// Post reads a post from its file's bytes. relPath is the file's path
// relative to the posts directory, with "/" separators. A post that cannot
// be used gives an *Error.
func Post(relPath string, data []byte, modTime time.Time, opt Options) (*feed.Post, error) {
	p, err := parse(relPath, data, modTime, opt)
	if err == nil {
		return p, nil
	}
	pe := &Error{Path: relPath, Reason: err.Error()}
	if fe, ok := err.(*fieldError); ok {
		pe.Line = fe.line
	}
	return nil, pe
}

func parse(relPath string, data []byte, modTime time.Time, opt Options) (*feed.Post, error) {
	if err := checkFile(data, opt.maxSize()); err != nil {
		return nil, err
	}
	front, md, bodyLine, err := splitFrontMatter(bytes.TrimPrefix(data, []byte("\ufeff")))
	if err != nil {
		return nil, err
	}
	fm, err := readFrontMatter(front)
	if err != nil {
		return nil, err
	}
	r := &postReader{fm: fm, opt: opt, p: &feed.Post{Path: relPath, ModTime: modTime}}
	steps := []func() error{r.status, r.title, r.dates, r.language, r.id, r.link, r.image, r.terms, r.categories, r.people, r.summary}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := r.body(md, bodyLine); err != nil {
		return nil, err
	}
	pack(r.p)
	return r.p, nil
}

// checkFile refuses files too large or not UTF-8.
func checkFile(data []byte, max int) error {
	if len(data) > max {
		return fmt.Errorf("larger than the limit of %d bytes", max)
	}
	if !utf8.Valid(data) {
		off := firstInvalidUTF8(data)
		return badLine(1+bytes.Count(data[:off], []byte("\n")), "not UTF-8 (invalid byte at offset %d)", off)
	}
	return nil
}

// postReader fills a Post from front matter, one field at a time.
type postReader struct {
	fm  *frontMatter
	opt Options
	p   *feed.Post
}

// warn notes a problem that does not make the post bad.
func (r *postReader) warn(format string, args ...any) {
	r.p.Warnings = append(r.p.Warnings, fmt.Sprintf(format, args...))
}

// text reads key's single value, "" when it is absent or null.
func (r *postReader) text(key string) (string, int, error) {
	v, ok := r.fm.get(key)
	if !ok {
		return "", 0, nil
	}
	s, err := r.fm.scalar(v)
	if err != nil {
		return "", r.fm.line(v), badLine(r.fm.line(v), "%s: %v", key, err)
	}
	return s, r.fm.line(v), nil
}

// status reads draft and published.
func (r *postReader) status() error {
	for _, key := range []string{"draft", "published"} {
		v, ok := r.fm.get(key)
		if !ok {
			continue
		}
		b, err := r.fm.boolean(v)
		if err != nil {
			return badLine(r.fm.line(v), "%s: %v", key, err)
		}
		r.p.Draft = r.p.Draft || b == (key == "draft")
	}
	return nil
}

func (r *postReader) title() error {
	s, _, err := r.text("title")
	if err != nil {
		return err
	}
	if r.p.Title = text.PlainText(s); r.p.Title == "" {
		return badLine(1, "missing title")
	}
	return nil
}

// dates reads date and updated; updated is never before date.
func (r *postReader) dates() error {
	v, ok := r.fm.get("date")
	if !ok {
		return badLine(1, "missing date")
	}
	var err error
	if r.p.Date, err = r.fm.date(v, r.opt.Location); err != nil {
		return badLine(r.fm.line(v), "date: %v", err)
	}
	r.p.Updated = r.p.Date
	if v, ok := r.fm.get("updated"); ok {
		u, err := r.fm.date(v, r.opt.Location)
		if err != nil {
			return badLine(r.fm.line(v), "updated: %v", err)
		}
		if u.After(r.p.Date) {
			r.p.Updated = u
		}
	}
	return nil
}

func (r *postReader) language() error {
	r.p.Language = cmp.Or(r.opt.Language, "en")
	s, line, err := r.text("language")
	if err != nil || strings.TrimSpace(s) == "" {
		return err
	}
	if r.p.Language, err = Language(text.XMLSafe(s)); err != nil {
		return badLine(line, "language: %v", err)
	}
	return nil
}

// id reads code; a post without one takes its path without extension.
func (r *postReader) id() error {
	s, _, err := r.text("code")
	if err != nil {
		return err
	}
	r.p.ID = text.PlainText(s)
	if r.p.HasCode = r.p.ID != ""; !r.p.HasCode {
		r.p.ID = withoutExt(r.p.Path)
		r.warn("no code: the item id is derived from the file's path, and changes if the file moves")
	}
	return nil
}

func (r *postReader) link() error {
	s, line, err := r.text("origin_url")
	if err != nil {
		return err
	}
	if s = strings.TrimSpace(text.XMLSafe(s)); s != "" {
		u, err := absoluteHTTP(r.opt.siteDir(), s) // a relative origin_url is on the site
		if err != nil {
			return badLine(line, "origin_url: %v", err)
		}
		r.p.Link = u.String()
	} else {
		switch {
		case r.opt.Permalink != nil:
			s = r.opt.Permalink.fill(r.p, cmp.Or(r.opt.Location, time.UTC))
		case r.opt.SiteLink != nil:
			s = pathUnder(r.opt.SiteLink, r.p.Path)
		default:
			s = pathUnder(r.opt.BaseURL, r.p.Path)
		}
		u, err := absoluteHTTP(nil, s)
		if err != nil {
			return badLine(line, "link: %v", err)
		}
		r.p.Link = u.String()
	}
	if r.opt.WarnSelfLinks && !r.p.Draft && under(r.p.Link, r.opt.BaseURL) {
		r.warn("the item links to %s, under base_url: feedd does not serve it; give the post an origin_url on the site, or set site.permalink or site.link", r.p.Link)
	}
	return nil
}

// siteDir is what a relative origin_url resolves against: site.link as a
// directory, else the permalink's scheme and host, else base_url as a
// directory.
func (o Options) siteDir() *url.URL {
	base := o.SiteLink
	switch {
	case base == nil && o.Permalink != nil:
		return o.Permalink.site
	case base == nil:
		base = o.BaseURL
	}
	if base == nil || strings.HasSuffix(base.Path, "/") {
		return base
	}
	dir := *base
	dir.Path += "/"
	if dir.RawPath != "" {
		dir.RawPath += "/"
	}
	return &dir
}

// under says whether link is base or below it.
func under(link string, base *url.URL) bool {
	if base == nil {
		return false
	}
	b := strings.TrimSuffix(base.String(), "/")
	return link == b || strings.HasPrefix(link, b+"/") || strings.HasPrefix(link, b+"?") || strings.HasPrefix(link, b+"#")
}

// image reads image and image_length; a bad image is left out with a
// warning.
func (r *postReader) image() error {
	s, line, err := r.text("image")
	if err != nil {
		return err
	}
	if s = strings.TrimSpace(text.XMLSafe(s)); s == "" {
		return nil
	}
	link, _ := url.Parse(r.p.Link)
	u, err := absoluteHTTP(link, s)
	if err != nil {
		r.warn("line %d: image left out: %v", line, err)
		return nil
	}
	r.p.Image, r.p.ImageType = u.String(), imageType(u.Path)
	if v, ok := r.fm.get("image_length"); ok {
		s, err := r.fm.scalar(v)
		n, convErr := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || convErr != nil || n <= 0 {
			r.warn("line %d: image_length %q is not a positive whole number of bytes; left out", r.fm.line(v), s)
		} else {
			r.p.ImageLength = n
		}
	}
	return nil
}

// MaxTerms is the most categories and tags a post may name together:
// each category is a feed, and every feed is listed in the index page and
// the OPML list, so one post must not add thousands of them.
const MaxTerms = 100

// terms refuses a post that names more than MaxTerms categories and tags
// together (counting every entry as written), before any is read: the
// refusal costs no more than the YAML did.
func (r *postReader) terms() error {
	n, line := 0, 0
	for _, key := range []string{"category", "categories", "tags"} {
		v, ok := r.fm.get(key)
		if !ok {
			continue
		}
		if d := deref(v); d.Kind == yaml.SequenceNode {
			n += len(d.Content)
		} else {
			n++
		}
		line = r.fm.line(v)
	}
	if n > MaxTerms {
		return badLine(line, "%d categories and tags; a post may name at most %d", n, MaxTerms)
	}
	return nil
}

// categories reads category and categories, each a name or a list.
func (r *postReader) categories() error {
	for _, key := range []string{"category", "categories"} {
		names, line, err := r.list(key)
		if err != nil {
			return err
		}
		for _, name := range names {
			slug := text.Slug(name)
			switch {
			case slug == "":
				r.warn("line %d: category %q has no letters or digits and is left out", line, name)
			case !hasCategory(r.p.Categories, slug):
				r.p.Categories = append(r.p.Categories, feed.Category{Slug: slug, Name: name})
			}
		}
	}
	return nil
}

// people reads tags, author and authors.
func (r *postReader) people() error {
	tags, _, err := r.list("tags")
	if err != nil {
		return err
	}
	r.p.Tags = tags
	for _, key := range []string{"author", "authors"} {
		names, _, err := r.list(key)
		if err != nil {
			return err
		}
		r.p.Authors = cleanList(append(r.p.Authors, names...))
	}
	return nil
}

// list reads key's value or list of values as plain text, empty and
// repeated ones left out.
func (r *postReader) list(key string) ([]string, int, error) {
	v, ok := r.fm.get(key)
	if !ok {
		return nil, 0, nil
	}
	names, err := r.fm.list(v)
	if err != nil {
		return nil, 0, badLine(r.fm.line(v), "%s: %v", key, err)
	}
	return cleanList(names), r.fm.line(v), nil
}

func (r *postReader) summary() error {
	s, _, err := r.text("description")
	r.p.Summary = text.PlainText(s)
	return err
}

// body renders the Markdown body, or keeps it for later (DeferBodies); a
// post without a description takes its summary from the body's text.
func (r *postReader) body(md []byte, line int) error {
	p := r.p
	if r.opt.DeferBodies && p.Summary != "" {
		p.Body = feed.MarkdownBody(md)
		return nil
	}
	link, _ := url.Parse(p.Link)
	html, plain, err := text.Markdown(md, link, p.Summary == "")
	if err != nil {
		return badLine(line, "markdown: %v", err)
	}
	if p.Summary == "" {
		p.Summary = cmp.Or(text.Truncate(plain, 300), p.Title)
	}
	p.Body = feed.HTMLBody(html, p.Summary)
	return nil
}

// pack lays out a post's own strings in one allocation, and shares the
// language with every post that names it: a parsed post is a few objects,
// not a dozen, while a start-up scan holds every post of the archive
// until the set takes them.
func pack(p *feed.Post) {
	own := []*string{&p.Path, &p.ID, &p.Title, &p.Summary, &p.Link, &p.Image}
	for i := range p.Tags {
		own = append(own, &p.Tags[i])
	}
	for i := range p.Authors {
		own = append(own, &p.Authors[i])
	}
	n := 0
	for _, f := range own {
		n += len(*f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range own {
		b.WriteString(*f)
	}
	arena := b.String()
	for _, f := range own {
		l := len(*f)
		*f, arena = arena[:l], arena[l:]
	}
	p.Language = unique.Make(p.Language).Value()
}

func hasCategory(cs []feed.Category, slug string) bool {
	for _, c := range cs {
		if c.Slug == slug {
			return true
		}
	}
	return false
}

// cleanList folds white space in each name and drops empty and repeated ones.
func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = text.PlainText(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}
