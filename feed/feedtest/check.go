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
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if dec.More() {
		bad("more than one JSON value")
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
	link := func(m map[string]any, key string, required bool) {
		if s, ok := str(m, key, required); ok && !AbsoluteHTTPURL(s) {
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
	link(doc, "home_page_url", false)
	link(doc, "feed_url", true)
	if s, _ := doc["feed_url"].(string); s != selfURL {
		bad("feed_url %q, want %q", s, selfURL)
	}
	link(doc, "next_url", false)
	link(doc, "icon", false)
	link(doc, "favicon", false)
	str(doc, "language", false)
	authors(doc)
	if hubs, present := doc["hubs"]; present {
		list, ok := hubs.([]any)
		if !ok {
			bad("hubs is not an array")
		}
		for _, h := range list {
			hm, ok := h.(map[string]any)
			if !ok {
				bad("a hub is not an object: %v", h)
				continue
			}
			if typ, _ := str(hm, "type", true); typ == "" {
				bad("a hub without a type: %v", h)
			}
			link(hm, "url", true)
		}
	}
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
		link(it, "url", false)
		link(it, "image", false)
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
