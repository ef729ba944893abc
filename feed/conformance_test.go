package feed_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/watcher"
	"github.com/mmcdole/gofeed"
)

// conformanceServer serves the awkward corpus and the sample posts.
func conformanceServer(t *testing.T) (*httptest.Server, *feed.Snapshot) {
	t.Helper()
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, dir := range []string{"testdata/awkward", "../posts"} {
		res, err := watcher.Scan(dir, testParseOptions())
		if err != nil {
			t.Fatal(err)
		}
		set.Apply(res.Posts, nil)
	}
	srv := httptest.NewServer(feed.NewHandler(testSite(), set, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv, set.Current()
}

// conformanceDoc is one document fetched for the conformance test.
type conformanceDoc struct {
	path   string // canonical path and query
	format feed.Format
	items  int // how many items it must hold
	body   []byte
}

func absoluteHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// TestConformance fetches every format of every view of the awkward corpus
// and the samples, and a middle page of the main feeds, then reads each
// with gofeed, encoding/xml or encoding/json, JSON Feed 1.1's rules, and
// Python's feedparser.
func TestConformance(t *testing.T) {
	srv, snap := conformanceServer(t)
	const base = "https://feeds.example.com"
	var docs []conformanceDoc
	for _, v := range snap.Views() {
		for _, f := range feed.Formats {
			docs = append(docs, conformanceDoc{path: v.Key.Path(f), format: f, items: min(v.Len(), 50)})
		}
	}
	all, _ := snap.View(feed.ViewKey{})
	for _, f := range feed.Formats {
		docs = append(docs, conformanceDoc{path: feed.ViewKey{}.Path(f) + "?limit=3&page=2", format: f, items: 3})
	}
	if all.Len() < 25 || len(snap.Views()) < 30 {
		t.Fatalf("the corpus is smaller than expected: %d posts, %d views", all.Len(), len(snap.Views()))
	}

	dir := t.TempDir()
	var forPython []map[string]string
	for i := range docs {
		d := &docs[i]
		resp, body := fetch(t, http.MethodGet, srv.URL+d.path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != d.format.ContentType() {
			t.Fatalf("GET %s: %d %s", d.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		d.body = body
		parsed, err := gofeed.NewParser().ParseString(string(body))
		if err != nil {
			t.Errorf("%s: gofeed: %v", d.path, err)
			continue
		}
		if len(parsed.Items) != d.items {
			t.Errorf("%s: gofeed sees %d items, want %d", d.path, len(parsed.Items), d.items)
		}
		ids := map[string]bool{}
		for _, it := range parsed.Items {
			if ids[it.GUID] || it.GUID == "" {
				t.Errorf("%s: empty or repeated id %q", d.path, it.GUID)
			}
			ids[it.GUID] = true
			if !absoluteHTTPURL(it.Link) || it.PublishedParsed == nil || it.Title == "" || it.Content == "" {
				t.Errorf("%s: item %s: link %q, published %v, title %q, content %d bytes", d.path, it.GUID, it.Link, it.PublishedParsed, it.Title, len(it.Content))
			}
		}
		if d.format == feed.JSONFeed {
			for _, problem := range checkJSONFeed(body, base+d.path) {
				t.Errorf("%s: %s", d.path, problem)
			}
			continue
		}
		if err := wellFormed(body); err != nil {
			t.Errorf("%s: not well-formed XML: %v", d.path, err)
		}
		file := filepath.Join(dir, fmt.Sprintf("%03d.xml", i))
		if err := os.WriteFile(file, body, 0o644); err != nil {
			t.Fatal(err)
		}
		forPython = append(forPython, map[string]string{"file": file, "url": base + d.path, "path": d.path, "type": resp.Header.Get("Content-Type")})
	}
	checkWithFeedparser(t, forPython)
}

func wellFormed(body []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	for {
		if _, err := dec.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// checkWithFeedparser reads the XML documents with Python's feedparser:
// none may be bozo, every date must parse, every link be absolute, and the
// self link be the URL the document was fetched from.
func checkWithFeedparser(t *testing.T, docs []map[string]string) {
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
	cmd := exec.Command(py, "testdata/feedcheck.py")
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
			ID, Link, Title             string
			Published, Updated, Content bool
		}
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("feedcheck.py output: %v", err)
	}
	if len(results) != len(docs) {
		t.Fatalf("feedparser read %d documents of %d", len(results), len(docs))
	}
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
		for _, e := range r.Entries {
			if e.ID == "" || !absoluteHTTPURL(e.Link) || e.Title == "" || !e.Published || !e.Content {
				t.Errorf("%s: feedparser entry %+v", path, e)
			}
		}
	}
}

// checkJSONFeed checks a document against the JSON Feed 1.1 rules: the
// required fields and their types, absolute URLs, RFC 3339 dates, items
// present, ids unique; it returns the problems found.
func checkJSONFeed(body []byte, selfURL string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	str := func(m map[string]any, key string, required bool) (string, bool) {
		v, ok := m[key]
		if !ok {
			if required {
				bad("%q is missing", key)
			}
			return "", false
		}
		s, isStr := v.(string)
		if !isStr {
			bad("%q is not a string: %v", key, v)
		}
		return s, isStr
	}
	url := func(m map[string]any, key string, required bool) {
		if s, ok := str(m, key, required); ok && !absoluteHTTPURL(s) {
			bad("%q is not an absolute URL: %q", key, s)
		}
	}
	date := func(m map[string]any, key string) {
		if s, ok := str(m, key, false); ok {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				bad("%q is not RFC 3339: %q", key, s)
			}
		}
	}
	authors := func(m map[string]any) {
		list, ok := m["authors"].([]any)
		if _, present := m["authors"]; present && !ok {
			bad("authors is not an array")
		}
		for _, a := range list {
			am, ok := a.(map[string]any)
			if !ok || (am["name"] == nil && am["url"] == nil && am["avatar"] == nil) {
				bad("an author needs a name, url or avatar: %v", a)
			}
		}
	}
	known := map[string]bool{"version": true, "title": true, "home_page_url": true, "feed_url": true, "description": true,
		"user_comment": true, "next_url": true, "icon": true, "favicon": true, "author": true, "authors": true,
		"language": true, "expired": true, "hubs": true, "items": true}
	for k := range doc {
		if !known[k] && !strings.HasPrefix(k, "_") {
			bad("unknown top-level key %q", k)
		}
	}
	if v, _ := str(doc, "version", true); v != "https://jsonfeed.org/version/1.1" {
		bad("version %q", v)
	}
	if t, _ := str(doc, "title", true); t == "" {
		bad("empty title")
	}
	url(doc, "home_page_url", false)
	url(doc, "feed_url", true)
	if s, _ := doc["feed_url"].(string); s != selfURL {
		bad("feed_url %q, want %q", s, selfURL)
	}
	url(doc, "next_url", false)
	url(doc, "icon", false)
	url(doc, "favicon", false)
	str(doc, "language", false)
	authors(doc)
	items, ok := doc["items"].([]any)
	if !ok {
		bad("items is missing or not an array")
	}
	ids := map[string]bool{}
	itemKeys := map[string]bool{"id": true, "url": true, "external_url": true, "title": true, "content_html": true,
		"content_text": true, "summary": true, "image": true, "banner_image": true, "date_published": true,
		"date_modified": true, "author": true, "authors": true, "tags": true, "language": true, "attachments": true}
	for _, raw := range items {
		it, ok := raw.(map[string]any)
		if !ok {
			bad("an item is not an object")
			continue
		}
		for k := range it {
			if !itemKeys[k] && !strings.HasPrefix(k, "_") {
				bad("unknown item key %q", k)
			}
		}
		id, _ := str(it, "id", true)
		if id == "" || ids[id] {
			bad("empty or repeated id %q", id)
		}
		ids[id] = true
		url(it, "url", false)
		url(it, "image", false)
		_, html := it["content_html"]
		_, text := it["content_text"]
		if !html && !text {
			bad("item %s has neither content_html nor content_text", id)
		}
		date(it, "date_published")
		date(it, "date_modified")
		if tags, present := it["tags"]; present {
			list, ok := tags.([]any)
			for _, tag := range list {
				if _, isStr := tag.(string); !isStr {
					ok = false
				}
			}
			if !ok {
				bad("item %s: tags is not an array of strings", id)
			}
		}
		authors(it)
	}
	return problems
}
