package server_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/server"
	"github.com/mmcdole/gofeed"
)

// conformanceServer serves the awkward corpus and the sample posts.
func conformanceServer(t *testing.T) (*httptest.Server, *feed.Snapshot) {
	t.Helper()
	set, _ := feedtest.Load(t, "awkward", feedtest.Samples())
	_, srv := newTestServer(t, set, server.Options{})
	return srv, set.Current()
}

// conformanceDoc is one document fetched for the conformance test.
type conformanceDoc struct {
	path   string // canonical path and query
	format *render.Format
	posts  []*feed.Post // the items it must hold, in order
}

// itemFacts are what a reader shows of an item that must agree across
// the formats: its id, its authors and its language.
type itemFacts struct {
	ID, Language string
	Authors      []string
}

// wantFacts are the facts of p's item: its code in RSS and JSON Feed, the
// tag URI in Atom; its authors, else the site's (in RSS, one dc:creator
// with every name); its language.
func wantFacts(site *render.Site, f *render.Format, p *feed.Post) itemFacts {
	w := itemFacts{ID: p.ID, Language: p.Language, Authors: p.Authors}
	if f == render.Atom {
		w.ID = site.AtomID(p)
	}
	if len(w.Authors) == 0 {
		w.Authors = []string{site.Author}
	}
	if f == render.RSS {
		w.Authors = []string{strings.Join(w.Authors, ", ")}
	}
	return w
}

// gofeedFacts are the facts gofeed reads; the item's language from RSS's
// dc:language or the channel's, and JSON Feed's from the raw document (gofeed
// keeps neither an Atom entry's nor a JSON item's).
func gofeedFacts(t *testing.T, f *render.Format, parsed *gofeed.Feed, body []byte) []itemFacts {
	var raw struct {
		Language string
		Items    []struct{ Language string }
	}
	if f == render.JSONFeed {
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatal(err)
		}
	}
	var out []itemFacts
	for i, it := range parsed.Items {
		facts := itemFacts{ID: it.GUID}
		for _, a := range it.Authors {
			facts.Authors = append(facts.Authors, a.Name)
		}
		switch f {
		case render.RSS:
			facts.Language = parsed.Language
			if dc := it.DublinCoreExt; dc != nil && len(dc.Language) > 0 {
				facts.Language = dc.Language[0]
			}
		case render.JSONFeed:
			facts.Language = cmp.Or(raw.Items[i].Language, raw.Language)
		case render.Atom:
			facts.Language = "(not read by gofeed)"
		}
		out = append(out, facts)
	}
	return out
}

// compareFacts reports every item whose facts as read differ from what
// the posts say.
func compareFacts(t *testing.T, reader string, site *render.Site, d conformanceDoc, got []itemFacts) {
	t.Helper()
	if len(got) != len(d.posts) {
		t.Errorf("%s, read by %s: %d items, want %d", d.path, reader, len(got), len(d.posts))
	}
	for i, p := range d.posts {
		if i >= len(got) {
			break
		}
		want := wantFacts(site, d.format, p)
		g := got[i]
		if g.Language == "(not read by gofeed)" {
			g.Language = want.Language
		}
		// An author written "Name <address>" is read as a person with an
		// address by each reader its own way (gofeed drops it, feedparser
		// keeps the name): only the id and language are compared.
		if slices.ContainsFunc(p.Authors, func(a string) bool { return strings.Contains(a, "<") }) {
			g.Authors = want.Authors
		}
		if g.ID != want.ID || g.Language != want.Language || !slices.Equal(g.Authors, want.Authors) {
			t.Errorf("%s, read by %s: item %d is %+v, want %+v", d.path, reader, i, g, want)
		}
	}
}

