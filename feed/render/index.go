package render

import (
	"bytes"
	"cmp"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/feedd/feedd/feed"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// indexPage lists every feed for people, with autodiscovery links. It is
// one self-contained page: its style and its scripts are inline, and it
// needs no script to read or to copy an address (the address is text,
// selected whole on a click); the scripts show the Copy buttons, hidden
// without them, and make them copy.
//
// An address wraps only after a "/" or between two percent-encoded
// characters: each piece is a span that does not wrap, with a <wbr>
// between pieces. Names and titles wrap as text does, between words.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="{{.Site.Language}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Site.Title}} — feeds</title>
{{range .Main}}<link rel="alternate" {{.Type}} title="{{.Title}}" href="{{.Href}}">
{{end}}<script>document.documentElement.className = "js"</script>
<style>
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Khmer",sans-serif;max-width:54rem;margin:0 auto;padding:1rem 1rem 3rem;color:#1f2328;background:#fff;overflow-wrap:normal;word-break:normal}
h1{font-size:1.8rem;line-height:1.2;margin:.5rem 0}
h2{font-size:1.2rem;line-height:1.3;margin:2.2rem 0 .3rem;padding-bottom:.3rem;border-bottom:2px solid #d0d7de}
a{color:#0550ae}
p{margin:.6rem 0}
.desc{font-size:1.1rem;color:#424a53}
.note,nav{font-size:.9rem;color:#57606a}
.feeds,.posts{list-style:none;margin:0;padding:0}
.feeds>li{display:grid;grid-template-columns:minmax(0,1fr) auto auto;grid-template-areas:"name stats formats" "addr addr addr";align-items:baseline;gap:.3rem 1.5rem;padding:.7rem 0;border-bottom:1px solid #eaeef2}
.name{grid-area:name;font-weight:600}
.stats{grid-area:stats;font-size:.9rem;color:#57606a;white-space:nowrap}
.addr{grid-area:addr;display:flex;align-items:flex-start;gap:.5rem;min-width:0}
.url{flex:1 1 auto;min-width:0;font:.85rem/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;color:#1f2328;background:#f6f8fa;border-radius:4px;padding:.1rem .3rem;overflow-wrap:normal;word-break:normal;user-select:all;-webkit-user-select:all}
.url span{white-space:nowrap}
.copy{display:none;flex:none;font:inherit;font-size:.8rem;line-height:1.4;padding:.1rem .6rem;min-width:4.5rem;color:#1f2328;background:#f6f8fa;border:1px solid #afb8c1;border-radius:6px;cursor:pointer}
.copy:hover{background:#eaeef2}
.js .copy{display:block}
.formats{grid-area:formats;font-size:.9rem;white-space:nowrap}
.posts>li{padding:.5rem 0;border-bottom:1px solid #eaeef2}
.posts>li>a{font-weight:600}
.name,.posts>li>a{overflow-wrap:break-word}
.meta{font-size:.9rem;color:#57606a}
.js-only{display:none}
.js .js-only{display:inline}
@media (max-width:40rem){
.feeds>li{grid-template-columns:minmax(0,1fr);grid-template-areas:"name" "stats" "addr" "formats";gap:.2rem}
.url{font-size:.8rem}
}
</style>
</head>
<body>
<header>
<h1>{{.Site.Title}}</h1>
{{with .Site.Description}}<p class="desc">{{.}}</p>{{end}}
<p class="lead">A feed is a list of new posts that a feed reader app checks for you, so that you see what is new without visiting the site. To subscribe, give your feed reader the address of a feed below<span class="js-only"> (its Copy button copies it)</span>, or import the <a href="{{.Site.BaseURL}}/opml.xml">OPML list</a> into your reader to subscribe to {{if eq .FeedCount 1}}it{{else}}all {{.FeedCount}} feeds{{end}} at once.</p>
<p class="note">Times are in {{.Zone}}.</p>
<nav>On this page: {{range $i, $s := .Sections}}{{if $i}} · {{end}}<a href="#{{$s.ID}}">{{$s.Name}}</a>{{end}}</nav>
</header>
<main>
{{range .Sections}}<h2 id="{{.ID}}">{{.Name}}</h2>
{{if .Posts}}<ol class="posts">
{{range .Posts}}<li><a href="{{.Link}}" lang="{{.Lang}}">{{.Title}}</a>
<div class="meta"><time datetime="{{.Date.Attr}}">{{.Date.Text}}</time>{{range $i, $c := .Categories}}{{if $i}}, {{else}} · {{end}}{{if $c.Href}}<a href="{{$c.Href}}">{{$c.Name}}</a>{{else}}{{$c.Name}}{{end}}{{end}}</div></li>
{{end}}</ol>
{{else}}<ul class="feeds">
{{range .Feeds}}<li id="{{.ID}}">
<div class="name">{{.Name}}</div>
<div class="stats"><span class="count">{{.Count}}</span> {{if eq .Count 1}}post{{else}}posts{{end}}{{with .Newest}}, latest <time datetime="{{.Attr}}">{{.Text}}</time>{{end}}</div>
<div class="addr"><code class="url">{{range $i, $p := .URLParts}}{{if $i}}<wbr>{{end}}<span>{{$p}}</span>{{end}}</code><button type="button" class="copy" data-url="{{.URL}}" title="Copy the address" aria-live="polite">Copy</button></div>
<div class="formats">{{range $i, $l := .Links}}{{if $i}} · {{end}}<a href="{{$l.Href}}">{{$l.Name}}</a>{{end}}</div>
</li>
{{end}}</ul>
{{end}}{{end}}</main>
<script>
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("button.copy");
  if (!b) return;
  var url = b.getAttribute("data-url"), code = b.parentNode.querySelector(".url");
  function say(label) {
    b.textContent = label;
    clearTimeout(b.copyTimer);
    b.copyTimer = setTimeout(function () { b.textContent = "Copy"; }, 2000);
  }
  function selectIt() {
    var r = document.createRange(), s = window.getSelection();
    r.selectNodeContents(code);
    s.removeAllRanges();
    s.addRange(r);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (err) {}
    say(ok ? "Copied" : "Selected");
  }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(url).then(function () { say("Copied"); }, selectIt);
  } else {
    selectIt();
  }
});
</script>
</body>
</html>
`))

// indexLink is a link to a feed. Type is a whole attribute so that "+" in
// the media type is written as it is: autodiscovery is often done with
// plain pattern matching.
type indexLink struct {
	Name, Href, Title string
	Type              template.HTMLAttr
}

// indexTime is a time as the page shows it, in the site's zone, and as
// its <time> element's datetime attribute.
type indexTime struct{ Attr, Text string }

// indexRef is a link to a feed's entry in the page: "#" and its ID (none
// if it has no entry).
type indexRef struct{ Href, Name string }

type indexFeed struct {
	// ID is the entry's id, the feed's path ("/category/national/"), so
	// that a post's categories link to their feeds' entries.
	ID, Name, URL string
	// URLParts are URL's pieces, in which it may not wrap.
	URLParts []string
	Count    int
	Newest   *indexTime
	Links    []indexLink
}

// indexSection is a part of the page under its heading: the feeds of a
// kind, or the newest posts.
type indexSection struct {
	ID, Name string
	Feeds    []indexFeed
	Posts    []indexPost
}

type indexPost struct {
	Title, Link, Lang string
	Date              indexTime
	Categories        []indexRef
}

// indexLatest is how many of the newest posts the page lists.
const indexLatest = 10

// indexTimeLayout is how the page writes times, in the site's zone.
const indexTimeLayout = "2006-01-02 15:04"

// Index is the HTML page that lists every feed of snap, by kind, with
// links to each format and autodiscovery links to the main feed, after a
// word on how to subscribe; the newest posts follow the feed of all.
func (site *Site) Index(snap *feed.Snapshot) ([]byte, error) {
	data := struct {
		Site      *Site
		Zone      string
		FeedCount int
		Main      []indexLink
		Sections  []indexSection
	}{Site: site, Zone: site.location().String(), FeedCount: len(snap.Views())}
	names := site.indexNamer()
	groups := make([]indexSection, len(feed.Kinds))
	for _, v := range snap.Views() {
		g := &groups[kindIndex(v.Key.Kind)]
		g.ID, g.Name = "feeds-"+v.Key.Kind.Name, v.Key.Kind.Group
		g.Feeds = append(g.Feeds, site.indexFeed(v, names))
		if v.Key.Kind == feed.Everything {
			for _, f := range Formats {
				data.Main = append(data.Main, indexLink{
					Type:  template.HTMLAttr(`type="` + f.mediaType() + `"`),
					Title: site.Title + " (" + f.Name + ")",
					Href:  site.URL(v.Key, f),
				})
			}
		}
	}
	for i, g := range groups {
		if len(g.Feeds) > 0 {
			data.Sections = append(data.Sections, g)
		}
		if feed.Kinds[i] != feed.Everything {
			continue
		}
		if posts := site.indexPosts(snap, names); len(posts) > 0 {
			data.Sections = append(data.Sections, indexSection{ID: "latest", Name: "Latest posts", Posts: posts})
		}
	}
	var buf bytes.Buffer
	err := indexPage.Execute(&buf, data)
	return buf.Bytes(), err
}

// indexFeed is one feed's entry in the index page.
func (site *Site) indexFeed(v *feed.View, names *indexNamer) indexFeed {
	f := indexFeed{
		ID:    v.Key.Dir(),
		Name:  cmp.Or(site.viewName(v, names.name), "All posts"),
		Count: v.Len(),
		URL:   site.URL(v.Key, RSS),
	}
	f.URLParts = urlParts(f.URL)
	if !v.Newest.IsZero() {
		t := site.indexTime(v.Newest)
		f.Newest = &t
	}
	for _, format := range Formats {
		f.Links = append(f.Links, indexLink{Name: format.Name, Href: site.URL(v.Key, format)})
	}
	return f
}

// indexPosts are the newest posts of snap, each with its categories named
// and linked as in their feeds' entries.
func (site *Site) indexPosts(snap *feed.Snapshot, names *indexNamer) []indexPost {
	all, ok := snap.View(feed.ViewKey{Kind: feed.Everything})
	if !ok {
		return nil
	}
	page, _ := snap.Page(all, 1, indexLatest)
	kind := feed.KindOf(feed.ByCategory)
	var posts []indexPost
	for _, p := range page {
		ip := indexPost{Title: p.Title, Link: p.Link, Lang: p.Language, Date: site.indexTime(p.Date)}
		for _, c := range p.Categories {
			ref := indexRef{Name: c.Name} // a category without a feed has no entry
			if v, ok := snap.View(kind.Key(c.Slug)); ok {
				ref = indexRef{Href: "#" + v.Key.Dir(), Name: names.name(v, feed.ByCategory)}
			}
			ip.Categories = append(ip.Categories, ref)
		}
		posts = append(posts, ip)
	}
	return posts
}

// location is the zone the index page shows times in.
func (site *Site) location() *time.Location {
	if site.Location == nil {
		return time.UTC
	}
	return site.Location
}

func (site *Site) indexTime(t time.Time) indexTime {
	t = t.In(site.location())
	return indexTime{Attr: t.Format(time.RFC3339), Text: t.Format(indexTimeLayout)}
}

// indexNamer names facet values for people, on the index page only (feed
// titles keep ValueName's names). It holds a title caser, which is not
// safe for concurrent use: one per page.
type indexNamer struct {
	site  *Site
	title cases.Caser
}

func (site *Site) indexNamer() *indexNamer {
	return &indexNamer{site: site, title: cases.Title(language.Make(site.Language))}
}

// name is the configured name of v's value of facet f; else, for a
// language, its name in English and in itself ("Khmer · ខ្មែរ"); else how
// posts spell it, title-cased if it is in capitals ("REAL ESTATE" is "Real
// Estate").
func (n *indexNamer) name(v *feed.View, f *feed.Facet) string {
	key, _ := v.Key.Value(f)
	if name, ok := n.site.Names[f][key]; ok {
		return name
	}
	spelling, _ := v.Name(f)
	if f == feed.ByLanguage {
		return languageName(spelling)
	}
	if shouting(spelling) {
		return n.title.String(spelling)
	}
	return spelling
}

// unknownLanguage is x/text's English name for a tag it cannot name.
var unknownLanguage = display.English.Tags().Name(language.Und)

// languageName names a language tag in English and in the language itself,
// once when the two are the same ("English", "American English"): "Khmer ·
// ខ្មែរ", "Traditional Chinese · 繁體中文". A tag x/text cannot name is
// shown as it is.
func languageName(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	en := display.English.Tags().Name(t)
	self := display.Self.Name(t)
	if en == "" || en == unknownLanguage {
		return cmp.Or(self, tag)
	}
	if self == "" || self == en {
		return en
	}
	return en + " · " + self
}

// shouting reports whether name is written in capitals, and so better
// title-cased for people: it has upper-case letters and no lower-case
// ones, in any script that has cases (Latin, Greek, Cyrillic...; letters
// of scripts without them do not count). A single word of three letters
// or fewer ("UK", "TV", "ICT") is more likely an abbreviation than a
// word, and is left as it is.
func shouting(name string) bool {
	upper, letters := false, 0
	for _, r := range name {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		switch {
		case unicode.IsLower(r):
			return false
		case unicode.IsUpper(r):
			upper = true
		}
	}
	if letters <= 3 && !strings.ContainsFunc(name, unicode.IsSpace) {
		return false
	}
	return upper
}

// urlParts cuts u after each "/" (after the last of a run, so that
// "https://" stays whole), after each "-" of the path, and between two
// percent-encoded characters ("%E1%9E%87" | "%E1%9E%B6"), the places where
// the page lets an address wrap: a slug of several words, or a path
// segment in a script percent-encoded, can be longer than a phone's line.
func urlParts(u string) []string {
	var parts []string
	start := 0
	hostEnd := strings.Index(u, "//") + 2
	hostEnd += strings.IndexByte(u[hostEnd:], '/')
	for i := 0; i < len(u); i++ {
		inPath := i > hostEnd
		cut := -1
		switch {
		case u[i] == '/' && i+1 < len(u) && u[i+1] != '/':
			cut = i + 1
		case u[i] == '-' && inPath:
			cut = i + 1
		case u[i] == '%' && i-start >= 3 && u[i-3] == '%' && i+3 <= len(u) && leadByte(u[i+1:i+3]):
			cut = i
		}
		if cut > start {
			parts = append(parts, u[start:cut])
			start = cut
		}
	}
	return append(parts, u[start:])
}

// leadByte reports whether hex is a byte that starts a UTF-8 character.
func leadByte(hex string) bool {
	b, err := strconv.ParseUint(hex, 16, 8)
	return err == nil && (b < 0x80 || b >= 0xC0)
}

func kindIndex(k *feed.Kind) int {
	for i, kk := range feed.Kinds {
		if kk == k {
			return i
		}
	}
	return 0
}
