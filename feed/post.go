package feed

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unique"

	"gopkg.in/yaml.v3"
)

// Post is one article, parsed and ready for every feed it belongs to. A Post
// is never changed once parsed: an edit makes a new one.
type Post struct {
	Path    string // relative to the posts directory, "/"-separated
	ID      string // the `code`, or derived from Path when there is none
	HasCode bool
	Title   string // plain text
	Summary string // plain text
	// Content is the body as HTML, with absolute URLs, when it is kept in
	// memory; with a BodyStore it is "" and HTML reads it from there.
	Content string
	// body is the body in a BodyStore (store set), or none (store nil):
	// held in the Post rather than pointed to, which would be one more
	// object per post for every garbage collection to mark.
	body      Body
	Link      string // absolute URL
	Image     string // absolute URL, or ""
	ImageType string // MIME type guessed from Image's extension
	// ImageLength is the image's size in bytes from `image_length`, 0 when
	// unknown; RSS gets an enclosure only when it is known.
	ImageLength int64
	Categories  []Category
	Tags        []string
	Language    string // canonical BCP 47 tag
	Authors     []string
	Date        time.Time
	Updated     time.Time // never before Date
	ModTime     time.Time // the file's modification time
	Draft       bool      // draft: true or published: false
	Warnings    []string  // problems that did not make the post bad
}

// Category is a category as a post names it, with its URL slug.
type Category struct {
	Slug string
	Name string
}

// LanguageKey is the language in the form used in URLs and view keys.
func (p *Post) LanguageKey() string { return strings.ToLower(p.Language) }

// ParseOptions are the site settings a post's parsing depends on.
type ParseOptions struct {
	BaseURL  *url.URL       // links of posts without origin_url
	Location *time.Location // zone of dates written without one
	Language string         // language of posts without `language`
	MaxSize  int            // larger files are bad posts; 0 means DefaultMaxSize
	// Bodies, when set, keeps rendered bodies out of memory.
	Bodies *BodyStore
	// DeferBodies leaves the Markdown of posts with a description to be
	// rendered when first needed, from the file (Bodies, with a ReadPost,
	// required): a start-up scan of a large archive then reads only what
	// feeds list.
	DeferBodies bool
}

// DefaultMaxSize is the largest post accepted unless configured otherwise.
const DefaultMaxSize = 8 << 20

// PostError says why a post cannot be used: the file's path, the line where
// there is one, and the reason.
type PostError struct {
	Path   string
	Line   int
	Reason string
}

func (e *PostError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Reason)
}

