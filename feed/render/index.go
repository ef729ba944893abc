package render

import (
	"bytes"
	"cmp"
	"html/template"
	"time"

	"github.com/feedd/feedd/feed"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// indexPage lists every feed for people, with autodiscovery links.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="{{.Site.Language}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Site.Title}} — feeds</title>
{{range .Main}}<link rel="alternate" {{.Type}} title="{{.Title}}" href="{{.Href}}">
{{end}}<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:0 auto;padding:1rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
td.n{text-align:right}a{color:#0645ad}code{font-size:.85em;word-break:break-all;user-select:all}
td.d{white-space:nowrap}
@media (max-width:40rem){td.d,th.d{display:none}}
</style>
</head>
<body>
<h1>{{.Site.Title}}</h1>
{{if .Site.Description}}<p>{{.Site.Description}}</p>{{end}}
<p>Subscribe to every feed at once with the <a href="/opml.xml">OPML list</a>.</p>
{{range .Groups}}<h2>{{.Name}}</h2>
<table>
<tr><th>Feed</th><th class="n">Items</th><th class="d">Newest</th><th>Formats</th></tr>
{{range .Feeds}}<tr><td>{{.Name}}<br><code>{{.URL}}</code></td><td class="n">{{.Count}}</td><td class="d">{{.Newest}}</td><td>{{range $i, $l := .Links}}{{if $i}} · {{end}}<a href="{{$l.Href}}">{{$l.Name}}</a>{{end}}</td></tr>
{{end}}</table>
{{end}}
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

type indexFeed struct {
	Name, URL, Newest string
	Count             int
	Links             []indexLink
}

type indexGroup struct {
	Name  string
	Feeds []indexFeed
}

// Index is the HTML page that lists every feed of snap, by kind, with
// links to each format and autodiscovery links to the main feed.
func (site *Site) Index(snap *feed.Snapshot) ([]byte, error) {
	data := struct {
		Site   *Site
		Main   []indexLink
		Groups []indexGroup
	}{Site: site}
	groups := make([]indexGroup, len(feed.Kinds))
	for _, v := range snap.Views() {
		g := &groups[kindIndex(v.Key.Kind)]
		g.Name = v.Key.Kind.Group
		g.Feeds = append(g.Feeds, site.indexFeed(v))
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
	for _, g := range groups {
		if len(g.Feeds) > 0 {
			data.Groups = append(data.Groups, g)
		}
	}
	var buf bytes.Buffer
	err := indexPage.Execute(&buf, data)
	return buf.Bytes(), err
}

// indexFeed is one row of the index page.
func (site *Site) indexFeed(v *feed.View) indexFeed {
	f := indexFeed{Name: cmp.Or(site.viewName(v, site.readableName), "All posts"), Count: v.Len(), URL: site.URL(v.Key, RSS)}
	if !v.Newest.IsZero() {
		f.Newest = v.Newest.UTC().Format(time.DateOnly)
	}
	for _, format := range Formats {
		f.Links = append(f.Links, indexLink{Name: format.Name, Href: v.Key.Dir() + format.File})
	}
	return f
}

// readableName is ValueName, but for a language without a configured
// name, which the page names in that language ("ខ្មែរ" for km).
func (site *Site) readableName(v *feed.View, f *feed.Facet) string {
	key, _ := v.Key.Value(f)
	if _, named := site.Names[f][key]; f == feed.ByLanguage && !named {
		tag, _ := v.Name(f)
		if n := display.Self.Name(language.Make(tag)); n != "" {
			return n
		}
	}
	return site.ValueName(v, f)
}

func kindIndex(k *feed.Kind) int {
	for i, kk := range feed.Kinds {
		if kk == k {
			return i
		}
	}
	return 0
}