// TestConformance fetches every format of every feed of the awkward
// corpus and the samples, and a middle page of the main feeds, over HTTP,
// then reads each with gofeed, strict encoding/xml or the JSON Feed 1.1
// rules, the XML ones with Python's feedparser (one process for all), and
// every one with Miniflux's parser.
func TestConformance(t *testing.T) {
	t.Parallel() // it spends seconds waiting (timers, other processes): others run meanwhile
	srv, snap := conformanceServer(t)
	site := feedtest.Site()
	var docs []conformanceDoc
	kinds := map[*feed.Kind]bool{}
	for _, v := range snap.Views() {
		kinds[v.Key.Kind] = true
		for _, f := range render.Formats {
			posts, _ := snap.Page(v, 1, site.Limit)
			docs = append(docs, conformanceDoc{path: v.Key.Dir() + f.File, format: f, posts: posts})
		}
	}
	all, _ := snap.View(feed.ViewKey{Kind: feed.Everything})
	for _, f := range render.Formats {
		posts, _ := snap.Page(all, 2, 3)
		docs = append(docs, conformanceDoc{path: "/" + f.File + "?limit=3&page=2", format: f, posts: posts})
	}
	if all.Len() < 25 || len(snap.Views()) < 30 || len(kinds) != len(feed.Kinds) {
		t.Fatalf("the corpus is smaller than expected: %d posts, %d feeds of %d kinds", all.Len(), len(snap.Views()), len(kinds))
	}

	dir := t.TempDir()
	var forPython []map[string]string
	var pythonDocs []conformanceDoc
	var forMiniflux []map[string]string
	for i, d := range docs {
		resp, body := fetch(t, "GET", srv.URL+d.path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != d.format.ContentType {
			t.Fatalf("GET %s: %d %s", d.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		parsed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: gofeed: %v", d.path, err)
			continue
		}
		if len(parsed.Items) != len(d.posts) {
			t.Errorf("%s: gofeed sees %d items, want %d", d.path, len(parsed.Items), len(d.posts))
		}
		compareFacts(t, "gofeed", site, d, gofeedFacts(t, d.format, parsed, body))
		ids := map[string]bool{}
		for _, it := range parsed.Items {
			if ids[it.GUID] || it.GUID == "" {
				t.Errorf("%s: empty or repeated id %q", d.path, it.GUID)
			}
			ids[it.GUID] = true
			if !feedtest.AbsoluteHTTPURL(it.Link) || it.PublishedParsed == nil || it.Title == "" || it.Content == "" {
				t.Errorf("%s: item %s: link %q, published %v, title %q, content %d bytes", d.path, it.GUID, it.Link, it.PublishedParsed, it.Title, len(it.Content))
			}
		}
		file := filepath.Join(dir, fmt.Sprintf("%03d", i))
		if err := os.WriteFile(file, body, 0o644); err != nil {
			t.Fatal(err)
		}
		forMiniflux = append(forMiniflux, map[string]string{"URL": site.BaseURL + d.path, "File": file})
		if d.format == render.JSONFeed {
			for _, problem := range feedtest.CheckJSONFeed(body, site.BaseURL+d.path) {
				t.Errorf("%s: %s", d.path, problem)
			}
			continue
		}
		if err := feedtest.WellFormed(body); err != nil {
			t.Errorf("%s: not well-formed XML: %v", d.path, err)
		}
		forPython = append(forPython, map[string]string{"file": file, "url": site.BaseURL + d.path, "path": d.path, "type": resp.Header.Get("Content-Type")})
		pythonDocs = append(pythonDocs, d)
	}
	// Each in a subtest: a reader missing here skips its own check only.
	t.Run("feedparser", func(t *testing.T) {
		for i, entries := range checkWithFeedparser(t, forPython) {
			compareFacts(t, "feedparser", site, pythonDocs[i], entries)
		}
	})
	t.Run("miniflux", func(t *testing.T) { checkWithMiniflux(t, site, docs, forMiniflux) })
}

// minifluxVersion is the Miniflux whose feed parser reads the documents.
const minifluxVersion = "v2.3.5"

// checkWithMiniflux reads every document with Miniflux's own feed parser:
// none may fail, and each entry's title, link, date and authors must be
// its post's.
func checkWithMiniflux(t *testing.T, site *render.Site, docs []conformanceDoc, files []map[string]string) {
	t.Helper()
	in, err := json.Marshal(files)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(minifluxParser(t))
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("Miniflux's parser: %v", err)
	}
	var results []struct {
		Error   string
		Entries []struct{ Title, URL, Author, Date string }
	}
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(docs) {
		t.Fatalf("Miniflux's parser read %d documents of %d: %v", len(results), len(docs), err)
	}
	for i, r := range results {
		d := docs[i]
		if r.Error != "" || len(r.Entries) != len(d.posts) {
			t.Errorf("%s, read by Miniflux: %d entries, want %d; error %q", d.path, len(r.Entries), len(d.posts), r.Error)
			continue
		}
		for j, e := range r.Entries {
			p := d.posts[j]
			want := wantFacts(site, render.JSONFeed, p).Authors
			// Miniflux joins the names with ", ", in order of name (RSS's
			// one dc:creator is split the same way to compare).
			got := strings.Split(e.Author, ", ")
			slices.Sort(got)
			want = slices.Sorted(slices.Values(want))
			if slices.ContainsFunc(p.Authors, func(a string) bool { return strings.Contains(a, "<") }) {
				got = want // an address in a name: see compareFacts
			}
			title := p.Title
			if d.format == render.RSS {
				// Miniflux reads an RSS title as HTML: a title that holds
				// "&amp;" as text shows "&" (readers differ; see the RSS
				// text escaping in docs/reference.md).
				title = html.UnescapeString(title)
			}
			if e.URL != p.Link || e.Date != p.Date.UTC().Format(time.RFC3339) || e.Title != title || !slices.Equal(got, want) {
				t.Errorf("%s, read by Miniflux: entry %d is %+v; want link %s, date %s, title %q, authors %q",
					d.path, j, e, p.Link, p.Date.UTC().Format(time.RFC3339), title, want)
			}
		}
	}
}

// minifluxParser builds testdata/miniflux/main.go inside a copy of the
// Miniflux module (from the Go module proxy: only code in that module may
// import its parser), and gives the program's path.
func minifluxParser(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command, to build Miniflux's parser: %v", err)
	}
	out, err := exec.Command(goCmd, "mod", "download", "-json", "miniflux.app/v2@"+minifluxVersion).Output()
	var mod struct{ Dir, Error string }
	if err == nil {
		err = json.Unmarshal(out, &mod)
	}
	if err != nil || mod.Dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("miniflux.app/v2@%s from the module proxy: %v %s", minifluxVersion, err, mod.Error)
		}
		t.Skipf("Miniflux's parser is not checked: miniflux.app/v2@%s cannot be downloaded (%v %s)", minifluxVersion, err, mod.Error)
	}
	src := filepath.Join(t.TempDir(), "miniflux")
	if err := os.CopyFS(src, os.DirFS(mod.Dir)); err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join("testdata", "miniflux", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(src, "internal", "feeddcheck")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "main.go"), main, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "miniflux-parse")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command(goCmd, append(args, "./internal/feeddcheck")...)
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building Miniflux's parser: %v\n%s", err, out)
	}
	return bin
}