// Parse reads a post from its file's bytes. relPath is the file's path
// relative to the posts directory, with "/" separators. A post that cannot be
// used gives a *PostError.
func Parse(relPath string, data []byte, modTime time.Time, opt ParseOptions) (*Post, error) {
	bad := func(line int, format string, args ...any) (*Post, error) {
		return nil, &PostError{Path: relPath, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	max := opt.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	if len(data) > max {
		return bad(0, "larger than the limit of %d bytes", max)
	}
	if !utf8.Valid(data) {
		off := firstInvalidUTF8(data)
		return bad(1+bytes.Count(data[:off], []byte("\n")), "not UTF-8 (invalid byte at offset %d)", off)
	}
	fileLen := len(data)
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	front, body, bodyLine, ok := splitFrontMatter(data)
	if !ok {
		if front == nil {
			return bad(1, "no front matter: the file must start with a \"---\" line")
		}
		return bad(1, "front matter not closed: no \"---\" line after it")
	}
	fm, err := readFrontMatter(front)
	if err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return bad(fe.line, "%s", fe.msg)
		}
		return bad(0, "%s", err.Error())
	}

	p := &Post{Path: relPath, ModTime: modTime}
	if v, ok := fm.get("draft"); ok {
		b, err := fm.boolean(v)
		if err != nil {
			return bad(fm.line(v), "draft: %v", err)
		}
		p.Draft = b
	}
	if v, ok := fm.get("published"); ok {
		b, err := fm.boolean(v)
		if err != nil {
			return bad(fm.line(v), "published: %v", err)
		}
		p.Draft = p.Draft || !b
	}

	titleNode, ok := fm.get("title")
	if ok {
		s, err := fm.scalar(titleNode)
		if err != nil {
			return bad(fm.line(titleNode), "title: %v", err)
		}
		p.Title = plainText(s)
	}
	if p.Title == "" {
		return bad(1, "missing title")
	}

	dateNode, ok := fm.get("date")
	if !ok {
		return bad(1, "missing date")
	}
	if p.Date, err = fm.date(dateNode, opt.Location); err != nil {
		return bad(fm.line(dateNode), "date: %v", err)
	}
	p.Updated = p.Date
	if v, ok := fm.get("updated"); ok {
		u, err := fm.date(v, opt.Location)
		if err != nil {
			return bad(fm.line(v), "updated: %v", err)
		}
		if u.After(p.Date) {
			p.Updated = u
		}
	}

	p.Language = opt.Language
	if v, ok := fm.get("language"); ok {
		s, err := fm.scalar(v)
		if err != nil {
			return bad(fm.line(v), "language: %v", err)
		}
		if strings.TrimSpace(s) != "" {
			if p.Language, err = CanonicalLanguage(XMLSafe(s)); err != nil {
				return bad(fm.line(v), "language: %v", err)
			}
		}
	}
	if p.Language == "" {
		p.Language = "en"
	}

	if v, ok := fm.get("code"); ok {
		s, err := fm.scalar(v)
		if err != nil {
			return bad(fm.line(v), "code: %v", err)
		}
		p.ID = plainText(s)
		p.HasCode = p.ID != ""
	}
	if !p.HasCode {
		p.ID = strings.TrimSuffix(relPath, path.Ext(relPath))
		p.Warnings = append(p.Warnings, "no code: the item id is derived from the file's path, and changes if the file moves")
	}

	if v, ok := fm.get("origin_url"); ok {
		s, err := fm.scalar(v)
		if err != nil {
			return bad(fm.line(v), "origin_url: %v", err)
		}
		if s = strings.TrimSpace(XMLSafe(s)); s != "" {
			u, err := absoluteHTTP(opt.BaseURL, s)
			if err != nil {
				return bad(fm.line(v), "origin_url: %v", err)
			}
			p.Link = u.String()
		}
	}
	if p.Link == "" {
		p.Link = defaultLink(opt.BaseURL, relPath)
	}
	link, _ := url.Parse(p.Link)

	if v, ok := fm.get("image"); ok {
		s, err := fm.scalar(v)
		if err != nil {
			return bad(fm.line(v), "image: %v", err)
		}
		if s = strings.TrimSpace(XMLSafe(s)); s != "" {
			if u, err := absoluteHTTP(link, s); err != nil {
				p.Warnings = append(p.Warnings, fmt.Sprintf("line %d: image left out: %v", fm.line(v), err))
			} else {
				p.Image = u.String()
				p.ImageType = imageType(u.Path)
			}
		}
	}

	if v, ok := fm.get("image_length"); ok && p.Image != "" {
		s, err := fm.scalar(v)
		n, convErr := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || convErr != nil || n <= 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("line %d: image_length %q is not a positive whole number of bytes; left out", fm.line(v), s))
		} else {
			p.ImageLength = n
		}
	}

	for _, key := range []string{"category", "categories"} {
		v, ok := fm.get(key)
		if !ok {
			continue
		}
		names, err := fm.list(v)
		if err != nil {
			return bad(fm.line(v), "%s: %v", key, err)
		}
		for _, name := range names {
			name = plainText(name)
			slug := Slug(name)
			if slug == "" {
				if name != "" {
					p.Warnings = append(p.Warnings, fmt.Sprintf("line %d: category %q has no letters or digits and is left out", fm.line(v), name))
				}
				continue
			}
			if !hasCategory(p.Categories, slug) {
				p.Categories = append(p.Categories, Category{Slug: slug, Name: name})
			}
		}
	}
	if v, ok := fm.get("tags"); ok {
		tags, err := fm.list(v)
		if err != nil {
			return bad(fm.line(v), "tags: %v", err)
		}
		p.Tags = cleanList(tags)
	}
	for _, key := range []string{"author", "authors"} {
		if v, ok := fm.get(key); ok {
			names, err := fm.list(v)
			if err != nil {
				return bad(fm.line(v), "%s: %v", key, err)
			}
			p.Authors = cleanList(append(p.Authors, names...))
		}
	}

	if v, ok := fm.get("description"); ok {
		s, err := fm.scalar(v)
		if err != nil {
			return bad(fm.line(v), "description: %v", err)
		}
		p.Summary = plainText(s)
	}
	if opt.Bodies != nil && opt.DeferBodies && p.Summary != "" {
		opt.Bodies.deferInto(&p.body, body, fileLen-len(body))
		p.pack()
		return p, nil
	}
	content, plain, err := renderMarkdown(body, link, p.Summary == "")
	if err != nil {
		return bad(bodyLine, "markdown: %v", err)
	}
	if p.Summary == "" {
		p.Summary = truncateWords(plain, 300)
	}
	if p.Summary == "" {
		p.Summary = p.Title
	}
	p.Content = finishBody(content, p.Summary)
	if opt.Bodies != nil {
		if err := opt.Bodies.putInto(&p.body, []byte(p.Content)); err == nil {
			p.Content = ""
		}
	}
	p.pack()
	return p, nil
}

