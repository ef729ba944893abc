package feed

import (
	stdhtml "html"
	"net/url"
	"strings"

	"errors"
	"fmt"
	"github.com/feedd/feedd/feed/text"
	"sync"
)

// BodyStore keeps the bodies of a Set's posts, so that they need not be in
// the Go heap (package bodies keeps them in files). Ids are the store's,
// never reused. The Set puts a post's body when it takes the post, and
// releases it once the snapshots it publishes no longer list the post: a
// reader of an older snapshot may then fail to read it, and takes the
// current snapshot, which has what to show instead.
type BodyStore interface {
	Put(b []byte) (uint64, error)
	Get(id uint64) ([]byte, error)
	// Replace puts new bytes under id: a body rendered from its Markdown.
	Replace(id uint64, b []byte) error
	// Release says id will not be read again.
	Release(id uint64)
}

// errBodyGone is memoryBodies' answer for a body it does not hold.
var errBodyGone = errors.New("the post's body is gone: it was edited or removed since")

// Body is where a post's HTML is. A parsed post holds it (HTMLBody), or
// holds its Markdown, to be rendered when first read (MarkdownBody); a
// post of a Set has it in the set's store, where it is kept as a kind
// byte then the bytes: 'h' and the HTML, or 'm' and the Markdown.
type Body struct {
	html     string
	markdown []byte
	store    BodyStore
	id       uint64
	// fresh: put in store by Set.Prepare, and no record owns it yet. A
	// post made from a record (or applied already) is not: applying it
	// again puts a copy, which the new record owns.
	fresh bool
}

const (
	kindHTML     = 'h'
	kindMarkdown = 'm'
)

// HTMLBody is a body rendered from its Markdown (text.Markdown): made safe
// for XML, or, when it shows nothing (empty, or empty paragraphs once
// sanitised), the summary as one paragraph, so that every item has
// content.
func HTMLBody(html, summary string) Body {
	html = strings.TrimSpace(text.XMLSafe(html))
	if strings.TrimSpace(emptyParagraphs.Replace(html)) == "" {
		html = "<p>" + stdhtml.EscapeString(summary) + "</p>"
	}
	return Body{html: html}
}

var emptyParagraphs = strings.NewReplacer("<p>", "", "</p>", "")

// MarkdownBody is a body to render from its Markdown when it is first
// read.
func MarkdownBody(md []byte) Body { return Body{markdown: md} }

// render renders a body's Markdown, against the post's link.
func render(md []byte, link, summary string) (string, error) {
	base, _ := url.Parse(link)
	html, _, err := text.Markdown(md, base, false)
	if err != nil {
		return "", err
	}
	return HTMLBody(html, summary).html, nil
}

// blob is the body as a store keeps it.
func (b *Body) blob() ([]byte, error) {
	switch {
	case b.store != nil: // a post of another set
		return b.store.Get(b.id)
	case b.markdown != nil:
		return append([]byte{kindMarkdown}, b.markdown...), nil
	}
	return append([]byte{kindHTML}, b.html...), nil
}

// HTML is the post's body as HTML: read from the set's store, rendered from
// its Markdown the first time it is read if it was deferred (and stored so
// rendered). Reading a body never opens a post file.
func (p *Post) HTML() (string, error) {
	b := &p.Body
	if b.store == nil {
		if b.markdown != nil {
			return render(b.markdown, p.Link, p.Summary)
		}
		return b.html, nil
	}
	blob, err := b.store.Get(b.id)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: %w", p.Path, err)
	case len(blob) == 0:
		return "", fmt.Errorf("%s: an empty body in the store", p.Path)
	case blob[0] == kindHTML:
		return string(blob[1:]), nil
	}
	html, err := render(blob[1:], p.Link, p.Summary)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p.Path, err)
	}
	// Kept rendered for the next reader; a body let go meanwhile stays so.
	_ = b.store.Replace(b.id, append([]byte{kindHTML}, html...))
	return html, nil
}

// Deferred says whether the post's body is still Markdown to render.
func (p *Post) Deferred() bool {
	if p.Body.store == nil {
		return p.Body.markdown != nil
	}
	blob, err := p.Body.store.Get(p.Body.id)
	return err == nil && len(blob) > 0 && blob[0] == kindMarkdown
}

// MemoryBodies is a BodyStore that keeps bodies in the heap: a Set's
// store unless it is given another.
func MemoryBodies() BodyStore { return &memoryBodies{} }

// memoryBodies keeps bodies in a map.
type memoryBodies struct {
	mu     sync.Mutex
	bodies map[uint64][]byte
	next   uint64
}

func (m *memoryBodies) Put(b []byte) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bodies == nil {
		m.bodies = map[uint64][]byte{}
	}
	m.next++
	m.bodies[m.next] = b
	return m.next, nil
}

func (m *memoryBodies) Get(id uint64) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bodies[id]
	if !ok {
		return nil, errBodyGone
	}
	return b, nil
}

func (m *memoryBodies) Replace(id uint64, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.bodies[id]; !ok {
		return errBodyGone
	}
	m.bodies[id] = b
	return nil
}

func (m *memoryBodies) Release(id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.bodies, id)
}
