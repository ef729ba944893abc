package feed_test

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
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
		got, err := feed.ParseDate(tt.in, pp)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		want, _ := time.Parse(time.RFC3339Nano, tt.want)
		if !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, want)
		}
	}
	// Dates written with the same offset share one zone: a Location of its
	// own per post would be more objects per post, held as long as the
	// post is served. (Go shares whole-hour offsets itself; +05:30 it
	// does not.)
	a, _ := feed.ParseDate("2024-11-26T20:41:57+05:30", pp)
	b, _ := feed.ParseDate("2023-01-02 03:04:05 +0530", pp)
	if a.Location() != b.Location() || a.Format(time.RFC1123Z) != "Tue, 26 Nov 2024 20:41:57 +0530" {
		t.Errorf("dates at +07:00: zones %p and %p, %s", a.Location(), b.Location(), a.Format(time.RFC1123Z))
	}
	for _, bad := range []string{"", "yesterday", "26/11/2024", "2024-13-01", "2024-11-26T25:00:00Z", "2024-11-26 20:41:57 PST"} {
		if _, err := feed.ParseDate(bad, pp); err == nil {
			t.Errorf("ParseDate(%q) accepted a date it cannot read", bad)
		}
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"NATIONAL":          "national",
		"Real Estate":       "real-estate",
		"  Real   Estate  ": "real-estate",
		"Arts & Culture":    "arts-culture",
		"covid-19":          "covid-19",
		"ជាតិ":              "ជាតិ", // Khmer: letters and combining marks kept whole
		"សេដ្ឋកិច្ច":        "សេដ្ឋកិច្ច",
		"国际 新闻":             "国际-新闻",
		"Café/Bar":          "café-bar",
		"--x--":             "x",
		"!!!":               "",
	}
	for in, want := range tests {
		if got := feed.Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalLanguage(t *testing.T) {
	good := map[string]string{
		"en": "en", "EN": "en", "en_US": "en-US", "en-us": "en-US", "km": "km",
		"zh-hant": "zh-Hant", "zh_Hant_TW": "zh-Hant-TW", "sr-latn-rs": "sr-Latn-RS",
		"es-419": "es-419", "de-CH-1996": "de-CH-1996", "x-newsroom": "x-newsroom",
		"en-US-x-twain": "en-US-x-twain", "i-klingon": "i-klingon", "zh-yue": "zh-yue",
	}
	for in, want := range good {
		got, err := feed.CanonicalLanguage(in)
		if err != nil || got != want {
			t.Errorf("CanonicalLanguage(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "e", "english!", "en--us", "en-", "toolongsubtag", "en-US-US", "x", "en-x", "1en", "en-a", "日本語"} {
		if got, err := feed.CanonicalLanguage(bad); err == nil {
			t.Errorf("CanonicalLanguage(%q) = %q, want an error", bad, got)
		}
	}
}

// post builds a post file from front matter lines and a body.
func post(front, body string) []byte {
	return []byte("---\n" + front + "\n---\n" + body)
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
		{"YAML error", post("title: [unclosed\ndate: 2024-01-01", ""), 0, 2, "YAML error"},
		{"YAML tab", post("title: x\n\tdate: 2024-01-01", ""), 0, 3, "YAML error"},
		{"not a mapping", post("- a\n- b", ""), 0, 2, "not a mapping"},
		{"missing title", post("date: 2024-01-01", "body"), 0, 1, "missing title"},
		{"empty title", post("title: \"  \"\ndate: 2024-01-01", "body"), 0, 1, "missing title"},
		{"title is a list", post("title: [a, b]\ndate: 2024-01-01", ""), 0, 2, "title: want a single value"},
		{"missing date", post("title: x", "body"), 0, 1, "missing date"},
		{"unreadable date", post("title: x\ndate: last tuesday", ""), 0, 3, `unreadable date "last tuesday"`},
		{"bad updated", post("title: x\ndate: 2024-01-01\nupdated: soon", ""), 0, 4, "updated: unreadable date"},
		{"invalid language", post("title: x\ndate: 2024-01-01\nlanguage: english!", ""), 0, 4, "invalid language tag"},
		{"not UTF-8", append(post("title: x\ndate: 2024-01-01", "line\n"), 0xff, 0xfe), 0, 6, "not UTF-8"},
		{"larger than the limit", post("title: x\ndate: 2024-01-01", strings.Repeat("a", 200)), 100, 0, "larger than the limit of 100 bytes"},
		{"duplicate key", post("title: x\ntitle: y\ndate: 2024-01-01", ""), 0, 3, `key "title" appears twice`},
		{"draft not a bool", post("title: x\ndate: 2024-01-01\ndraft: maybe", ""), 0, 4, "draft: want true or false"},
		{"category mapping", post("title: x\ndate: 2024-01-01\ncategory: {a: b}", ""), 0, 4, "category: want a value or a list"},
		{"javascript origin_url", post("title: x\ndate: 2024-01-01\norigin_url: \"javascript:alert(1)\"", ""), 0, 4, "origin_url: not an absolute http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := testParseOptions()
			opt.MaxSize = tt.max
			p, err := feed.Parse("news/x.md", tt.data, time.Time{}, opt)
			var pe *feed.PostError
			if !errors.As(err, &pe) {
				t.Fatalf("got post %+v, err %v; want a *PostError", p, err)
			}
			if pe.Path != "news/x.md" || pe.Line != tt.line || !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("error %q (line %d), want line %d and a reason with %q", err, pe.Line, tt.line, tt.reason)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestParseEveryField(t *testing.T) {
	src := post(`layout: post
code: " ART-1 "
origin_url: "/national/story"
image: "img/lead.webp"
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
	p, err := feed.Parse("2024/11/story.md", src, mod, testParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	check := func(field, got, want string) {
		if got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	check("ID", p.ID, "ART-1")
	check("Title", p.Title, "A title on two lines")
	check("Summary", p.Summary, "The summary")
	check("Link", p.Link, "https://feeds.example.com/national/story")
	check("Image", p.Image, "https://feeds.example.com/national/img/lead.webp")
	check("ImageType", p.ImageType, "image/webp")
	check("Language", p.Language, "en-GB")
	check("Content", p.Content, `<p>Body with a <a href="https://feeds.example.com/other">link</a> and <strong>bold</strong>.</p>`)
	if got := []string{p.Categories[0].Slug, p.Categories[1].Slug}; len(p.Categories) != 2 || got[0] != "national" || got[1] != "real-estate" {
		t.Errorf("Categories = %+v, want national and real-estate once each", p.Categories)
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
	if !p.ModTime.Equal(mod) || p.Draft || !p.HasCode || len(p.Warnings) != 0 {
		t.Errorf("ModTime %v, Draft %v, HasCode %v, Warnings %q", p.ModTime, p.Draft, p.HasCode, p.Warnings)
	}
}

func TestParseDefaults(t *testing.T) {
	body := strings.Repeat("word ", 100) + "\n\n![only alt](x.png)\n"
	p, err := feed.Parse("sub dir/My Post.markdown", post("title: T\ndate: 2024-01-01", body), time.Time{}, testParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "sub dir/My Post" || p.HasCode || len(p.Warnings) != 1 {
		t.Errorf("ID %q, HasCode %v, Warnings %q: want the path without extension and one warning", p.ID, p.HasCode, p.Warnings)
	}
	if p.Link != "https://feeds.example.com/sub%20dir/My%20Post" {
		t.Errorf("Link = %q", p.Link)
	}
	if p.Language != "en" || len(p.Categories) != 0 || p.Image != "" {
		t.Errorf("Language %q, Categories %v, Image %q", p.Language, p.Categories, p.Image)
	}
	if n := len([]rune(p.Summary)); n > 300 || !strings.HasSuffix(p.Summary, "word…") {
		t.Errorf("Summary (%d characters) should be cut at a word with an ellipsis: %q", n, p.Summary)
	}
	if !p.Updated.Equal(p.Date) {
		t.Errorf("Updated %v should default to Date %v", p.Updated, p.Date)
	}

	empty, err := feed.Parse("e.md", post("title: \"Fish & <Chips>\"\ndate: 2024-01-01", ""), time.Time{}, testParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if empty.Summary != "Fish & <Chips>" || empty.Content != "<p>Fish &amp; &lt;Chips&gt;</p>" {
		t.Errorf("an empty body should give the title as summary and one escaped paragraph: %q, %q", empty.Summary, empty.Content)
	}
}

func TestParseDrafts(t *testing.T) {
	for _, front := range []string{"draft: true", "published: false", "draft: yes"} {
		p, err := feed.Parse("d.md", post("title: x\ndate: 2024-01-01\n"+front, ""), time.Time{}, testParseOptions())
		if err != nil || !p.Draft {
			t.Errorf("%s: Draft = %v, err %v; want a draft", front, p != nil && p.Draft, err)
		}
	}
	for _, front := range []string{"draft: false", "published: true", "draft:"} {
		p, err := feed.Parse("d.md", post("title: x\ndate: 2024-01-01\n"+front, ""), time.Time{}, testParseOptions())
		if err != nil || p.Draft {
			t.Errorf("%s: Draft = %v, err %v; want published", front, p != nil && p.Draft, err)
		}
	}
}

// TestParseUnsafeContent: raw HTML is not passed through, dangerous links
// lose their URL, XML-illegal characters go, and "]]>" cannot end a CDATA
// section early.
func TestParseUnsafeContent(t *testing.T) {
	body := "Hello\x01 <b onclick=\"x()\">raw</b>\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) ]]> and `]]>`\n"
	p, err := feed.Parse("u.md", post("title: \"T\\x7f\\x02 ]]>\"\ndate: 2024-01-01\ndescription: \"a\\x1bb\"", body), time.Time{}, testParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<b ", "onclick", "javascript:", "\x01", "]]>"} {
		if strings.Contains(p.Content, bad) {
			t.Errorf("content contains %q: %s", bad, p.Content)
		}
	}
	if p.Title != "T ]]>" || p.Summary != "ab" {
		t.Errorf("Title %q, Summary %q: control characters should be removed, printable text kept", p.Title, p.Summary)
	}
	// The whole document stays well-formed XML.
	for _, f := range []feed.Format{feed.RSS, feed.Atom} {
		var sb strings.Builder
		if err := renderOne(p, f, &sb); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(strings.NewReader(sb.String()))
		for {
			_, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%v is not well-formed: %v\n%s", f, err, sb.String())
				}
				break
			}
		}
	}
}

func renderOne(p *feed.Post, f feed.Format, w *strings.Builder) error {
	set := feed.NewSet(feed.SetOptions{Now: func() time.Time { return fixedNow }})
	snap := set.Apply([]*feed.Post{p}, nil)
	v, _ := snap.View(feed.ViewKey{})
	doc, _ := testSite().NewDocument(snap, v, f, 1, 50)
	return doc.Render(w)
}

// TestParseAliasBomb: YAML aliases in front matter are never expanded for
// keys feedd does not read, and an alias where a value is wanted is a clear
// error, not a hang.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n")
	for i := 1; i < 12; i++ {
		prev := "*a" + string(rune('0'+i-1))
		if i >= 10 {
			prev = "*a" + []string{"9", "10"}[i-10]
		}
		name := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}[i-1]
		b.WriteString("a" + name + ": &a" + name + " [" + strings.Repeat(prev+", ", 8) + prev + "]\n")
	}
	front := b.String() + "title: Bomb\ndate: 2024-01-01\ntags: *a11"
	_, err := feed.Parse("bomb.md", post(front, ""), time.Time{}, testParseOptions())
	if err == nil || !strings.Contains(err.Error(), "tags: want a list of single values") {
		t.Errorf("an alias bomb in tags should be refused as not a list of values, got %v", err)
	}
	p, err := feed.Parse("bomb.md", post(b.String()+"title: Bomb\ndate: 2024-01-01", ""), time.Time{}, testParseOptions())
	if err != nil || p.Title != "Bomb" {
		t.Errorf("aliases in ignored keys should not stop the post: %v", err)
	}
}

func TestXMLSafe(t *testing.T) {
	in := "a\x00b\x01c\td\ne\rf\x7fg\u0085h\u009fi\ufffej\uffffk\ufdd0l\U0001fffem\u2028n\xffo\U0001F600p é"
	if got, want := feed.XMLSafe(in), "abc\td\ne\rfghijklm\u2028no\U0001F600p é"; got != want {
		t.Errorf("XMLSafe = %q, want %q", got, want)
	}
	if s := "plain text, ខ្មែរ, 中文"; feed.XMLSafe(s) != s {
		t.Error("XMLSafe changed clean text")
	}
}

func TestURLsNormalized(t *testing.T) {
	p, err := feed.Parse("u.md", post(`title: T
date: 2024-01-01
origin_url: "HTTPS://WWW.Example.com/a b/ü?q=<x> y&z=\"1\"#frag ment"
image: "pics/a b&c.jpg"`, ""), time.Time{}, testParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://www.example.com/a%20b/%C3%BC?q=%3Cx%3E%20y&z=%221%22#frag%20ment"; p.Link != want {
		t.Errorf("Link = %q, want %q", p.Link, want)
	}
	if want := "https://www.example.com/a%20b/pics/a%20b&c.jpg"; p.Image != want {
		t.Errorf("Image = %q, want %q", p.Image, want)
	}
	for _, bad := range []string{"ftp://x.example/a", "https://user:pw@x.example/", "//", "http://"} {
		if _, err := feed.Parse("u.md", post("title: T\ndate: 2024-01-01\norigin_url: \""+bad+"\"", ""), time.Time{}, testParseOptions()); err == nil {
			t.Errorf("origin_url %q accepted", bad)
		}
	}
}

func TestSummaryDecodesMarkdown(t *testing.T) {
	p, err := feed.Parse("s.md", post("title: T\ndate: 2024-01-01", `Fish &amp; chips \*not emphasis\* &#x263A; &copy; <b>raw</b> **bold** `+"`code &amp;`"), time.Time{}, testParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if want := "Fish & chips *not emphasis* ☺ © raw bold code &amp;"; p.Summary != want {
		t.Errorf("Summary = %q, want %q", p.Summary, want)
	}
}

// Posts that name the same categories share one list (an archive's posts
// name a few lists between them: one object per post less for every
// garbage collection), and the sharing never mixes up two spellings.
func TestCategoriesShared(t *testing.T) {
	a := mustParse(t, "a.md", "code: A\ntitle: a\ndate: 2024-01-01\ncategories: [World, Sport]")
	b := mustParse(t, "b.md", "code: B\ntitle: b\ndate: 2024-01-02\ncategories: [World, Sport]")
	c := mustParse(t, "c.md", "code: C\ntitle: c\ndate: 2024-01-03\ncategories: [WORLD, Sport]")
	d := mustParse(t, "d.md", "code: D\ntitle: d\ndate: 2024-01-04\ncategories: [Sport, World]")
	if len(a.Categories) != 2 || &a.Categories[0] != &b.Categories[0] {
		t.Errorf("two posts naming World and Sport hold two lists: %p and %p", a.Categories, b.Categories)
	}
	for _, tt := range []struct {
		p    *feed.Post
		want string
	}{{a, "world/World sport/Sport"}, {c, "world/WORLD sport/Sport"}, {d, "sport/Sport world/World"}} {
		var got []string
		for _, cat := range tt.p.Categories {
			got = append(got, cat.Slug+"/"+cat.Name)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: categories %q, want %q", tt.p.ID, got, tt.want)
		}
	}
}