// pack lays out the post's own strings in one allocation, and shares the
// names many posts repeat (categories, language) with every post that
// names them: a parsed post is a few objects, not a dozen, for as long as
// it lives (a Set keeps its own copy, as a record).
func (p *Post) pack() {
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
	p.Categories = shareCategories(p.Categories)
	p.Language = unique.Make(p.Language).Value()
}

// categorySets holds one []Category for each list of categories posts
// give: most posts of an archive name one of a few lists, and sharing it
// spares the collector an object and two pointers per post. Lists are
// never modified once shared; one no post names any more stays (a few
// bytes each).
var categorySets sync.Map // the list's names, NUL-separated -> []Category

func shareCategories(cs []Category) []Category {
	if len(cs) == 0 {
		return nil
	}
	return categoriesByKey(catKey(cs))
}

// categoriesByKey is the shared list catKey wrote as key.
func categoriesByKey(key string) []Category {
	if key == "" {
		return nil
	}
	if v, ok := categorySets.Load(key); ok {
		return v.([]Category)
	}
	var shared []Category
	eachCategory(key, func(slug, name string) bool {
		shared = append(shared, Category{Slug: unique.Make(slug).Value(), Name: unique.Make(name).Value()})
		return true
	})
	v, _ := categorySets.LoadOrStore(strings.Clone(key), shared)
	return v.([]Category)
}

// renderBody renders a post's Markdown body as its item content.
func renderBody(md []byte, link *url.URL, summary string) (string, error) {
	content, _, err := renderMarkdown(md, link, false)
	if err != nil {
		return "", err
	}
	return finishBody(content, summary), nil
}

// finishBody makes rendered HTML safe for XML; an empty body gives the
// summary as one paragraph, so that every item has content.
func finishBody(content, summary string) string {
	content = strings.TrimSpace(XMLSafe(content))
	if content == "" {
		return summaryParagraph(summary)
	}
	return content
}

func summaryParagraph(summary string) string {
	return "<p>" + html.EscapeString(summary) + "</p>"
}

// HTML is the post's body as HTML, read from its BodyStore if it is kept
// in one.
func (p *Post) HTML() (string, error) {
	if p.body.store == nil {
		return p.Content, nil
	}
	return p.body.html(p)
}

// StoredBody is the post's body in a BodyStore, or nil when it is in
// memory.
func (p *Post) StoredBody() *Body {
	if p.body.store == nil {
		return nil
	}
	return &p.body
}

