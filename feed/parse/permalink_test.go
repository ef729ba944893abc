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
		"https://{code}.example.com/",    // a placeholder in the host
		"https://www.example.com/{year}", // every post of a year one link
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
	// An origin_url under base_url is warned of too.
	p, err = parse.Post("a.md", post("title: T\ndate: 2024-01-01\norigin_url: https://feeds.example.com/national/a", ""), time.Time{}, opt)
	if err != nil || len(p.Warnings) != 2 || !strings.Contains(p.Warnings[1], "https://feeds.example.com/national/a, under base_url") {
		t.Errorf("origin_url under base_url: warnings %q, %v", p.Warnings, err)
	}
}

// TestRelativeOriginURL: a relative origin_url is on the site: under
// site.link (as a directory), else at the permalink's host.
func TestRelativeOriginURL(t *testing.T) {
	pl, err := parse.NewPermalink("https://news.example.org/p/{code}")
	if err != nil {
		t.Fatal(err)
	}
	siteLink, _ := url.Parse("https://www.example.com/news")
	for _, tt := range []struct {
		siteLink  *url.URL
		permalink *parse.Permalink
		origin    string
		want      string
	}{
		{siteLink, nil, "/national/a", "https://www.example.com/national/a"},
		{siteLink, nil, "national/a", "https://www.example.com/news/national/a"},
		{siteLink, pl, "national/a", "https://www.example.com/news/national/a"},
		{nil, pl, "/national/a", "https://news.example.org/national/a"},
		{nil, pl, "national/a", "https://news.example.org/national/a"},
		{nil, nil, "national/a", "https://feeds.example.com/national/a"},
	} {
		opt := feedtest.ParseOptions()
		opt.SiteLink, opt.Permalink = tt.siteLink, tt.permalink
		p, err := parse.Post("x/y.md", post("title: T\ndate: 2024-01-01\norigin_url: "+tt.origin, ""), time.Time{}, opt)
		if err != nil || p.Link != tt.want {
			t.Errorf("site.link %v, permalink %v, origin_url %q: link %q (%v), want %q", tt.siteLink, tt.permalink != nil, tt.origin, p.Link, err, tt.want)
		}
	}
}
