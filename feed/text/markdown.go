package text

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	gmtext "github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	nethtml "golang.org/x/net/html"
)

// baseKey carries the item's link into the AST transformer of one Convert.
var baseKey = parser.NewContextKey()

// absoluteURLs rewrites the destinations of links and images to absolute
// URLs, resolved against the item's link, so readers that show the content
// away from the site still find them.
type absoluteURLs struct{}

func (absoluteURLs) Transform(doc *ast.Document, reader gmtext.Reader, pc parser.Context) {
	base, _ := pc.Get(baseKey).(*url.URL)
	var unsafe []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if unsafeURL(n.Destination) {
				unsafe = append(unsafe, n)
			} else if base != nil {
				n.Destination = resolveURL(base, n.Destination)
			}
		case *ast.Image:
			if unsafeURL(n.Destination) {
				unsafe = append(unsafe, n)
			} else if base != nil {
				n.Destination = resolveURL(base, n.Destination)
			}
		case *ast.AutoLink:
			if unsafeURL(n.URL(reader.Source())) {
				unsafe = append(unsafe, n)
			}
		}
		return ast.WalkContinue, nil
	})
	// A link or image with an unsafe URL keeps its text, not its URL.
	for _, n := range unsafe {
		parent := n.Parent()
		if al, ok := n.(*ast.AutoLink); ok {
			parent.ReplaceChild(parent, n, ast.NewString(al.Label(reader.Source())))
			continue
		}
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, n, c)
			c = next
		}
		parent.RemoveChild(parent, n)
		if _, ok := parent.(*ast.Paragraph); ok && parent.ChildCount() == 0 && parent.Parent() != nil {
			parent.Parent().RemoveChild(parent.Parent(), parent)
		}
	}
}

// unsafeSchemes are URL schemes that run code or embed content where a
// reader expects a link: dropped from links and images.
var unsafeSchemes = []string{"javascript:", "vbscript:", "data:", "file:"}

func unsafeURL(dest []byte) bool {
	// Browsers ignore leading spaces and control characters, and tabs and
	// newlines anywhere in a scheme ("java\tscript:").
	var b strings.Builder
	for _, r := range strings.ToLower(string(dest)) {
		if r > ' ' {
			b.WriteRune(r)
		}
		if b.Len() > 16 {
			break
		}
	}
	s := b.String()
	for _, scheme := range unsafeSchemes {
		if strings.HasPrefix(s, scheme) {
			return true
		}
	}
	return false
}

func resolveURL(base *url.URL, dest []byte) []byte {
	s := strings.TrimSpace(string(dest))
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" {
		return dest
	}
	return []byte(base.ResolveReference(u).String())
}

// markdown renders CommonMark with GitHub tables, strikethrough and
// autolinks. Raw HTML is passed through to the sanitizer.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(absoluteURLs{}, 100))),
	goldmark.WithRendererOptions(html.WithUnsafe()),
)

// sanitizer keeps the text and safe markup of raw HTML in a body
// (paragraphs, emphasis, links, lists, tables, images, figures, quotes,
// code) and removes the rest: scripts, styles, frames, embeds, forms,
// event handlers, and URLs other than http, https and mailto.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	return p
}()

// Markdown renders a body: it returns the body as sanitized HTML with absolute URLs,
// and, when wantPlain, its plain text (for a summary). Characters XML
// forbids are removed first: goldmark would turn a NUL into U+FFFD.
func Markdown(body []byte, base *url.URL, wantPlain bool) (html string, plain string, err error) {
	body = []byte(XMLSafe(string(body)))
	ctx := parser.NewContext()
	ctx.Set(baseKey, base)
	doc := markdown.Parser().Parse(gmtext.NewReader(body), parser.WithContext(ctx))
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, body, doc); err != nil {
		return "", "", err
	}
	html = absoluteHTML(sanitizer.SanitizeReader(&buf).String(), base)
	if wantPlain {
		plain = PlainText(htmlText([]byte(html)))
	}
	return html, plain, nil
}

// absoluteHTML resolves the relative href and src attributes left in
// sanitized HTML (raw HTML's: the Markdown's links and images are resolved
// as they are parsed) against base. Every other byte is kept as it is.
func absoluteHTML(s string, base *url.URL) string {
	if base == nil || !strings.Contains(s, "href=") && !strings.Contains(s, "src=") {
		return s
	}
	z := nethtml.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s))
	for {
		tt := z.Next()
		raw := string(z.Raw()) // a copy: Token lowers names in place
		if tt == nethtml.ErrorToken {
			return b.String() + raw
		}
		if tt == nethtml.StartTagToken || tt == nethtml.SelfClosingTagToken {
			tok := z.Token()
			changed := false
			for i, a := range tok.Attr {
				if a.Namespace == "" && (a.Key == "href" || a.Key == "src") {
					if abs := string(resolveURL(base, []byte(a.Val))); abs != a.Val {
						tok.Attr[i].Val, changed = abs, true
					}
				}
			}
			if changed {
				b.WriteString(tok.String())
				continue
			}
		}
		b.WriteString(raw)
	}
}

// inlineTags are the elements a word may run across: no space is put for
// them where htmlText puts one for every other tag.
var inlineTags = map[string]bool{"a": true, "abbr": true, "b": true, "cite": true, "code": true, "del": true, "em": true,
	"i": true, "ins": true, "kbd": true, "mark": true, "q": true, "s": true, "small": true, "span": true,
	"strike": true, "strong": true, "sub": true, "sup": true, "time": true, "u": true}

// htmlText is the text a reader sees of sanitised HTML, for a summary:
// with a space for each tag that is not inline, and without code blocks.
func htmlText(h []byte) string {
	var b strings.Builder
	z := nethtml.NewTokenizer(bytes.NewReader(h))
	inPre := 0
	for {
		tt := z.Next()
		switch tt {
		case nethtml.ErrorToken:
			return b.String()
		case nethtml.TextToken:
			if inPre == 0 {
				b.Write(z.Text())
			}
		case nethtml.StartTagToken, nethtml.EndTagToken, nethtml.SelfClosingTagToken:
			name, _ := z.TagName()
			switch {
			case string(name) == "pre" && tt == nethtml.StartTagToken:
				inPre++
			case string(name) == "pre" && tt == nethtml.EndTagToken && inPre > 0:
				inPre--
			}
			if !inlineTags[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}
