package feedtest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// WellFormed reads an XML document with encoding/xml in strict mode, to
// its end.
func WellFormed(body []byte) error {
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

// AbsoluteHTTPURL says whether s is an absolute http or https URL with a
// host.
func AbsoluteHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// CheckJSONFeed checks a document against the JSON Feed 1.1 rules: the
// required fields and their types, absolute URLs, RFC 3339 dates, items
// present, ids unique, no unknown keys, and feed_url equal to selfURL. It
// returns the problems found.
func CheckJSONFeed(body []byte, selfURL string) []string {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	c := &jsonChecker{}
	if dec.More() {
		c.bad("more than one JSON value")
	}
	c.top(doc, selfURL)
	c.hubs(doc)
	items, ok := doc["items"].([]any)
	if !ok {
		c.bad("items is missing or not an array")
	}
	ids := map[string]bool{}
	for _, raw := range items {
		it, ok := raw.(map[string]any)
		if !ok {
			c.bad("an item is not an object")
			continue
		}
		id := c.item(it)
		if id == "" || ids[id] {
			c.bad("empty or repeated id %q", id)
		}
		ids[id] = true
	}
	return c.problems
}

// jsonChecker collects what a JSON Feed breaks of the 1.1 rules.
type jsonChecker struct{ problems []string }

func (c *jsonChecker) bad(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// str reads key as a string, noting a missing required one or another
// type.
func (c *jsonChecker) str(m map[string]any, key string, required bool) (string, bool) {
	v, ok := m[key]
	if !ok {
		if required {
			c.bad("%q is missing", key)
		}
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		c.bad("%q is not a string: %v", key, v)
	}
	return s, isStr
}

func (c *jsonChecker) link(m map[string]any, key string, required bool) {
	if s, ok := c.str(m, key, required); ok && !AbsoluteHTTPURL(s) {
		c.bad("%q is not an absolute URL: %q", key, s)
	}
}

func (c *jsonChecker) date(m map[string]any, key string) {
	if s, ok := c.str(m, key, false); ok {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			c.bad("%q is not RFC 3339: %q", key, s)
		}
	}
}

func (c *jsonChecker) authors(m map[string]any) {
	list, ok := m["authors"].([]any)
	if _, present := m["authors"]; present && !ok {
		c.bad("authors is not an array")
	}
	for _, a := range list {
		am, ok := a.(map[string]any)
		if !ok || (am["name"] == nil && am["url"] == nil && am["avatar"] == nil) {
			c.bad("an author needs a name, url or avatar: %v", a)
		}
	}
}

// keys notes the keys of m that the spec does not define (extensions
// start with "_").
func (c *jsonChecker) keys(m map[string]any, known string, what string) {
	for k := range m {
		if !strings.Contains(" "+known+" ", " "+k+" ") && !strings.HasPrefix(k, "_") {
			c.bad("unknown %s key %q", what, k)
		}
	}
}

// top checks the feed's own fields.
func (c *jsonChecker) top(doc map[string]any, selfURL string) {
	c.keys(doc, "version title home_page_url feed_url description user_comment next_url icon favicon author authors language expired hubs items", "top-level")
	if v, _ := c.str(doc, "version", true); v != "https://jsonfeed.org/version/1.1" {
		c.bad("version %q", v)
	}
	if t, _ := c.str(doc, "title", true); t == "" {
		c.bad("empty title")
	}
	c.link(doc, "home_page_url", false)
	c.link(doc, "feed_url", true)
	if s, _ := doc["feed_url"].(string); s != selfURL {
		c.bad("feed_url %q, want %q", s, selfURL)
	}
	c.link(doc, "next_url", false)
	c.link(doc, "icon", false)
	c.link(doc, "favicon", false)
	c.str(doc, "language", false)
	c.authors(doc)
}

func (c *jsonChecker) hubs(doc map[string]any) {
	hubs, present := doc["hubs"]
	if !present {
		return
	}
	list, ok := hubs.([]any)
	if !ok {
		c.bad("hubs is not an array")
	}
	for _, h := range list {
		hm, ok := h.(map[string]any)
		if !ok {
			c.bad("a hub is not an object: %v", h)
			continue
		}
		if typ, _ := c.str(hm, "type", true); typ == "" {
			c.bad("a hub without a type: %v", h)
		}
		c.link(hm, "url", true)
	}
}

// item checks one item and returns its id.
func (c *jsonChecker) item(it map[string]any) string {
	c.keys(it, "id url external_url title content_html content_text summary image banner_image date_published date_modified author authors tags language attachments", "item")
	id, _ := c.str(it, "id", true)
	c.link(it, "url", false)
	c.link(it, "image", false)
	_, html := it["content_html"]
	_, text := it["content_text"]
	if !html && !text {
		c.bad("item %s has neither content_html nor content_text", id)
	}
	c.date(it, "date_published")
	c.date(it, "date_modified")
	if tags, present := it["tags"]; present {
		list, ok := tags.([]any)
		for _, tag := range list {
			if _, isStr := tag.(string); !isStr {
				ok = false
			}
		}
		if !ok {
			c.bad("item %s: tags is not an array of strings", id)
		}
	}
	c.authors(it)
	return id
}