func hasCategory(cs []Category, slug string) bool {
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
	seen := map[string]bool{}
	for _, s := range in {
		s = plainText(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// absoluteHTTP resolves s against base and insists on an http(s) URL. The
// result is normalized: characters a URL may not hold (spaces, quotes,
// "<", ">", non-ASCII) are percent-encoded in every part.
func absoluteHTTP(base *url.URL, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (strings.HasPrefix(s, "//") && u.Host == "") {
		return nil, fmt.Errorf("not a URL: %q", s)
	}
	if !u.IsAbs() && base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("not an absolute http(s) URL: %q", s)
	}
	u.Host = strings.ToLower(u.Host)
	u.RawQuery = escapeURLPart(u.RawQuery)
	if u.Fragment != "" {
		u.RawFragment = escapeURLPart(u.EscapedFragment())
	}
	return url.Parse(u.String()) // the parts now agree; the parse cannot fail
}

// escapeURLPart percent-encodes the bytes RFC 3986 does not allow in a
// query or fragment, leaving existing escapes alone.
func escapeURLPart(s string) string {
	const allowed = "-._~!$&'()*+,;=:@/?%"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(allowed, c) >= 0 && c != 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// defaultLink is the link of a post without origin_url: the base URL and the
// file's path without its extension.
func defaultLink(base *url.URL, relPath string) string {
	segs := strings.Split(strings.TrimSuffix(relPath, path.Ext(relPath)), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	b := "http://localhost"
	if base != nil {
		b = strings.TrimSuffix(base.String(), "/")
	}
	return b + "/" + strings.Join(segs, "/")
}

// imageTypes maps image file extensions to MIME types. A fixed table, not
// the system's, so every replica writes the same bytes.
var imageTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
	".svg": "image/svg+xml", ".bmp": "image/bmp", ".tif": "image/tiff",
	".tiff": "image/tiff", ".ico": "image/x-icon",
}

// imageType guesses an image's MIME type from its URL path; news images
// without an extension are most often JPEG.
func imageType(p string) string {
	if t, ok := imageTypes[strings.ToLower(path.Ext(p))]; ok {
		return t
	}
	return "image/jpeg"
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

// splitFrontMatter separates the YAML between the opening "---" line and
// the closing "---" (or "...") line from the body. bodyLine is the body's
// first line number. front is nil when the file does not open with "---".
func splitFrontMatter(data []byte) (front, body []byte, bodyLine int, ok bool) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if string(bytes.TrimRight(line, " \t\r")) != "---" {
		return nil, nil, 0, false
	}
	start := len(line) + 1
	n := 2
	for off := start; off < len(data); n++ {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		l := string(bytes.TrimRight(data[off:next], " \t\r\n"))
		if l == "---" || l == "..." {
			return data[start:off], data[next:], n + 1, true
		}
		off = next
	}
	return []byte{}, nil, 0, false
}

// frontMatter is the parsed YAML mapping, read key by key so that errors
// carry the file's line and aliases are only followed for the keys used.
type frontMatter struct {
	keys map[string]*yaml.Node
}

type fieldError struct {
	line int
	msg  string
}

func (e *fieldError) Error() string { return e.msg }

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// frontLine is the file line of the YAML's first line (after "---").
const frontLine = 1

func readFrontMatter(src []byte) (*frontMatter, error) {
	if fm, ok := readSimpleFrontMatter(src); ok {
		return fm, nil
	}
	return readYAMLFrontMatter(src)
}

// readYAMLFrontMatter reads any front matter, with yaml.v3.
func readYAMLFrontMatter(src []byte) (*frontMatter, error) {
	fm := &frontMatter{keys: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, &fieldError{line: n + frontLine, msg: "YAML error: " + m[2]}
		}
		return nil, &fieldError{line: frontLine + 1, msg: "YAML error: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	if len(doc.Content) == 0 {
		return fm, nil // empty front matter: "missing title" follows
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &fieldError{line: root.Line + frontLine, msg: "front matter is not a mapping of keys to values"}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if _, dup := fm.keys[k.Value]; dup {
			return nil, &fieldError{line: k.Line + frontLine, msg: fmt.Sprintf("key %q appears twice", k.Value)}
		}
		fm.keys[k.Value] = v
	}
	return fm, nil
}

func (fm *frontMatter) get(key string) (*yaml.Node, bool) {
	v, ok := fm.keys[key]
	return v, ok
}

func (fm *frontMatter) line(n *yaml.Node) int { return n.Line + frontLine }

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

// scalar reads a single value as text; null is "".
func (fm *frontMatter) scalar(n *yaml.Node) (string, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		return "", errors.New("want a single value, not a list or mapping")
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

// list reads one value or a list of values.
func (fm *frontMatter) list(n *yaml.Node) ([]string, error) {
	n = deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		s, err := fm.scalar(n)
		if s == "" {
			return nil, err
		}
		return []string{s}, err
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			s, err := fm.scalar(c)
			if err != nil {
				return nil, errors.New("want a list of single values")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errors.New("want a value or a list of values, not a mapping")
}

func (fm *frontMatter) boolean(n *yaml.Node) (bool, error) {
	s, err := fm.scalar(n)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, not %q", s)
}

func (fm *frontMatter) date(n *yaml.Node, loc *time.Location) (time.Time, error) {
	s, err := fm.scalar(n)
	if err != nil {
		return time.Time{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	return ParseDate(s, loc)
}
