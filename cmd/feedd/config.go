package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/feedd/feedd/feed"
	"gopkg.in/yaml.v3"
)

// fileConfig is the config file of SPEC section 3; every key is optional.
type fileConfig struct {
	Site struct {
		Title       string `yaml:"title"`
		Description string `yaml:"description"`
		BaseURL     string `yaml:"base_url"`
		Link        string `yaml:"link"`
		Language    string `yaml:"language"`
		Author      string `yaml:"author"`
		Icon        string `yaml:"icon"`
		Timezone    string `yaml:"timezone"`
	} `yaml:"site"`
	Categories map[string]string `yaml:"categories"`
	Languages  map[string]string `yaml:"languages"`
	Feed       struct {
		Limit    *int      `yaml:"limit"`
		MaxLimit *int      `yaml:"max_limit"`
		MaxAge   *duration `yaml:"max_age"`
		CacheMB  *int      `yaml:"cache_mb"`
		BodyDir  *string   `yaml:"body_dir"`
	} `yaml:"feed"`
	WebSub struct {
		Hubs []string `yaml:"hubs"`
	} `yaml:"websub"`
	Watch struct {
		Debounce *duration `yaml:"debounce"`
		Rescan   *duration `yaml:"rescan"`
		Poll     bool      `yaml:"poll"`
		Interval *duration `yaml:"poll_interval"`
	} `yaml:"watch"`
}

