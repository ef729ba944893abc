package parse_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
)

func TestParseDate(t *testing.T) {
	pp, err := time.LoadLocation("Asia/Phnom_Penh")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want string // RFC 3339 with nanoseconds
	}{
		{"2024-11-26T13:41:57.852Z", "2024-11-26T13:41:57.852Z"},
		{"2024-11-26T13:41:57Z", "2024-11-26T13:41:57Z"},
		{"2024-11-26t13:41:57z", "2024-11-26T13:41:57Z"},
		{"2024-11-26T20:41:57+07:00", "2024-11-26T20:41:57+07:00"},
		{"2024-11-26 20:41:57 +0700", "2024-11-26T20:41:57+07:00"},  // Jekyll
		{"2024-11-26 20:41:57 -05:00", "2024-11-26T20:41:57-05:00"}, // Jekyll with a colon
		{"2024-11-26 20:41:57.5Z", "2024-11-26T20:41:57.5Z"},        // YAML timestamp
		{"2024-11-26 20:41:57", "2024-11-26T20:41:57+07:00"},        // zoneless: site zone
		{"2024-11-26T20:41:57", "2024-11-26T20:41:57+07:00"},        // zoneless: site zone
		{"2024-11-26", "2024-11-26T00:00:00+07:00"},                 // a day: its midnight in the site zone
		{"  2024-11-26  ", "2024-11-26T00:00:00+07:00"},             // surrounding spaces
		{"1969-07-20T20:17:40Z", "1969-07-20T20:17:40Z"},            // before 1970
		{"2150-01-01T00:00:00Z", "2150-01-01T00:00:00Z"},            // after 2100
	}
	for _, tt := range tests {
		got, err := parse.Date(tt.in, pp)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		want, _ := time.Parse(time.RFC3339Nano, tt.want)
		if !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, want)
		}
	}
	// Dates written with the same offset share one zone, and keep the
	// offset they were written with.
	a, _ := parse.Date("2024-11-26T20:41:57+05:30", pp)
	b, _ := parse.Date("2023-01-02 03:04:05 +0530", pp)
	if a.Location() != b.Location() || a.Format(time.RFC1123Z) != "Tue, 26 Nov 2024 20:41:57 +0530" {
		t.Errorf("dates at +05:30: zones %p and %p, %s", a.Location(), b.Location(), a.Format(time.RFC1123Z))
	}
	for _, bad := range []string{"", "yesterday", "26/11/2024", "2024-13-01", "2024-11-26T25:00:00Z", "2024-11-26 20:41:57 PST", "0000-01-01"} {
		if _, err := parse.Date(bad, pp); err == nil {
			t.Errorf("ParseDate(%q) accepted a date it cannot read", bad)
		}
	}
}

