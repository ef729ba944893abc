package feed

import (
	"cmp"
	"encoding/binary"
	"sync"
	"time"
	"unique"
	"unsafe"
)

// The set holds its posts without Go pointers, so that the garbage
// collector, which traces every pointer of the heap at each cycle, never
// walks the archive: a post is a record (its date, its body's id, where
// its text is) in chunks of records, and its strings are bytes in chunks of
// text. At 100,000 posts that is about a hundred objects with nothing in
// them to trace, where a Post per post, with its strings and lists and the
// maps pointing to it, is two dozen pointers each (BenchmarkGCWithArchive
// measures a collection of both). A Post is made from a record when a
// document that lists it is rendered.

// ref names a record in the set's table. The set reuses the refs of posts
// it no longer holds only in a new table (see Set.renew), so a snapshot's
// table never sees a record change under it.
type ref = uint32

// noRef is no record.
const noRef ref = ^ref(0)

const (
	recShift  = 10
	recChunk  = 1 << recShift // records per chunk
	textChunk = 1 << 20       // bytes per text chunk, unless one post needs more
)

// record is a post as the set holds it. It is never changed once written.
type record struct {
	sec   int64 // Date
	nsec  int32
	draft bool
	text  textRef // the post's other fields, encoded by appendPost
	body  uint64  // the body's id in the set's BodyStore
}

type textRef struct{ chunk, off, n uint32 }

// table is the set's records and text. The set appends to it; a snapshot
// holds a copy of it as it was when published, and reads only the records
// it lists. Appending never moves what a copy can read: chunks are never
// reallocated, and a text chunk's bytes are never written twice.
type table struct {
	recs []*[recChunk]record
	// text's chunks are made whole (len is cap); textUsed is how much of
	// the last one is in use.
	text     [][]byte
	textUsed int
	bodies   BodyStore
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

// path, id and facets read the fields the set sorts and indexes by,
// without making a Post.
func (t *table) path(r ref) string {
	d := decoder{s: t.blob(r)}
	return d.str()
}

func (t *table) id(r ref) string {
	d := decoder{s: t.blob(r)}
	d.str()
	return d.str()
}

// values yields r's values of facet f.
func (t *table) values(r ref, f *Facet) func(yield func(key, name string) bool) {
	return func(yield func(key, name string) bool) {
		d := decoder{s: t.blob(r)}
		d.str()
		d.str()
		fd := decoder{s: d.str()}
		for i := range facets {
			n := int(fd.uvarint())
			for range n {
				key, name := fd.str(), fd.str()
				if i == f.index && !yield(key, name) {
					return
				}
			}
			if i == f.index {
				return
			}
		}
	}
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

// post makes the Post r holds. Its strings share the table's text; its body
// is read from the store when asked for.
func (t *table) post(r ref) *Post {
	rec := t.rec(r)
	d := decoder{s: t.blob(r)}
	p := &Post{Path: d.str(), ID: d.str(), Draft: rec.draft}
	fd := decoder{s: d.str()}
	for i := range facets {
		for range int(fd.uvarint()) {
			key, name := fd.str(), fd.str()
			switch facets[i] {
			case ByCategory:
				p.Categories = append(p.Categories, Category{Slug: key, Name: name})
			case ByLanguage:
				p.Language = name
			}
		}
	}
	p.Title, p.Summary = d.str(), d.str()
	p.Link, p.Image, p.ImageType = d.str(), d.str(), d.str()
	p.Tags, p.Authors, p.Warnings = d.list(), d.list(), d.list()
	p.ImageLength = d.varint()
	p.HasCode = d.uvarint()&1 != 0
	p.Date = t.date(r).In(zoneAt(d.uvarint()))
	p.Updated = d.time()
	p.ModTime = d.time()
	p.Body = Body{store: t.bodies, id: rec.body}
	return p
}

// add writes p as record n of t, its body already in t's store as bodyID.
func (t *table) add(n ref, p *Post, bodyID uint64, scratch []byte) []byte {
	if int(n>>recShift) == len(t.recs) {
		t.recs = append(t.recs, new([recChunk]record))
	}
	rec := t.rec(n)
	*rec = record{sec: p.Date.Unix(), nsec: int32(p.Date.Nanosecond()), draft: p.Draft, body: bodyID}
	scratch = appendPost(scratch[:0], p)
	rec.text = t.appendText(scratch)
	return scratch
}

// copyFrom copies record r of old into t (a new table, not yet
// published), with its text if copyText.
func (t *table) copyFrom(old *table, r ref, copyText bool) {
	rec := *old.rec(r)
	if copyText {
		b := old.blob(r)
		rec.text = t.appendText(unsafe.Slice(unsafe.StringData(b), len(b)))
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

// appendPost encodes p's fields but for its date and body: first those
// the set reads most often (path, id, the values of each facet).
func appendPost(b []byte, p *Post) []byte {
	e := encoder{b: b}
	e.str(p.Path)
	e.str(p.ID)
	var fe encoder
	for _, f := range facets {
		vs := f.values(p)
		fe.uvarint(uint64(len(vs)))
		for _, v := range vs {
			fe.str(v.Key)
			fe.str(v.Name)
		}
	}
	e.str(string(fe.b))
	e.str(p.Title)
	e.str(p.Summary)
	e.str(p.Link)
	e.str(p.Image)
	e.str(p.ImageType)
	e.list(p.Tags)
	e.list(p.Authors)
	e.list(p.Warnings)
	e.b = binary.AppendVarint(e.b, p.ImageLength)
	var flags uint64
	if p.HasCode {
		flags |= 1
	}
	e.uvarint(flags)
	e.uvarint(zoneIndex(p.Date.Location()))
	e.time(p.Updated)
	e.time(p.ModTime)
	return e.b
}

// encoder writes what decoder reads.
type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) list(l []string) {
	e.uvarint(uint64(len(l)))
	for _, s := range l {
		e.str(s)
	}
}

func (e *encoder) time(t time.Time) {
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
	e.uvarint(zoneIndex(t.Location()))
}

// decoder reads what encoder wrote; its strings share the text.
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

// viewKeys are the feeds record r belongs to: for each kind, every
// combination of r's values of its facets. Their strings are shared copies
// (unique), not the table's text, which a view's key outlives.
func viewKeys(t *table, r ref) []ViewKey {
	var vals [][]string // by facet index
	for _, f := range facets {
		var keys []string
		for key := range t.values(r, f) {
			keys = append(keys, unique.Make(key).Value())
		}
		vals = append(vals, keys)
	}
	var out []ViewKey
	for _, k := range Kinds {
		out = appendCombinations(out, ViewKey{Kind: k}, 0, vals)
	}
	return out
}

// appendCombinations appends to out key with its facets from i on given
// every combination of values.
func appendCombinations(out []ViewKey, key ViewKey, i int, vals [][]string) []ViewKey {
	if i == len(key.Kind.Facets) {
		return append(out, key)
	}
	for _, v := range vals[key.Kind.Facets[i].index] {
		key.Values[i] = v
		out = appendCombinations(out, key, i+1, vals)
	}
	return out
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
