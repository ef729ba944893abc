package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/feed/text"
)

// A Format is how a hook's messages are written: for Slack (and
// Mattermost) incoming webhooks, for Discord's, or as signed JSON.
type Format string

// The formats.
const (
	Slack   Format = "slack"
	Discord Format = "discord"
	JSON    Format = "json"
)

// Formats lists them, for checking a config.
var Formats = []Format{Slack, Discord, JSON}

// summaryPosts is how many posts a summary message lists: the newest.
const summaryPosts = 10

// news is what one message tells: posts new to a hook's feed, oldest
// first, and the feed.
type news struct {
	site  *render.Site
	view  *feed.View
	posts []*feed.Post
}

// feedTitle is the feed's title, as its documents give it.
func (n news) feedTitle() string { return n.site.FeedTitle(n.view) }

// newest are the posts a summary lists: the newest ten, newest first.
func (n news) newest() []*feed.Post {
	out := make([]*feed.Post, 0, summaryPosts)
	for i := len(n.posts) - 1; i >= 0 && len(out) < summaryPosts; i-- {
		out = append(out, n.posts[i])
	}
	return out
}

// countLine is a summary's first line: "12 new posts in The Post — National".
func (n news) countLine() string {
	return fmt.Sprintf("%d new posts in %s", len(n.posts), n.feedTitle())
}

// body writes the message in format f: one post, or a summary of many.
func (n news) body(f Format) ([]byte, error) {
	var v any
	switch f {
	case Slack:
		v = n.slack()
	case Discord:
		v = n.discord()
	case JSON:
		return n.json()
	default:
		return nil, fmt.Errorf("unknown format %q", f)
	}
	return encode(v)
}

// encode writes a chat message as JSON, with &, < and > as they are:
// Slack reads "&lt;" as text it escaped itself; JSON's \u003c is for pages.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return b.Bytes(), err
}

// slackEscaper writes the three characters Slack's message text reserves
// as it asks (https://api.slack.com/reference/surfaces/formatting).
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackLink is a Slack link: <url|title>, the title cut to slackTitle
// characters. The URL is percent-encoded already; a "|" or ">" in it
// would end it early.
func slackLink(url, title string) string {
	url = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(url)
	return "<" + url + "|" + slackEscaper.Replace(cut(title, slackTitle)) + ">"
}

// Slack's limits (https://api.slack.com/reference/block-kit/blocks#section):
// a section's text and an image's alt_text. Titles are cut shorter, so
// that ten links fit a summary's section.
const (
	slackSection = 3000
	slackAltText = 2000
	slackTitle   = 250
)

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type      string      `json:"type"`
	Text      *slackText  `json:"text,omitempty"`
	Accessory *slackImage `json:"accessory,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackImage struct {
	Type     string `json:"type"`
	ImageURL string `json:"image_url"`
	AltText  string `json:"alt_text"`
}

// slackWithoutImages is a Slack message without its images, and whether
// it had any. Slack refuses a whole message (400, invalid_blocks) when it
// cannot fetch one of its images; the story matters more than its picture.
func slackWithoutImages(body []byte) ([]byte, bool) {
	var m slackMessage
	if json.Unmarshal(body, &m) != nil {
		return nil, false
	}
	had := false
	for i := range m.Blocks {
		had = had || m.Blocks[i].Accessory != nil
		m.Blocks[i].Accessory = nil
	}
	if !had {
		return nil, false
	}
	b, err := encode(m)
	return b, err == nil
}

// slack is the message for Slack's (and Mattermost's) incoming webhooks:
// the text is the fallback notifications show, the blocks what the channel
// shows.
func (n news) slack() slackMessage {
	if len(n.posts) == 1 {
		p := n.posts[0]
		link := slackLink(p.Link, p.Title)
		block := slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: "*" + link + "*"}}
		if p.Summary != "" {
			// 500 characters, fewer when escaping and the link would take
			// the section past its 3,000.
			room := slackSection - utf8.RuneCountInString(block.Text.Text) - 1
			block.Text.Text += "\n" + cutEscaped(cut(p.Summary, 500), room, slackEscaper)
		}
		if p.Image != "" {
			block.Accessory = &slackImage{Type: "image", ImageURL: p.Image, AltText: cut(p.Title, slackAltText)}
		}
		return slackMessage{Text: link, Blocks: []slackBlock{block}}
	}
	count := cut(n.countLine(), slackSection)
	var lines []string
	for _, p := range n.newest() {
		lines = append(lines, "• "+slackLink(p.Link, p.Title))
	}
	return slackMessage{Text: slackEscaper.Replace(count), Blocks: []slackBlock{
		{Type: "section", Text: &slackText{Type: "plain_text", Text: count}},
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: strings.Join(lines, "\n")}},
	}}
}

// Discord's limits on an embed (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
const (
	discordTitle       = 256
	discordDescription = 4096
	discordContent     = 2000
)

type discordMessage struct {
	Content string         `json:"content"`
	Embeds  []discordEmbed `json:"embeds"`
	// AllowedMentions pings no one: an "@everyone" in a post or a feed's
	// name is text.
	AllowedMentions struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
}

// discordEscaper writes Discord's markdown characters as text, so that a
// summary shows as written (a "[text](url)" in it stays text, not a link).
var discordEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "#", `\#`, "-", `\-`)

