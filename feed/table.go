package feed

import (
	"cmp"
	"encoding/binary"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// The set holds its posts without Go pointers, so that the garbage
// collector, which traces every pointer of the heap at each cycle, never
// walks the archive: a post is a record (its date, its body's place, where
// its text is) in chunks of records, and its strings are bytes in chunks of
// text. At 100,000 posts that is about a hundred objects the collector
// finds nothing to trace in, where a Post per post with its strings, lists
// and the views and maps pointing to it were two dozen pointers each, and
// made every cached response about 10 % slower on one core (issue 6). A
// Post is made from a record when a document that lists it is rendered.

// ref names a record in the set's table. A ref is never reused: a post
// edited gets a new record, and the old one is left for the snapshots that
// still list it.
type ref = uint32

// noRef is no record.
const noRef ref = ^ref(0)

const (
	recShift  = 10
	recChunk  = 1 << recShift // records per chunk
	textChunk = 1 << 20       // bytes per text chunk, unless one post needs more
)

// record is a post as the set holds it. Only its body's place changes once
// it is written (a body rendered late, or moved by Compact), under the body
// store's locs.
type record struct {
	sec   int64 // Date
	nsec  int32
	flags uint8
	text  textRef // the post's other fields, encoded by appendPost
	body  bodyRec
}

const (
	recDraft  = 1 << iota
	recStored // the body is in the generation's store
)

type textRef struct{ chunk, off, n uint32 }

// bodyRec is a body's place in a BodyStore: a segment of the generation's
// list, or -1 while the body is deferred, when src says where its Markdown
// is in the post's file.
type bodyRec struct {
	seg            int32
	n              int32
	off            int64
	srcOff, srcLen int32
	srcSum         uint64
}

// generation is what a table's records point to that has pointers: the
// body store, and the segment files that hold the records' bodies. Every
// snapshot holds its table's generation, so a segment stays open while any
// snapshot that may read from it is in use; Set.Renew starts a generation
// that lists only the segments the posts held use now.
type generation struct {
	store *BodyStore
	segs  []*segment // guarded by store.locs once the table is published
}

// segIndex is seg's place in g's list, adding it if it is not there; the
// store's locs are held (or g is not published yet).
func (g *generation) segIndex(seg *segment) int32 {
	for i := len(g.segs) - 1; i >= 0; i-- {
		if g.segs[i] == seg {
			return int32(i)
		}
	}
	g.segs = append(g.segs, seg)
	return int32(len(g.segs) - 1)
}

// table is the set's records and text. The set appends to it; a snapshot
// holds a copy of it as it was when published, and reads only the records
// it lists, which never change but for their bodies' places. Appending
// never moves what a copy can read: chunks are never reallocated.
type table struct {
	recs []*[recChunk]record
	// text's chunks are made whole (len is cap) and their headers never
	// change once added; textUsed is how much of the last one is in use.
	text     [][]byte
	textUsed int
	gen      *generation
}

func (t *table) rec(r ref) *record { return &t.recs[r>>recShift][r&(recChunk-1)] }

// blob is r's encoded text, sharing the chunk's bytes.
func (t *table) blob(r ref) string {
	x := t.rec(r).text
	if x.n == 0 {
		return ""
	}
	return unsafe.String(&t.text[x.chunk][x.off], int(x.n))
}

// date is r's Date, in no particular zone: for comparisons.
func (t *table) date(r ref) time.Time {
	rec := t.rec(r)
	return time.Unix(rec.sec, int64(rec.nsec))
}

func (t *table) draft(r ref) bool { return t.rec(r).flags&recDraft != 0 }

// path, id, language and categories read the fields the set sorts and
// indexes by, without making a Post.
func (t *table) path(r ref) string {
	d := decoder{s: t.blob(r)}
	return d.str()
}

func (t *table) id(r ref) string {
	d := decoder{s: t.blob(r)}
	d.str()
	return d.str()
}

// keys is what puts r in feeds: its language key and its categories (as
// catKey writes them).
func (t *table) keys(r ref) (language, cats string) {
	d := decoder{s: t.blob(r)}
	d.str()
	d.str()
	language = d.str()
	return language, d.str()
}

// compare orders records newest date first, equal dates by id.
func (t *table) compare(a, b ref) int {
	if c := t.compareDates(b, a); c != 0 {
		return c
	}
	return cmp.Compare(t.id(a), t.id(b))
}

// compareDue orders records soonest date first, equal dates by id.
func (t *table) compareDue(a, b ref) int {
	if c := t.compareDates(a, b); c != 0 {
		return c
	}
	return cmp.Compare(t.id(a), t.id(b))
}

func (t *table) compareDates(a, b ref) int {
	ra, rb := t.rec(a), t.rec(b)
	if c := cmp.Compare(ra.sec, rb.sec); c != 0 {
		return c
	}
	return cmp.Compare(ra.nsec, rb.nsec)
}

// post makes the Post r holds. Its strings share the table's text; its
// body, if stored, is r's, so that a body rendered or moved is seen by
// every Post made from r.
func (t *table) post(r ref) *Post {
	rec := t.rec(r)
	d := decoder{s: t.blob(r)}
	p := &Post{Path: d.str(), ID: d.str(), Language: d.str()}
	p.Categories = categoriesByKey(d.str())
	p.Title, p.Summary, p.Content = d.str(), d.str(), d.str()
	p.Link, p.Image, p.ImageType = d.str(), d.str(), d.str()
	p.Tags, p.Authors, p.Warnings = d.list(), d.list(), d.list()
	p.ImageLength = d.varint()
	flags := d.uvarint()
	p.HasCode = flags&1 != 0
	p.Date = t.date(r).In(zoneAt(d.uvarint()))
	p.Updated = d.time()
	p.ModTime = d.time()
	p.Draft = rec.flags&recDraft != 0
	if rec.flags&recStored != 0 {
		p.body = Body{store: t.gen.store, gen: t.gen, rec: &rec.body}
	}
	return p
}

// add appends p as a record (the next ref, n) to t. p's body, if it is in
// a store, is held by t's generation from now on; one in another store
// than the generation's (never expected: a set has one) is read and kept
// with the text.
func (t *table) add(n ref, p *Post, scratch []byte) []byte {
	if int(n>>recShift) == len(t.recs) {
		t.recs = append(t.recs, new([recChunk]record))
	}
	rec := t.rec(n)
	*rec = record{sec: p.Date.Unix(), nsec: int32(p.Date.Nanosecond())}
	if p.Draft {
		rec.flags |= recDraft
	}
	content := p.Content
	if b := p.StoredBody(); b != nil {
		if t.gen.store == nil {
			t.gen.store = b.store
		}
		if b.store == t.gen.store {
			rec.flags |= recStored
			rec.body = b.record(t.gen)
		} else if html, err := p.HTML(); err == nil {
			content = html
		}
	}
	scratch = appendPost(scratch[:0], p, content)
	rec.text = t.appendText(scratch)
	return scratch
}

// copyFrom copies record r of old into t (a new generation, not yet
// published), with its text if copyText; the store's locs are held.
func (t *table) copyFrom(old *table, r ref, copyText bool) {
	rec := *old.rec(r)
	if copyText {
		b := old.blob(r)
		rec.text = t.appendText(unsafe.Slice(unsafe.StringData(b), len(b)))
	}
	if rec.flags&recStored != 0 && rec.body.seg >= 0 {
		rec.body.seg = t.gen.segIndex(old.gen.segs[rec.body.seg])
	}
	*t.rec(r) = rec
}

func (t *table) appendText(b []byte) textRef {
	if len(b) == 0 {
		return textRef{}
	}
	last := len(t.text) - 1
	if last < 0 || t.textUsed+len(b) > len(t.text[last]) {
		t.text = append(t.text, make([]byte, max(textChunk, len(b))))
		last++
		t.textUsed = 0
	}
	off := t.textUsed
	t.textUsed += copy(t.text[last][off:], b)
	return textRef{chunk: uint32(last), off: uint32(off), n: uint32(len(b))}
}

// appendPost encodes p's fields but for its date and body's place, the
// ones the set reads most often first.
func appendPost(b []byte, p *Post, content string) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	list := func(l []string) {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, s := range l {
			str(s)
		}
	}
	tm := func(t time.Time) {
		b = binary.AppendVarint(b, t.Unix())
		b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
		b = binary.AppendUvarint(b, zoneIndex(t.Location()))
	}
	str(p.Path)
	str(p.ID)
	str(p.Language)
	str(catKey(p.Categories))
	str(p.Title)
	str(p.Summary)
	str(content)
	str(p.Link)
	str(p.Image)
	str(p.ImageType)
	list(p.Tags)
	list(p.Authors)
	list(p.Warnings)
	b = binary.AppendVarint(b, p.ImageLength)
	var flags uint64
	if p.HasCode {
		flags |= 1
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, zoneIndex(p.Date.Location()))
	tm(p.Updated)
	tm(p.ModTime)
	return b
}