// duration reads "300s", "5m", or a whole number of seconds.
type duration struct{ time.Duration }

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 300s or 5m", n.Line)
	}
	if secs, err := strconv.Atoi(n.Value); err == nil {
		d.Duration = time.Duration(secs) * time.Second
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: want a duration such as 300s or 5m, not %q", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// Config is everything serve and check need, after defaults, the config
// file, the environment and the flags.
type Config struct {
	Posts    string
	Addr     string
	Site     feed.Site
	Parse    feed.ParseOptions
	Debounce time.Duration
	Rescan   time.Duration
	Poll     bool
	// BodyDir is where rendered bodies are kept out of memory ("" for the
	// system's temporary directory, "memory" to keep them in memory).
	BodyDir string
	// PollInterval is how often the posts are rescanned in polling mode.
	PollInterval time.Duration
}

// usageError is a bad flag, variable or config value: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// defaultAddr is where serve listens, and healthcheck asks, by default.
const defaultAddr = ":8080"

// settings are the values given on the command line or in the environment;
// "" means not given.
type settings struct {
	posts, addr, baseURL, config string
	logFormat, logLevel          string
	pprof                        string
}

// fromEnv fills what the flags left empty from FEEDD_* variables.
func (s *settings) fromEnv(getenv func(string) string) {
	for _, v := range []struct {
		dst *string
		key string
	}{{&s.posts, "FEEDD_POSTS"}, {&s.addr, "FEEDD_ADDR"}, {&s.baseURL, "FEEDD_BASE_URL"}, {&s.config, "FEEDD_CONFIG"},
		{&s.logFormat, "FEEDD_LOG_FORMAT"}, {&s.logLevel, "FEEDD_LOG_LEVEL"}, {&s.pprof, "FEEDD_PPROF"}} {
		if *v.dst == "" {
			*v.dst = getenv(v.key)
		}
	}
}

// loadConfig builds the configuration: defaults, then the config file, then
// the settings from the environment and flags.
func loadConfig(s settings) (*Config, error) {
	var fc fileConfig
	var root yaml.Node
	if s.config != "" {
		data, err := os.ReadFile(s.config)
		if err != nil {
			return nil, usagef("config: %v", err)
		}
		if err := decodeStrict(s.config, data, &fc); err != nil {
			return nil, usagef("config %v", err)
		}
		_ = yaml.Unmarshal(data, &root)
	}
	where := func(keys ...string) string {
		if l := lineOf(&root, keys...); l > 0 {
			return fmt.Sprintf("config %s:%d: %s", s.config, l, strings.Join(keys, "."))
		}
		return "config " + s.config + ": " + strings.Join(keys, ".")
	}

	c := &Config{Posts: "./posts", Addr: defaultAddr, Debounce: 200 * time.Millisecond, Rescan: 5 * time.Minute, Poll: fc.Watch.Poll, PollInterval: time.Second}
	if s.posts != "" {
		c.Posts = s.posts
	}
	if s.addr != "" {
		c.Addr = s.addr
	}
	_, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, usagef("addr %q: want HOST:PORT or :PORT", c.Addr)
	}

	site := &c.Site
	site.Title = orDefault(fc.Site.Title, "feedd")
	site.Description = fc.Site.Description
	site.Author = fc.Site.Author
	site.Limit, site.MaxLimit, site.MaxAge = 50, 500, 300*time.Second

	base := "http://localhost:" + port
	baseFrom := "default"
	if fc.Site.BaseURL != "" {
		base, baseFrom = fc.Site.BaseURL, where("site", "base_url")
	}
	if s.baseURL != "" {
		base, baseFrom = s.baseURL, "base URL"
	}
	u, err := absoluteHTTP(base)
	if err != nil {
		return nil, usagef("%s: %v", baseFrom, err)
	}
	site.BaseURL = strings.TrimSuffix(u.String(), "/")
	c.Parse.BaseURL, _ = url.Parse(site.BaseURL)

	site.Link = site.BaseURL
	if fc.Site.Link != "" {
		if _, err := absoluteHTTP(fc.Site.Link); err != nil {
			return nil, usagef("%s: %v", where("site", "link"), err)
		}
		site.Link = fc.Site.Link
	}
	if fc.Site.Icon != "" {
		if _, err := absoluteHTTP(fc.Site.Icon); err != nil {
			return nil, usagef("%s: %v", where("site", "icon"), err)
		}
		site.Icon = fc.Site.Icon
	}
	site.Language = "en"
	if fc.Site.Language != "" {
		if site.Language, err = feed.CanonicalLanguage(fc.Site.Language); err != nil {
			return nil, usagef("%s: %v", where("site", "language"), err)
		}
	}
	c.Parse.Language = site.Language
	c.Parse.Location = time.UTC
	if fc.Site.Timezone != "" {
		if c.Parse.Location, err = time.LoadLocation(fc.Site.Timezone); err != nil {
			return nil, usagef("%s: unknown time zone %q", where("site", "timezone"), fc.Site.Timezone)
		}
	}

	site.CategoryNames = map[string]string{}
	for k, v := range fc.Categories {
		site.CategoryNames[feed.Slug(k)] = v
	}
	site.LanguageNames = map[string]string{}
	for k, v := range fc.Languages {
		tag, err := feed.CanonicalLanguage(k)
		if err != nil {
			return nil, usagef("%s: %v", where("languages", k), err)
		}
		site.LanguageNames[strings.ToLower(tag)] = v
	}
	if p := fc.Feed.Limit; p != nil {
		if *p < 1 {
			return nil, usagef("%s: must be at least 1, not %d", where("feed", "limit"), *p)
		}
		site.Limit = *p
	}
	if p := fc.Feed.MaxLimit; p != nil {
		if *p < 1 {
			return nil, usagef("%s: must be at least 1, not %d", where("feed", "max_limit"), *p)
		}
		site.MaxLimit = *p
	}
	if site.Limit > site.MaxLimit {
		return nil, usagef("%s: %d is more than feed.max_limit (%d)", where("feed", "limit"), site.Limit, site.MaxLimit)
	}
	if p := fc.Feed.MaxAge; p != nil {
		if p.Duration < 0 {
			return nil, usagef("%s: must not be negative", where("feed", "max_age"))
		}
		site.MaxAge = p.Duration
	}
	if p := fc.Feed.CacheMB; p != nil {
		if *p < 1 {
			return nil, usagef("%s: must be at least 1, not %d", where("feed", "cache_mb"), *p)
		}
		site.CacheBytes = int64(*p) << 20
	}
	if p := fc.Feed.BodyDir; p != nil {
		if *p == "" {
			return nil, usagef("%s: must be a directory or \"memory\"", where("feed", "body_dir"))
		}
		c.BodyDir = *p
	}
	for i, h := range fc.WebSub.Hubs {
		if _, err := absoluteHTTP(h); err != nil {
			return nil, usagef("%s[%d]: %v", where("websub", "hubs"), i, err)
		}
	}
	site.Hubs = fc.WebSub.Hubs
	if p := fc.Watch.Debounce; p != nil {
		if p.Duration < 0 {
			return nil, usagef("%s: must not be negative", where("watch", "debounce"))
		}
		c.Debounce = p.Duration
	}
	if p := fc.Watch.Interval; p != nil {
		if p.Duration <= 0 {
			return nil, usagef("%s: must be more than 0", where("watch", "poll_interval"))
		}
		c.PollInterval = p.Duration
	}
	if p := fc.Watch.Rescan; p != nil {
		if p.Duration < 0 {
			return nil, usagef("%s: must not be negative", where("watch", "rescan"))
		}
		c.Rescan = p.Duration
	}

	info, err := os.Stat(c.Posts)
	if err != nil {
		return nil, usagef("posts directory %s: %v", c.Posts, errors.Unwrap(err))
	}
	if !info.IsDir() {
		return nil, usagef("posts directory %s: not a directory", c.Posts)
	}
	return c, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func absoluteHTTP(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: a base URL has no query or fragment", s)
	}
	return u, nil
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type [^\n]*`)

// decodeStrict decodes YAML refusing unknown keys, with errors that name
// the line and the key.
func decodeStrict(name string, data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n  ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = unknownField.ReplaceAllString(msg, `line $1: unknown key`)
	msg = strings.NewReplacer("!!str", "text", "!!seq", "a list", "!!map", "a mapping", "!!int", "a number", "!!bool", "true or false").Replace(msg)
	parts := strings.Split(msg, "\n  ")
	for i, p := range parts {
		m := lineMessage.FindStringSubmatch(p)
		if m == nil {
			parts[i] = name + ": " + p
			continue
		}
		line, _ := strconv.Atoi(m[1])
		if key := keyAt(&root, line, ""); key != "" {
			parts[i] = fmt.Sprintf("%s:%d: %s: %s", name, line, key, m[2])
		} else {
			parts[i] = fmt.Sprintf("%s:%d: %s", name, line, m[2])
		}
	}
	return errors.New(strings.Join(parts, "; "))
}

var lineMessage = regexp.MustCompile(`^line (\d+): (.*)$`)

// keyAt is the dotted path of the deepest key (or list item) on a line of
// a YAML document, or "".
func keyAt(n *yaml.Node, line int, path string) string {
	found := ""
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAt(c, line, path); k != "" {
				found = k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			if n.Content[i].Line == line {
				found = p // the key's value, flow collections included, is the error
				continue
			}
			if k := keyAt(n.Content[i+1], line, p); k != "" {
				found = k
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if c.Line == line {
				found = p // the item itself: a list or mapping in its place is the error
				continue
			}
			if k := keyAt(c, line, p); k != "" {
				found = k
			}
		}
	}
	return found
}

// lineOf finds the line of a key path in a YAML document, or 0.
func lineOf(doc *yaml.Node, keys ...string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}