type discordEmbed struct {
	Title       string        `json:"title"`
	URL         string        `json:"url"`
	Description string        `json:"description,omitempty"`
	Timestamp   string        `json:"timestamp"`
	Image       *discordImage `json:"image,omitempty"`
}

type discordImage struct {
	URL string `json:"url"`
}

// discord is the message for a Discord webhook: an embed per post, with
// the summary's count as the content.
func (n news) discord() discordMessage {
	embed := func(p *feed.Post, description bool) discordEmbed {
		e := discordEmbed{Title: cut(p.Title, discordTitle), URL: p.Link, Timestamp: p.Date.UTC().Format(time.RFC3339)}
		if description {
			e.Description = cutEscaped(p.Summary, discordDescription, discordEscaper)
			if p.Image != "" {
				e.Image = &discordImage{URL: p.Image}
			}
		}
		return e
	}
	m := discordMessage{AllowedMentions: struct {
		Parse []string `json:"parse"`
	}{Parse: []string{}}}
	if len(n.posts) == 1 {
		m.Embeds = []discordEmbed{embed(n.posts[0], true)}
		return m
	}
	m.Content = cutEscaped(n.countLine(), discordContent, discordEscaper)
	for _, p := range n.newest() {
		m.Embeds = append(m.Embeds, embed(p, false))
	}
	return m
}

// cut shortens s to at most max characters (Discord counts characters),
// at a word where it can, with an ellipsis.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return text.Truncate(s, max-1)
}

// cutEscaped is s escaped by esc, cut so that the result has at most max
// characters.
func cutEscaped(s string, max int, esc *strings.Replacer) string {
	step := 1 + max/10
	for limit := max; limit > 1; limit -= step {
		if out := esc.Replace(cut(s, limit)); utf8.RuneCountInString(out) <= max {
			return out
		}
	}
	return ""
}

// json is the message for a service: the feed, how many posts are new,
// and the posts (the newest ten of a summary) as JSON Feed 1.1 items, as
// the feed's JSON Feed document writes them.
func (n news) json() ([]byte, error) {
	posts := n.posts
	if len(posts) > 1 {
		posts = n.newest()
	}
	doc := &render.Document{Site: n.site, View: n.view, Format: render.JSONFeed, Page: 1, Limit: len(posts), Pages: 1, Posts: posts}
	var rendered bytes.Buffer
	if err := doc.Render(&rendered); err != nil {
		return nil, err
	}
	var items struct {
		Items json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(rendered.Bytes(), &items); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err := json.NewEncoder(&b).Encode(struct {
		Type  string `json:"type"`
		Feed  any    `json:"feed"`
		Count int    `json:"count"`
		Items any    `json:"items"`
	}{
		Type: "post.published",
		Feed: struct {
			Title   string `json:"title"`
			FeedURL string `json:"feed_url"`
		}{n.feedTitle(), n.site.URL(n.view.Key, render.JSONFeed)},
		Count: len(n.posts),
		Items: items.Items,
	})
	return b.Bytes(), err
}
