package feed

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"time"
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

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	snap := h.snapshot(w)
	if snap == nil {
		return
	}
	data := struct {
		Site   *Site
		Main   []indexLink
		Groups []indexGroup
	}{Site: h.site}
	groupNames := []string{"Everything", "By category", "By language", "By language and category"}
	groups := make([]indexGroup, len(groupNames))
	for i, n := range groupNames {
		groups[i].Name = n
	}
	for _, v := range snap.Views() {
		d := &Document{Site: h.site, View: v}
		name := "All posts"
		if t := d.Title(); t != h.site.Title {
			name = t[len(h.site.Title)+len(" — "):]
		}
		f := indexFeed{Name: name, Count: v.Len(), URL: h.site.BaseURL + v.Key.Path(RSS)}
		if !v.Newest.IsZero() {
			f.Newest = v.Newest.UTC().Format(time.DateOnly)
		}
		for _, format := range Formats {
			f.Links = append(f.Links, indexLink{Name: format.String(), Href: v.Key.Path(format)})
		}
		rank := viewRank(v.Key)
		groups[rank].Feeds = append(groups[rank].Feeds, f)
		if rank == 0 {
			for _, format := range Formats {
				data.Main = append(data.Main, indexLink{
					Type:  template.HTMLAttr(`type="` + strings.TrimSuffix(format.ContentType(), "; charset=utf-8") + `"`),
					Title: h.site.Title + " (" + format.String() + ")",
					Href:  h.site.BaseURL + v.Key.Path(format),
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
	if err := indexPage.Execute(&buf, data); err != nil {
		h.log.Error("rendering the index page", "err", err)
		httpError(w, http.StatusInternalServerError, "internal error rendering the index page")
		return
	}
	h.serve(w, r, NewRendered(buf.Bytes(), "text/html; charset=utf-8", snapNewest(snap)))
}