// TestCanonicalLanguage: tags are checked against the IANA registry
// (golang.org/x/text/language) and written in their conventional case;
// "_" is read as "-"; deprecated tags are kept as written.
func TestCanonicalLanguage(t *testing.T) {
	good := map[string]string{
		"en": "en", "EN": "en", "en_US": "en-US", "en-us": "en-US", "km": "km",
		"zh-hant": "zh-Hant", "zh_Hant_TW": "zh-Hant-TW", "sr-latn-rs": "sr-Latn-RS",
		"es-419": "es-419", "de-CH-1996": "de-CH-1996", "x-newsroom": "x-newsroom",
		"en-US-x-twain": "en-US-x-twain", "iw": "iw", "in": "in", " km ": "km",
	}
	for in, want := range good {
		got, err := parse.Language(in)
		if err != nil || got != want {
			t.Errorf("CanonicalLanguage(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "english", "xx", "en--US", "e", "english!", "en-", "toolongsubtag", "en-US-US", "x", "en-x", "1en", "en-a", "en-abcde", "日本語"} {
		got, err := parse.Language(bad)
		if err == nil {
			t.Errorf("CanonicalLanguage(%q) = %q, want an error", bad, got)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("CanonicalLanguage(%q): error of more than one line: %q", bad, err)
		}
	}
}

func TestParseBadPosts(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		max    int
		line   int
		reason string
	}{
		{"no front matter", []byte("# Just markdown\n"), 0, 1, "no front matter"},
		{"empty file", []byte(""), 0, 1, "no front matter"},
		{"front matter not closed", []byte("---\ntitle: x\ndate: 2024-01-01\n"), 0, 1, "not closed"},
		{"not a mapping", post("- a\n- b", ""), 0, 2, "not a mapping"},
		{"missing title", post("date: 2024-01-01", "body"), 0, 1, "missing title"},
		{"empty title", post("title: \"  \"\ndate: 2024-01-01", "body"), 0, 1, "missing title"},
		{"title is a list", post("title: [a, b]\ndate: 2024-01-01", ""), 0, 2, "title: want a single value"},
		{"missing date", post("title: x", "body"), 0, 1, "missing date"},
		{"unreadable date", post("title: x\ndate: last tuesday", ""), 0, 3, `unreadable date "last tuesday" (want RFC 3339, "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04" or "2006-01-02")`},
		{"bad updated", post("title: x\ndate: 2024-01-01\nupdated: soon", ""), 0, 4, "updated: unreadable date"},
		{"language not a tag", post("title: x\ndate: 2024-01-01\nlanguage: english", ""), 0, 4, `language: invalid language tag "english"`},
		{"language not registered", post("title: x\ndate: 2024-01-01\ncategory: a\nlanguage: xx", ""), 0, 5, `language: invalid language tag "xx"`},
		{"language empty subtag", post("title: x\ndate: 2024-01-01\nlanguage: en--US", ""), 0, 4, `language: invalid language tag "en--US"`},
		{"not UTF-8", append(post("title: x\ndate: 2024-01-01", "line\n"), 0xff, 0xfe), 0, 6, "not UTF-8"},
		{"larger than the limit", post("title: x\ndate: 2024-01-01", strings.Repeat("a", 200)), 100, 0, "larger than the limit of 100 bytes"},
		{"duplicate key", post("title: x\ntitle: y\ndate: 2024-01-01", ""), 0, 3, `key "title" appears twice`},
		{"draft not a bool", post("title: x\ndate: 2024-01-01\ndraft: maybe", ""), 0, 4, "draft: want true or false"},
		{"category mapping", post("title: x\ndate: 2024-01-01\ncategory: {a: b}", ""), 0, 4, "category: want a value or a list"},
		{"javascript origin_url", post("title: x\ndate: 2024-01-01\norigin_url: \"javascript:alert(1)\"", ""), 0, 4, "origin_url: not an absolute http(s) URL"},
		{"bad host", post("title: x\ndate: 2024-01-01\norigin_url: \"https://-a.example/\"", ""), 0, 4, `origin_url: "https://-a.example/": host "-a.example": idna:`},
		{"101 categories and tags", post("title: x\ndate: 2024-01-01\ncategory: a\ncategories: ["+terms(60)+"]\ntags: ["+terms(40)+"]", ""), 0, 6, "101 categories and tags; a post may name at most 100"},
		{"20,000 categories", post("title: x\ndate: 2024-01-01\ncategories: ["+terms(20000)+"]", ""), 0, 4, "20000 categories and tags"},
		{"bad punycode", post("title: x\ndate: 2024-01-01\norigin_url: \"https://xn--zz.example/\"", ""), 0, 4, "idna: invalid label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := feedtest.ParseOptions()
			opt.MaxSize = tt.max
			p, err := parse.Post("news/x.md", tt.data, time.Time{}, opt)
			var pe *parse.Error
			if !errors.As(err, &pe) {
				t.Fatalf("got post %+v, err %v; want a *PostError", p, err)
			}
			if pe.Path != "news/x.md" || pe.Line != tt.line || !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("error %q (line %d), want line %d and a reason with %q", err, pe.Line, tt.line, tt.reason)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestParseHundredTerms: a post may name 100 categories and tags together,
// and is in a feed for each of its categories.
func TestParseHundredTerms(t *testing.T) {
	p, err := parse.Post("x.md", post("title: x\ndate: 2024-01-01\ncategories: ["+terms(90)+"]\ntags: ["+terms(10)+"]", ""), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Categories) != 90 || len(p.Tags) != 10 {
		t.Errorf("%d categories and %d tags, want 90 and 10", len(p.Categories), len(p.Tags))
	}
}

// terms is a YAML flow list's entries: n distinct names.
func terms(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("t%d", i)
	}
	return strings.Join(names, ", ")
}

// TestParseYAMLErrorLines: a YAML syntax error names the file's line
// where the front matter goes wrong, in the form `check` prints.
func TestParseYAMLErrorLines(t *testing.T) {
	const head = "title: x\ndate: 2024-01-01\n" // file lines 2 and 3
	tests := []struct {
		front string
		line  int
		what  string
	}{
		{"title: [unclosed\ndate: 2024-01-01", 2, "did not find expected ',' or ']'"},
		{"title: 'it's'", 2, "did not find expected key"},
		{"title: x\n\tdate: 2024-01-01", 3, "tab character"},
		{head + "description: \"unterminated\nlanguage: en", 4, "unexpected end of stream"},
		{head + "category: 'it's'", 4, "did not find expected key"},
		{head + ": no key", 4, "did not find expected key"},
		{head + "category: {a: b", 4, "did not find expected ',' or '}'"},
		{head + "category: a\ntags: [a, b\nlanguage: en", 5, "did not find expected ',' or ']'"},
		{head + "category: a\n  bad: indent", 5, "mapping values are not allowed"},
		{head + "category: a\ncode: *nope", 5, "unknown anchor 'nope'"},
		{head + "category: a\nx: @y", 5, "cannot start any token"},
		{head + "category:\n  - a\n b", 6, "did not find expected key"},
		{"description: \"on two\n  lines\"\n" + head + "tags: [a", 6, "did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		_, err := parse.Post("news/x.md", post(tt.front, "body"), time.Time{}, feedtest.ParseOptions())
		var pe *parse.Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: %v, want a *PostError", tt.front, err)
			continue
		}
		prefix := "news/x.md:" + strconv.Itoa(tt.line) + ": YAML error: "
		if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tt.what) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q:\n got %q\nwant %q...%s on one line", tt.front, err, prefix, tt.what)
		}
	}
}

func TestParseEveryField(t *testing.T) {
	src := post(`layout: post
code: " ART-1 "
origin_url: "/national/story"
image: "img/lead.webp"
image_length: 1234
title: "  A   title
  on two lines "
description: "The summary"
category: "NATIONAL"
categories: ["Real Estate", "national"]
tags: [one, two, one]
language: en_gb
date: 2024-11-26T13:41:57.852Z
updated: "2024-11-27 08:00:00"
author: Ann
authors: [Bo, Ann]
unknown_key: {nested: [1, 2]}`, "Body with a [link](../other) and **bold**.\n")
	mod := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	p, err := parse.Post("2024/11/story.md", src, mod, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	html, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	check := func(field, got, want string) {
		if got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	check("ID", p.ID, "ART-1")
	check("Path", p.Path, "2024/11/story.md")
	check("Title", p.Title, "A title on two lines")
	check("Summary", p.Summary, "The summary")
	check("Link", p.Link, "https://www.example.com/national/story")
	check("Image", p.Image, "https://www.example.com/national/img/lead.webp")
	check("ImageType", p.ImageType, "image/webp")
	check("Language", p.Language, "en-GB")
	check("HTML", html, `<p>Body with a <a href="https://www.example.com/other">link</a> and <strong>bold</strong>.</p>`)
	if len(p.Categories) != 2 || p.Categories[0] != (feed.Category{Slug: "national", Name: "NATIONAL"}) || p.Categories[1] != (feed.Category{Slug: "real-estate", Name: "Real Estate"}) {
		t.Errorf("Categories = %+v, want national (as NATIONAL) and real-estate once each", p.Categories)
	}
	if strings.Join(p.Tags, ",") != "one,two" {
		t.Errorf("Tags = %q, want one, two", p.Tags)
	}
	if strings.Join(p.Authors, ",") != "Ann,Bo" {
		t.Errorf("Authors = %q, want Ann, Bo", p.Authors)
	}
	if want := time.Date(2024, 11, 26, 13, 41, 57, 852e6, time.UTC); !p.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", p.Date, want)
	}
	if want := time.Date(2024, 11, 27, 8, 0, 0, 0, time.UTC); !p.Updated.Equal(want) {
		t.Errorf("Updated = %v, want %v", p.Updated, want)
	}
	if p.ImageLength != 1234 || !p.ModTime.Equal(mod) || p.Draft || !p.HasCode || len(p.Warnings) != 0 || p.Deferred() {
		t.Errorf("ImageLength %d, ModTime %v, Draft %v, HasCode %v, Warnings %q, Deferred %v", p.ImageLength, p.ModTime, p.Draft, p.HasCode, p.Warnings, p.Deferred())
	}
}

func TestParseDefaults(t *testing.T) {
	body := strings.Repeat("word ", 100) + "\n\n![only alt](x.png)\n"
	p, err := parse.Post("sub dir/My Post.markdown", post("title: T\ndate: 2024-01-01", body), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "sub dir/My Post" || p.HasCode || len(p.Warnings) != 1 {
		t.Errorf("ID %q, HasCode %v, Warnings %q: want the path without extension and one warning", p.ID, p.HasCode, p.Warnings)
	}
	if p.Link != "https://www.example.com/sub%20dir/My%20Post" {
		t.Errorf("Link = %q", p.Link)
	}
	if p.Language != "en" || len(p.Categories) != 0 || p.Image != "" || len(p.Authors) != 0 {
		t.Errorf("Language %q, Categories %v, Image %q, Authors %q", p.Language, p.Categories, p.Image, p.Authors)
	}
	if n := len([]rune(p.Summary)); n > 300 || !strings.HasSuffix(p.Summary, "word…") {
		t.Errorf("Summary (%d characters) should be cut at a word with an ellipsis: %q", n, p.Summary)
	}
	if !p.Updated.Equal(p.Date) {
		t.Errorf("Updated %v should default to Date %v", p.Updated, p.Date)
	}
	// A site language other than en is the default.
	opt := feedtest.ParseOptions()
	opt.Language = "km"
	if km, err := parse.Post("k.md", post("title: T\ndate: 2024-01-01", ""), time.Time{}, opt); err != nil || km.Language != "km" {
		t.Errorf("with site language km: %v", err)
	}

	empty, err := parse.Post("e.md", post("title: \"Fish & <Chips>\"\ndate: 2024-01-01", ""), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if html, _ := empty.HTML(); empty.Summary != "Fish & <Chips>" || html != "<p>Fish &amp; &lt;Chips&gt;</p>" {
		t.Errorf("an empty body should give the title as summary and one escaped paragraph: %q, %q", empty.Summary, html)
	}
}

func TestParseDrafts(t *testing.T) {
	for _, front := range []string{"draft: true", "published: false", "draft: yes", "draft: false\npublished: false"} {
		p, err := parse.Post("d.md", post("title: x\ndate: 2024-01-01\n"+front, ""), time.Time{}, feedtest.ParseOptions())
		if err != nil || !p.Draft {
			t.Errorf("%s: Draft = %v, err %v; want a draft", front, p != nil && p.Draft, err)
		}
	}
	for _, front := range []string{"draft: false", "published: true", "draft:"} {
		p, err := parse.Post("d.md", post("title: x\ndate: 2024-01-01\n"+front, ""), time.Time{}, feedtest.ParseOptions())
		if err != nil || p.Draft {
			t.Errorf("%s: Draft = %v, err %v; want published", front, p != nil && p.Draft, err)
		}
	}
}

// TestParseLanguages: the language as a post writes it becomes its
// canonical tag; a bad one makes the post bad.
func TestParseLanguages(t *testing.T) {
	for in, want := range map[string]string{"zh-hant": "zh-Hant", "en_US": "en-US", "iw": "iw", "\"KM\"": "km", "\"\"": "en", "~": "en"} {
		p, err := parse.Post("l.md", post("title: x\ndate: 2024-01-01\nlanguage: "+in, ""), time.Time{}, feedtest.ParseOptions())
		if err != nil || p.Language != want {
			t.Errorf("language: %s gives %q, %v; want %q", in, p.Language, err, want)
		}
	}
}

// TestParseUnsafeContent: dangerous markup and links go, XML-illegal
// characters go (a NUL is removed, not made U+FFFD), "]]>" cannot end a
// CDATA section early, and every document stays well-formed.
func TestParseUnsafeContent(t *testing.T) {
	body := "Hello\x01 <b onclick=\"x()\">raw</b> N\x00UL\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) ]]> and `]]>`\n"
	p, err := parse.Post("u.md", post("title: \"T\\x7f\\x02 ]]>\"\ndate: 2024-01-01\ndescription: \"a\\x1bb\"", body), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	html, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "alert(1)", "onclick", "javascript:", "\x01", "\x00", "\ufffd", "]]>"} {
		if strings.Contains(html, bad) {
			t.Errorf("content contains %q: %q", bad, html)
		}
	}
	for _, good := range []string{"<b>raw</b>", "NUL", "click"} {
		if !strings.Contains(html, good) {
			t.Errorf("content lost %q: %q", good, html)
		}
	}
	if p.Title != "T ]]>" || p.Summary != "ab" {
		t.Errorf("Title %q, Summary %q: control characters should be removed, printable text kept", p.Title, p.Summary)
	}
	set := newSet()
	snap := set.Apply([]*feed.Post{p}, nil)
	v, _ := snap.View(everything)
	for _, f := range []*render.Format{render.RSS, render.Atom} {
		doc, err := feedtest.Render(snap, v, f)
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(strings.NewReader(string(doc)))
		for {
			if _, err := dec.Token(); err != nil {
				if err != io.EOF {
					t.Errorf("%s is not well-formed: %v\n%s", f.Name, err, doc)
				}
				break
			}
		}
	}
}

// TestParseRawHTMLSanitised: raw HTML in a body keeps its text and safe
// markup, with its URLs made absolute; scripts, styles, frames, embeds,
// forms, event handlers and unsafe URLs go.
func TestParseRawHTMLSanitised(t *testing.T) {
	tests := []struct {
		body       string
		keep, drop []string
	}{
		{"<div>note</div>", []string{"note"}, nil},
		{"<table><tr><td>cell text</td></tr></table>", []string{"<td>cell text</td>"}, nil},
		{"<p onclick=\"x()\">para</p>", []string{"<p>para</p>"}, []string{"onclick", "x()"}},
		{"<script>alert(1)</script>\n\nafter", []string{"after"}, []string{"script", "alert"}},
		{"<style>p{color:red}</style>\n\nafter", []string{"after"}, []string{"style", "color"}},
		{"<iframe src=\"https://evil.example/\">in</iframe>\n\nafter", []string{"after"}, []string{"iframe", "evil"}},
		{"<object data=\"x.swf\"></object><embed src=\"y.swf\">\n\nafter", []string{"after"}, []string{"object", "embed", "swf"}},
		{"<form action=\"/x\"><input name=q><button>Go</button></form>", nil, []string{"<form", "<input", "<button", "action"}},
		{"<a href=\"javascript:alert(1)\">js</a> <a href=\"vbscript:x\">vb</a> <a href=\"data:text/html,x\">data</a>", []string{"js", "vb", "data"}, []string{"href", "script:", "data:"}},
		{"<a href=\"mailto:desk@example.org\">mail</a> <a href=\"https://example.org/a?b=1&amp;c=2\">web</a>",
			[]string{`<a href="mailto:desk@example.org">mail</a>`, `<a href="https://example.org/a?b=1&amp;c=2">web</a>`}, nil},
		{"<a href=\"/rel?a=1&amp;b=2\">rel</a> <img src=\"pic.png\" onerror=\"y()\"> <a href=\"//cdn.example.org/x\">proto</a>",
			[]string{`<a href="https://www.example.com/rel?a=1&amp;b=2">rel</a>`, `<img src="https://www.example.com/news/pic.png">`, `<a href="https://cdn.example.org/x">proto</a>`},
			[]string{"onerror"}},
		{"<figure><img src=\"https://x.example/y.png\" alt=\"a\"><figcaption>cap</figcaption></figure>",
			[]string{`<figure><img src="https://x.example/y.png" alt="a"><figcaption>cap</figcaption></figure>`}, nil},
		{"<blockquote>q</blockquote> <ul><li>li</li></ul> <em>em</em> <code>c</code>",
			[]string{"<blockquote>q</blockquote>", "<li>li</li>", "<em>em</em>", "<code>c</code>"}, nil},
	}
	for _, tt := range tests {
		p := mustParseBody(t, "news/x.md", "title: T\ndate: 2024-01-01\ndescription: the summary", tt.body)
		html, err := p.HTML()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range tt.keep {
			if !strings.Contains(html, s) {
				t.Errorf("%q rendered as %q: lost %q", tt.body, html, s)
			}
		}
		for _, s := range tt.drop {
			if strings.Contains(html, s) {
				t.Errorf("%q rendered as %q: kept %q", tt.body, html, s)
			}
		}
	}
}

// TestParseAliasBomb: YAML aliases in front matter are never expanded for
// keys feedd does not read, and an alias where a value is wanted is a clear
// error, not a hang.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n")
	for i := 1; i < 12; i++ {
		prev := "*a" + strconv.Itoa(i-1)
		b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [" + strings.Repeat(prev+", ", 8) + prev + "]\n")
	}
	front := b.String() + "title: Bomb\ndate: 2024-01-01\ntags: *a11"
	_, err := parse.Post("bomb.md", post(front, ""), time.Time{}, feedtest.ParseOptions())
	if err == nil || !strings.Contains(err.Error(), "tags: want a list of single values") {
		t.Errorf("an alias bomb in tags should be refused as not a list of values, got %v", err)
	}
	p, err := parse.Post("bomb.md", post(b.String()+"title: Bomb\ndate: 2024-01-01", ""), time.Time{}, feedtest.ParseOptions())
	if err != nil || p.Title != "Bomb" {
		t.Errorf("aliases in ignored keys should not stop the post: %v", err)
	}
}

// TestURLsNormalized: links and images are absolute, their hosts in
// lower-case ASCII (IDNA), their paths and queries percent-encoded.
func TestURLsNormalized(t *testing.T) {
	p, err := parse.Post("u.md", post(`title: T
date: 2024-01-01
origin_url: "HTTPS://WWW.Example.com/a b/ü?q=<x> y&z=\"1\"#frag ment"
image: "pics/a b&c.jpg"`, ""), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://www.example.com/a%20b/%C3%BC?q=%3Cx%3E%20y&z=%221%22#frag%20ment"; p.Link != want {
		t.Errorf("Link = %q, want %q", p.Link, want)
	}
	if want := "https://www.example.com/a%20b/pics/a%20b&c.jpg"; p.Image != want {
		t.Errorf("Image = %q, want %q", p.Image, want)
	}
	hosts := map[string]string{
		"https://例え.jp/a b":                  "https://xn--r8jz45g.jp/a%20b",
		"https://Bücher.Example/x":           "https://xn--bcher-kva.example/x",
		"http://ខ្មែរ.example:8080/p?q=ជាតិ": "http://xn--j2e0cg3n2c.example:8080/p?q=%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7",
		"https://[2001:db8::1]:8443/x":       "https://[2001:db8::1]:8443/x",
		"https://192.0.2.1/x":                "https://192.0.2.1/x",
	}
	for in, want := range hosts {
		p, err := parse.Post("u.md", post("title: T\ndate: 2024-01-01\norigin_url: \""+in+"\"\nimage: \""+in+"\"", ""), time.Time{}, feedtest.ParseOptions())
		if err != nil {
			t.Errorf("origin_url %q: %v", in, err)
			continue
		}
		if p.Link != want || p.Image != p.Link {
			t.Errorf("origin_url %q: link %q, image %q; want %q", in, p.Link, p.Image, want)
		}
		for _, r := range p.Link {
			if r > 0x7e || r <= ' ' {
				t.Errorf("link %q holds %q", p.Link, r)
				break
			}
		}
	}
	for _, bad := range []string{"ftp://x.example/a", "https://user:pw@x.example/", "//", "http://", "https://exa mple.com/"} {
		if _, err := parse.Post("u.md", post("title: T\ndate: 2024-01-01\norigin_url: \""+bad+"\"", ""), time.Time{}, feedtest.ParseOptions()); err == nil {
			t.Errorf("origin_url %q accepted", bad)
		}
	}
	// A bad image is left out with a warning; the post stays.
	p, err = parse.Post("u.md", post("title: T\ndate: 2024-01-01\nimage: \"ftp://x.example/a.png\"", ""), time.Time{}, feedtest.ParseOptions())
	if err != nil || p.Image != "" || len(p.Warnings) != 2 {
		t.Errorf("a bad image: %v, image %q, warnings %q", err, p.Image, p.Warnings)
	}
}

func TestSummaryDecodesMarkdown(t *testing.T) {
	p := mustParseBody(t, "s.md", "title: T\ndate: 2024-01-01", `Fish &amp; chips \*not emphasis\* &#x263A; &copy; <b>raw</b> **bold** `+"`code &amp;`")
	if want := "Fish & chips *not emphasis* ☺ © raw bold code &amp;"; p.Summary != want {
		t.Errorf("Summary = %q, want %q", p.Summary, want)
	}
}

// TestCategoriesAsSpelled: a post's categories keep its spelling and
// order, each slug once.
func TestCategoriesAsSpelled(t *testing.T) {
	for _, tt := range []struct{ front, want string }{
		{"categories: [World, Sport]", "world/World sport/Sport"},
		{"categories: [WORLD, Sport, world]", "world/WORLD sport/Sport"},
		{"category: Sport\ncategories: [World, sport]", "sport/Sport world/World"},
		{"categories: [\"!!!\", News]", "news/News"},
	} {
		p := mustParse(t, "c.md", "title: c\ndate: 2024-01-01\n"+tt.front)
		var got []string
		for _, c := range p.Categories {
			got = append(got, c.Slug+"/"+c.Name)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: categories %q, want %q", tt.front, got, tt.want)
		}
	}
}

// TestDeferredBodies: with DeferBodies, a post with a description keeps
// its Markdown until first read, and renders the same bytes as one parsed
// without deferring; a post without one is rendered at once (its summary
// comes from its body).
func TestDeferredBodies(t *testing.T) {
	deferred := feedtest.ParseOptions()
	deferred.DeferBodies = true
	body := "A [link](../other), ![img](i.png), <div onclick=\"x()\">raw <a href=\"/r\">r</a></div>, a N\x00UL and **bold**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
	for _, front := range []string{"title: T\ndate: 2024-01-01\ndescription: About it.", "title: T\ndate: 2024-01-01"} {
		src := post(front, body)
		now, err := parse.Post("news/x.md", src, time.Time{}, feedtest.ParseOptions())
		if err != nil {
			t.Fatal(err)
		}
		later, err := parse.Post("news/x.md", src, time.Time{}, deferred)
		if err != nil {
			t.Fatal(err)
		}
		hasDescription := strings.Contains(front, "description")
		if later.Deferred() != hasDescription || now.Deferred() {
			t.Errorf("%q: Deferred() %v with DeferBodies, %v without; want %v and false", front, later.Deferred(), now.Deferred(), hasDescription)
		}
		want, err := now.HTML()
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if got, err := later.HTML(); err != nil || got != want {
				t.Errorf("%q: deferred body %q, %v; want %q", front, got, err, want)
			}
		}
		if later.Summary != now.Summary {
			t.Errorf("%q: summaries %q and %q", front, later.Summary, now.Summary)
		}
	}
}
