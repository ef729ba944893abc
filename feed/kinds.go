package feed

import (
	"net/url"
	"strings"

	"github.com/feedd/feedd/feed/text"
)

// A Facet is a property posts are grouped into feeds by. Each of a post's
// values of it (each of its categories, its language, each of its authors)
// puts the post in one feed of every kind that uses the facet.
type Facet struct {
	// Name is the facet's URL segment and route variable: "category".
	Name string
	// values lists a post's values of the facet, each once.
	values func(p *Post) []Value
	// key turns what a URL names into the key of a value.
	key   func(segment string) string
	index int // in facets
}

// Value is one value of a facet: its key (as in URLs, lower case) and how
// a post spells it.
type Value struct{ Key, Name string }

// The facets feeds are made by.
var (
	// ByCategory: the post's categories; keys are slugs ("real-estate").
	ByCategory = &Facet{Name: "category", key: strings.ToLower, values: func(p *Post) []Value {
		vs := make([]Value, 0, len(p.Categories))
		for _, c := range p.Categories {
			vs = append(vs, Value{Key: c.Slug, Name: c.Name})
		}
		return vs
	}}
	// ByLanguage: the post's language; keys are tags in lower case ("zh-hant"),
	// names the canonical tag ("zh-Hant").
	ByLanguage = &Facet{Name: "language", key: LanguageKey, values: func(p *Post) []Value {
		return []Value{{Key: LanguageKey(p.Language), Name: p.Language}}
	}}
	// ByAuthor: the post's authors; keys are slugs, as for categories.
	ByAuthor = &Facet{Name: "author", key: strings.ToLower, values: func(p *Post) []Value {
		var vs []Value
		for _, a := range p.Authors {
			if s := text.Slug(a); s != "" && !hasKey(vs, s) {
				vs = append(vs, Value{Key: s, Name: a})
			}
		}
		return vs
	}}
	facets = []*Facet{ByCategory, ByLanguage, ByAuthor}
)

func init() {
	for i, f := range facets {
		f.index = i
	}
	for i, k := range Kinds {
		k.index = i
	}
}

// LanguageKey is a language tag as feed URLs and keys write it: lower
// case, "_" read as "-".
func LanguageKey(tag string) string {
	return strings.ToLower(strings.ReplaceAll(tag, "_", "-"))
}

func hasKey(vs []Value, key string) bool {
	for _, v := range vs {
		if v.Key == key {
			return true
		}
	}
	return false
}

// maxFacets is the most facets a kind combines.
const maxFacets = 2

// A Kind is a kind of feed: the posts that share one value of each of its
// facets. Routes, views, titles, the index and the OPML list are made from
// Kinds; adding a kind of feed is adding a row.
type Kind struct {
	// Name names the kind's route and its requests in metrics.
	Name string
	// Facets are in URL order: /language/{language}/category/{category}/.
	Facets []*Facet
	// Group is the heading of the kind's feeds in the index page.
	Group string
	index int // in Kinds
}

// Kinds lists every kind of feed, in the order the index page and the
// OPML list give them.
var Kinds = []*Kind{
	{Name: "feed", Group: "Everything"},
	{Name: "category", Facets: []*Facet{ByCategory}, Group: "By category"},
	{Name: "language", Facets: []*Facet{ByLanguage}, Group: "By language"},
	{Name: "language_category", Facets: []*Facet{ByLanguage, ByCategory}, Group: "By language and category"},
	{Name: "author", Facets: []*Facet{ByAuthor}, Group: "By author"},
	{Name: "language_author", Facets: []*Facet{ByLanguage, ByAuthor}, Group: "By language and author"},
}

// Everything is the kind of the feed of every post.
var Everything = Kinds[0]

// KindOf is the kind of the feeds of facet f alone (the feed of each
// category, of each language), or nil if there is none.
func KindOf(f *Facet) *Kind {
	for _, k := range Kinds {
		if len(k.Facets) == 1 && k.Facets[0] == f {
			return k
		}
	}
	return nil
}

// Pattern is the path of the kind's feeds, each facet's value written as
// the facet's name in capitals: /language/LANGUAGE/category/CATEGORY/.
func (k *Kind) Pattern() string {
	key := ViewKey{Kind: k}
	for i, f := range k.Facets {
		key.Values[i] = strings.ToUpper(f.Name)
	}
	return key.Dir()
}

// ViewKey names one feed: its kind and the key of each of its facets'
// values, in URL order.
type ViewKey struct {
	Kind   *Kind
	Values [maxFacets]string
}

// Key is the key of the feed of kind k that URL segments name, one per
// facet in URL order (percent-decoded; any case).
func (k *Kind) Key(segments ...string) ViewKey {
	key := ViewKey{Kind: k}
	for i, f := range k.Facets {
		key.Values[i] = f.key(segments[i])
	}
	return key
}

// Dir is the URL path of the feed's documents, without the format's file
// name, its keys percent-encoded: "/language/km/category/national/".
func (k ViewKey) Dir() string {
	var b strings.Builder
	b.WriteByte('/')
	for i, f := range k.Kind.Facets {
		b.WriteString(f.Name)
		b.WriteByte('/')
		b.WriteString(url.PathEscape(k.Values[i]))
		b.WriteByte('/')
	}
	return b.String()
}

// Value is the key of facet f's value in k, if k's kind has f.
func (k ViewKey) Value(f *Facet) (string, bool) {
	for i, kf := range k.Kind.Facets {
		if kf == f {
			return k.Values[i], true
		}
	}
	return "", false
}

// compare orders keys as feeds are listed: by kind, then by their values.
func (k ViewKey) compare(o ViewKey) int {
	if c := k.Kind.index - o.Kind.index; c != 0 {
		return c
	}
	for i := range k.Values {
		if c := strings.Compare(k.Values[i], o.Values[i]); c != 0 {
			return c
		}
	}
	return 0
}

// ParseDir is the key of the feed whose documents are under the URL path
// dir ("/", "/category/national/", "/language/km/category/ជាតិ/",
// percent-encoded or not, any case); false if dir names no kind of feed.
func ParseDir(dir string) (ViewKey, bool) {
	rest, ok := strings.CutPrefix(dir, "/")
	if !ok || rest != "" && !strings.HasSuffix(rest, "/") {
		return ViewKey{}, false
	}
	var segs []string
	if rest != "" {
		segs = strings.Split(strings.TrimSuffix(rest, "/"), "/")
	}
	if len(segs)%2 != 0 {
		return ViewKey{}, false
	}
	for _, k := range Kinds {
		if len(k.Facets)*2 != len(segs) {
			continue
		}
		values := make([]string, len(k.Facets))
		match := true
		for i, f := range k.Facets {
			v, err := url.PathUnescape(segs[2*i+1])
			if segs[2*i] != f.Name || err != nil || v == "" {
				match = false
				break
			}
			values[i] = v
		}
		if match {
			return k.Key(values...), true
		}
	}
	return ViewKey{}, false
}

// Holds says whether p is among the posts of the feed k names (whether it
// is published is the snapshot's business).
func (k ViewKey) Holds(p *Post) bool {
	for i, f := range k.Kind.Facets {
		if !hasKey(f.values(p), k.Values[i]) {
			return false
		}
	}
	return true
}
