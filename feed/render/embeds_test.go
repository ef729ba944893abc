package render_test

import (
	"strings"
	"testing"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"github.com/mmcdole/gofeed"
)

// embedsBody is a news body as editors paste it: a tweet's embed code, a
// YouTube player, a figure with its caption, an HTML table, a note in a
// div, and a relative image in raw HTML.
const embedsBody = `The minister spoke on Tuesday.

<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Talks in Phnom Penh went well today &amp; will go on <a href="https://t.co/abc">pic.twitter.com/abc</a></p>&mdash; Embassy (@embassy) <a href="https://twitter.com/embassy/status/1?ref_src=twsrc%5Etfw">November 26, 2024</a></blockquote> <script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>

<iframe width="560" height="315" src="https://www.youtube.com/embed/xyz" title="YouTube video player" frameborder="0" allow="autoplay" onload="steal()" allowfullscreen></iframe>

<figure><img src="/img/harbour.jpg" alt="The harbour at dawn"><figcaption>The harbour at dawn, photographed from the ferry</figcaption></figure>

<table>
<tr><th>Province</th><th>Rainfall</th></tr>
<tr><td>Kampot</td><td>120 mm</td></tr>
</table>

<div class="editor-note"><p>Correction: an earlier version misspelt the minister's name.</p></div>

<style>p{display:none}</style><form action="https://evil.example/"><input name="q"></form>
`

// TestRawHTMLEmbeds: raw HTML from real-world embeds keeps its words and
// safe markup in every format, read back by gofeed; scripts, frames,
// styles, forms and event handlers go; its relative URLs follow the
// item's link.
func TestRawHTMLEmbeds(t *testing.T) {
	p := parsePost(t, "news/talks.md", "code: EMB-1\ntitle: Talks\ndate: 2024-11-26\norigin_url: https://www.example.com/national/talks\ndescription: Talks", embedsBody)
	snap := feedtest.NewSet().Apply([]*feed.Post{p}, nil)
	keep := []string{
		"The minister spoke on Tuesday.",
		"Talks in Phnom Penh went well today &amp; will go on",
		`<a href="https://t.co/abc">pic.twitter.com/abc</a>`,
		"Embassy (@embassy)",
		"<blockquote>",
		"<figure>", `<img src="https://www.example.com/img/harbour.jpg" alt="The harbour at dawn">`,
		"<figcaption>The harbour at dawn, photographed from the ferry</figcaption>",
		"<table>", "<th>Province</th>", "<td>Kampot</td>", "<td>120 mm</td>",
		"Correction: an earlier version misspelt the minister&#39;s name.",
	}
	drop := []string{"<script", "platform.twitter.com", "<iframe", "youtube.com/embed", "onload", "steal()", "<style", "display:none", "<form", "<input", "evil.example", "raw HTML omitted"}
	for _, f := range render.Formats {
		_, body := document(t, feedtest.Site(), snap, all, f, 1, 50)
		parsed, err := gofeed.NewParser().ParseString(string(body))
		if err != nil {
			t.Fatalf("%s: gofeed: %v", f.Name, err)
		}
		if len(parsed.Items) != 1 {
			t.Fatalf("%s: %d items", f.Name, len(parsed.Items))
		}
		content := parsed.Items[0].Content
		for _, s := range keep {
			if !strings.Contains(content, s) {
				t.Errorf("%s: the content lost %q:\n%s", f.Name, s, content)
			}
		}
		for _, s := range drop {
			if strings.Contains(content, s) {
				t.Errorf("%s: the content keeps %q:\n%s", f.Name, s, content)
			}
		}
	}
}

// TestRawHTMLSummary: a post without a description takes its summary from
// its body's text, raw HTML's included, as the sanitised body shows it:
// not a script's, a style's or a noscript's.
func TestRawHTMLSummary(t *testing.T) {
	body := "<div class=\"lede\"><p>Floods closed <b>three</b> roads in Kampot.</p></div>\n\n" +
		"<noscript>Enable JavaScript</noscript>\n\n" + embedsBody
	p := parsePost(t, "news/floods.md", "code: EMB-2\ntitle: Floods\ndate: 2024-11-26\norigin_url: https://www.example.com/floods", body)
	snap := feedtest.NewSet().Apply([]*feed.Post{p}, nil)
	for _, f := range render.Formats {
		_, doc := document(t, feedtest.Site(), snap, all, f, 1, 50)
		parsed, err := gofeed.NewParser().ParseString(string(doc))
		if err != nil {
			t.Fatalf("%s: gofeed: %v", f.Name, err)
		}
		summary := parsed.Items[0].Description
		for _, s := range []string{"Floods closed three roads in Kampot. The minister spoke on Tuesday.", "Talks in Phnom Penh went well today &"} {
			if !strings.Contains(summary, s) && !strings.Contains(summary, strings.ReplaceAll(s, "&", "&amp;")) {
				t.Errorf("%s: the summary lacks %q: %q", f.Name, s, summary)
			}
		}
		for _, s := range []string{"Enable JavaScript", "widgets.js", "display:none", "steal"} {
			if strings.Contains(summary, s) {
				t.Errorf("%s: the summary holds %q: %q", f.Name, s, summary)
			}
		}
	}
}
