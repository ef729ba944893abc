package feed

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"time"
)

// The OPML 2.0 document listing every feed, for subscribing to all at once.

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Docs    string      `xml:"head>docs"`
	Body    []opmlEntry `xml:"body>outline"`
}

type opmlEntry struct {
	Text     string      `xml:"text,attr"`
	Title    string      `xml:"title,attr,omitempty"`
	Type     string      `xml:"type,attr,omitempty"`
	XMLURL   string      `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string      `xml:"htmlUrl,attr,omitempty"`
	Language string      `xml:"language,attr,omitempty"`
	Children []opmlEntry `xml:"outline"`
}

// OPML writes the OPML 2.0 list of snap's feeds: the main feed, then a
// group of category feeds, then a group per language holding the
// language's feed and its category feeds. Each links the RSS format.
func (site *Site) OPML(snap *Snapshot) ([]byte, error) {
	feedEntry := func(v *View, text string) opmlEntry {
		lang := v.Language
		if lang == "" {
			lang = site.Language
		}
		d := &Document{Site: site, View: v}
		return opmlEntry{Text: text, Title: d.Title(), Type: "rss", XMLURL: site.BaseURL + v.Key.Path(RSS), HTMLURL: site.Link, Language: lang}
	}
	doc := opmlDoc{Version: "2.0", Title: site.Title + " — feeds", Docs: "http://opml.org/spec2.opml"}
	categories := opmlEntry{Text: "Categories"}
	languages := map[string]*opmlEntry{}
	var langOrder []string
	for _, v := range snap.Views() {
		switch viewRank(v.Key) {
		case 0:
			doc.Body = append(doc.Body, feedEntry(v, "All posts"))
		case 1:
			categories.Children = append(categories.Children, feedEntry(v, site.CategoryName(v)))
		case 2:
			g := &opmlEntry{Text: site.LanguageName(v)}
			g.Children = append(g.Children, feedEntry(v, "All posts in "+site.LanguageName(v)))
			languages[v.Key.Language] = g
			langOrder = append(langOrder, v.Key.Language)
		case 3:
			if g := languages[v.Key.Language]; g != nil {
				g.Children = append(g.Children, feedEntry(v, site.CategoryName(v)))
			}
		}
	}
	if len(categories.Children) > 0 {
		doc.Body = append(doc.Body, categories)
	}
	for _, l := range langOrder {
		doc.Body = append(doc.Body, *languages[l])
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (h *Handler) opml(w http.ResponseWriter, r *http.Request) {
	snap := h.snapshot(w)
	if snap == nil {
		return
	}
	body, err := h.site.OPML(snap)
	if err != nil {
		h.log.Error("rendering the OPML list", "err", err)
		httpError(w, http.StatusInternalServerError, "internal error rendering the OPML list")
		return
	}
	h.serve(w, r, NewRendered(body, "text/x-opml; charset=utf-8", snapNewest(snap)))
}

// snapNewest is the newest change in the snapshot's feeds.
func snapNewest(snap *Snapshot) (t time.Time) {
	for _, v := range snap.Views() {
		if v.Newest.After(t) {
			t = v.Newest
		}
		if v.RemovedAt.After(t) {
			t = v.RemovedAt
		}
	}
	return t
}