// decoder reads what appendPost wrote; its strings share the text.
type decoder struct {
	s string
	i int
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(unsafe.Slice(unsafe.StringData(d.s[d.i:]), len(d.s)-d.i))
	d.i += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(unsafe.Slice(unsafe.StringData(d.s[d.i:]), len(d.s)-d.i))
	d.i += n
	return v
}

func (d *decoder) str() string {
	n := int(d.uvarint())
	s := d.s[d.i : d.i+n]
	d.i += n
	return s
}

func (d *decoder) list() []string {
	n := int(d.uvarint())
	if n == 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = d.str()
	}
	return l
}

func (d *decoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	return time.Unix(sec, int64(nsec)).In(zoneAt(d.uvarint()))
}

// catKey writes a list of categories as one string: each slug and name
// followed by a NUL.
func catKey(cs []Category) string {
	n := 0
	for _, c := range cs {
		n += len(c.Slug) + len(c.Name) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for _, c := range cs {
		b.WriteString(c.Slug)
		b.WriteByte(0)
		b.WriteString(c.Name)
		b.WriteByte(0)
	}
	return b.String()
}

// eachCategory calls fn with the slug and name of each category of key.
func eachCategory(key string, fn func(slug, name string) bool) {
	for key != "" {
		slug, rest, _ := strings.Cut(key, "\x00")
		name, rest, _ := strings.Cut(rest, "\x00")
		if !fn(slug, name) {
			return
		}
		key = rest
	}
}

// The zones of the posts' dates, by number, so that a record holds a
// date without a pointer. Zones are few (UTC, the local zone, the site's,
// the offsets posts give), and a zone stays listed once seen.
var zoneList struct {
	sync.RWMutex
	list  []*time.Location
	index map[*time.Location]uint64
}

func zoneIndex(loc *time.Location) uint64 {
	if loc == time.UTC {
		return 0
	}
	zoneList.RLock()
	i, ok := zoneList.index[loc]
	zoneList.RUnlock()
	if ok {
		return i
	}
	zoneList.Lock()
	defer zoneList.Unlock()
	if i, ok := zoneList.index[loc]; ok {
		return i
	}
	if zoneList.index == nil {
		zoneList.index = map[*time.Location]uint64{}
		zoneList.list = []*time.Location{time.UTC}
	}
	zoneList.list = append(zoneList.list, loc)
	zoneList.index[loc] = uint64(len(zoneList.list) - 1)
	return uint64(len(zoneList.list) - 1)
}

func zoneAt(i uint64) *time.Location {
	if i == 0 {
		return time.UTC
	}
	zoneList.RLock()
	defer zoneList.RUnlock()
	return zoneList.list[i]
}