// checkWithFeedparser reads the XML documents with Python's feedparser:
// none may be bozo, every date must parse, every link be absolute, and the
// self link be the URL the document was fetched from. It gives each
// document's items as feedparser reads them.
func checkWithFeedparser(t *testing.T, docs []map[string]string) [][]itemFacts {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import feedparser").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-feedparser is missing in CI: .ci/run must install it (%v)", err)
		}
		t.Skipf("Debian's python3-feedparser is not installed (apt-get install python3-feedparser; .ci/run does): %v", err)
	}
	in, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "feedcheck.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("feedcheck.py: %v\n%s", err, stderr.String())
	}
	var results []struct {
		File, Version, Language, Title string
		BozoException                  string `json:"bozo_exception"`
		Bozo, Updated                  bool
		Self                           []string
		Entries                        []struct {
			ID, Link, Title, Language   string
			Authors                     []string
			Published, Updated, Content bool
		}
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("feedcheck.py output: %v", err)
	}
	if len(results) != len(docs) {
		t.Fatalf("feedparser read %d documents of %d", len(results), len(docs))
	}
	var entries [][]itemFacts
	for i, r := range results {
		path := docs[i]["path"]
		if r.Bozo {
			t.Errorf("%s: feedparser: bozo: %s", path, r.BozoException)
		}
		if len(r.Self) != 1 || r.Self[0] != docs[i]["url"] {
			t.Errorf("%s: self links %q, want exactly %s", path, r.Self, docs[i]["url"])
		}
		if r.Language == "" || r.Title == "" || !r.Updated || (r.Version != "rss20" && r.Version != "atom10") {
			t.Errorf("%s: language %q, title %q, updated %v, version %q", path, r.Language, r.Title, r.Updated, r.Version)
		}
		var facts []itemFacts
		for _, e := range r.Entries {
			if e.ID == "" || !feedtest.AbsoluteHTTPURL(e.Link) || e.Title == "" || !e.Published || !e.Updated || !e.Content {
				t.Errorf("%s: feedparser entry %+v", path, e)
			}
			facts = append(facts, itemFacts{ID: e.ID, Language: e.Language, Authors: e.Authors})
		}
		entries = append(entries, facts)
	}
	return entries
}

// TestJSONFeedSafeInScript: no field can end a <script> element that a page
// inlines a JSON Feed in.
func TestJSONFeedSafeInScript(t *testing.T) {
	srv, _ := conformanceServer(t)
	_, body := fetch(t, "GET", srv.URL+"/feed.json?limit=500", nil)
	if !strings.Contains(string(body), `\u003c/script\u003e`) {
		t.Fatal("the corpus should hold </script> in a JSON field")
	}
	if strings.Contains(strings.ToLower(string(body)), "</script") || strings.Contains(string(body), "<!--") {
		t.Error("a JSON Feed holds </script> or <!-- as is")
	}
}
