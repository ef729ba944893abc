package parse_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
)

// TestPermalink: a post without origin_url links to the site, as
// site.permalink says, and its relative images and links resolve there.
func TestPermalink(t *testing.T) {
	pl, err := parse.NewPermalink("https://www.example.com/{year}/{month}/{day}/{name}-{code}?from={path}")
	if err != nil {
		t.Fatal(err)
	}
	opt := feedtest.ParseOptions()
	opt.Permalink = pl
	opt.Location, _ = time.LoadLocation("Asia/Phnom_Penh") // UTC+7: the 31st of December 20:00 UTC is the 1st of January there
	src := post("code: ART 1\ntitle: T\ndate: 2024-12-31T20:00:00Z\nimage: img/lead.jpg", "See [the map](map.html).")
	p, err := parse.Post("news/Big Story.md", src, time.Time{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	const want = "https://www.example.com/2025/01/01/Big%20Story-ART%201?from=news/Big%20Story"
	if p.Link != want {
		t.Errorf("link %q, want %q", p.Link, want)
	}
	if p.Image != "https://www.example.com/2025/01/01/img/lead.jpg" {
		t.Errorf("image %q: want it resolved against the permalink", p.Image)
	}
	if html, _ := p.HTML(); !strings.Contains(html, `href="https://www.example.com/2025/01/01/map.html"`) {
		t.Errorf("body %q: want its relative link resolved against the permalink", html)
	}
	// origin_url beats the permalink.
	p, err = parse.Post("a.md", post("title: T\ndate: 2024-01-01\norigin_url: https://news.example.org/x", ""), time.Time{}, opt)
	if err != nil || p.Link != "https://news.example.org/x" {
		t.Errorf("with origin_url: link %q, %v", p.Link, err)
	}
}

func TestPermalinkRefused(t *testing.T) {
	for _, tmpl := range []string{
		"https://www.example.com/{slug}", // unknown placeholder
		"https://www.example.com/{path",  // not closed
		"/{path}",                        // not absolute
		"ftp://www.example.com/{path}",   // not http(s)
	} {
		if _, err := parse.NewPermalink(tmpl); err == nil {
			t.Errorf("%q accepted", tmpl)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: the error is not one line: %q", tmpl, err)
		}
	}
}

// TestLinkFallbacks: without a permalink a post links to site.link and its
// path; without site.link either, to feedd's own base URL, which check
// warns about.
func TestLinkFallbacks(t *testing.T) {
	src := post("code: X\ntitle: T\ndate: 2024-01-01", "")
	opt := feedtest.ParseOptions()
	p, err := parse.Post("2024/story.md", src, time.Time{}, opt)
	if err != nil || p.Link != "https://www.example.com/2024/story" || len(p.Warnings) != 0 {
		t.Errorf("with site.link: link %q, warnings %q, %v", p.Link, p.Warnings, err)
	}
	opt.SiteLink, opt.WarnSelfLinks = nil, true
	p, err = parse.Post("2024/story.md", src, time.Time{}, opt)
	if err != nil || p.Link != "https://feeds.example.com/2024/story" {
		t.Fatalf("without site.link: link %q, %v", p.Link, err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "site.permalink") || !strings.Contains(p.Warnings[0], p.Link) {
		t.Errorf("warnings %q: want one naming site.permalink and the link", p.Warnings)
	}
	// A relative origin_url is on the site.
	opt.SiteLink, _ = url.Parse("https://www.example.com/")
	p, err = parse.Post("a.md", post("title: T\ndate: 2024-01-01\norigin_url: /national/a", ""), time.Time{}, opt)
	if err != nil || p.Link != "https://www.example.com/national/a" {
		t.Errorf("relative origin_url: link %q, %v", p.Link, err)
	}
}
