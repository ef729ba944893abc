package parse_test

import (
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/text"
)

// addSeeds adds every post file of the fixture, the awkward corpus and the
// samples to the fuzzer's seed corpus (testdata/fuzz/FuzzParse holds more).
func addSeeds(f *testing.F) {
	for _, dir := range []string{feedtest.Dir("posts"), feedtest.Dir("awkward"), feedtest.Samples()} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
				if data, err := os.ReadFile(path); err == nil {
					f.Add(data)
				}
			}
			return nil
		})
	}
}

// absoluteHTTPURL says whether s is an absolute http(s) URL in ASCII.
func absoluteHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// FuzzParse: for any bytes, Parse gives either a one-line *PostError or a
// post whose fields a feed can carry as they are.
//
//	go test ./feed/parse -run '^$' -fuzz '^FuzzParse$' -fuzztime 1m
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parse.Post("fuzz/post.md", data, time.Time{}, feedtest.ParseOptions())
		deferred := feedtest.ParseOptions()
		deferred.DeferBodies = true
		later, laterErr := parse.Post("fuzz/post.md", data, time.Time{}, deferred)
		if (err == nil) != (laterErr == nil) || err != nil && err.Error() != laterErr.Error() {
			t.Fatalf("deferring bodies changes the outcome: %v, then %v", err, laterErr)
		}
		if err != nil {
			var pe *parse.Error
			if !errors.As(err, &pe) || pe.Reason == "" || pe.Path != "fuzz/post.md" {
				t.Fatalf("error %v (%T) is not a *PostError with a reason", err, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		html, err := p.HTML()
		if err != nil {
			t.Fatalf("the body cannot be read: %v", err)
		}
		if got, err := later.HTML(); err != nil || got != html {
			t.Fatalf("the deferred body renders %q, %v; want %q", got, err, html)
		}
		fields := map[string]string{"ID": p.ID, "Title": p.Title, "Summary": p.Summary, "HTML": html, "Link": p.Link, "Image": p.Image, "Language": p.Language}
		for _, s := range append(append(p.Tags, p.Authors...), p.Warnings...) {
			fields["list item "+s] = s
		}
		for name, v := range fields {
			if !utf8.ValidString(v) || text.XMLSafe(v) != v {
				t.Fatalf("%s holds characters a feed cannot: %q", name, v)
			}
		}
		if p.Title == "" || p.Summary == "" || html == "" || p.ID == "" {
			t.Fatalf("empty title %q, summary %q, content %q or id %q", p.Title, p.Summary, html, p.ID)
		}
		if lang, err := parse.Language(p.Language); err != nil || lang != p.Language {
			t.Fatalf("language %q is not a canonical tag: %v", p.Language, err)
		}
		if !absoluteHTTPURL(p.Link) || (p.Image != "" && !absoluteHTTPURL(p.Image)) {
			t.Fatalf("link %q or image %q is not an absolute URL", p.Link, p.Image)
		}
		if p.Updated.Before(p.Date) {
			t.Fatalf("updated %v before date %v", p.Updated, p.Date)
		}
		for _, c := range p.Categories {
			if c.Slug == "" || c.Slug != text.Slug(c.Name) {
				t.Fatalf("category %+v", c)
			}
		}
	})
}
