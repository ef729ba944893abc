package main

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/feed/text"
	"github.com/feedd/feedd/webhooks"
	"gopkg.in/yaml.v3"
)

// fileConfig is the config file; every key is optional. feedd.example.yaml
// shows and explains each.
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
		IDDate      string `yaml:"id_date"`
		Permalink   string `yaml:"permalink"`
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
	HTTP struct {
		CORS          *bool     `yaml:"cors"`
		ShutdownDelay *duration `yaml:"shutdown_delay"`
	} `yaml:"http"`
	Metrics struct {
		Addr string `yaml:"addr"`
	} `yaml:"metrics"`
	Webhooks struct {
		State string `yaml:"state"`
		Send  *bool  `yaml:"send"`
		Hooks []struct {
			Name     string `yaml:"name"`
			URL      string `yaml:"url"`
			Feed     string `yaml:"feed"`
			Format   string `yaml:"format"`
			MaxBurst *int   `yaml:"max_burst"`
			Secret   string `yaml:"secret"`
		} `yaml:"hooks"`
	} `yaml:"webhooks"`
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
		return errors.New("want a duration such as 300s or 5m")
	}
	if secs, err := strconv.Atoi(n.Value); err == nil {
		d.Duration = time.Duration(secs) * time.Second
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("want a duration such as 300s or 5m, not %q", n.Value)
	}
	d.Duration = v
	return nil
}

// Config is everything serve, check and build need, after the defaults,
// the config file, the environment and the flags.
type Config struct {
	Posts string
	Addr  string
	Site  render.Site
	Parse parse.Options
	// What the server needs beyond the site (feed.max_limit, max_age,
	// cache_mb).
	MaxLimit   int
	MaxAge     time.Duration
	CacheBytes int64
	CORS       bool // http.cors
	// BaseURLGuessed is true when no base URL was given: it is
	// http://localhost and the port.
	BaseURLGuessed bool
	// MetricsAddr is where /metrics is served instead of the feeds'
	// address (metrics.addr); "" for the feeds' address.
	MetricsAddr string
	// Webhooks are the hooks (webhooks.hooks), their state file, and
	// whether this process sends (webhooks.send).
	Webhooks struct {
		State string
		Send  bool
		Hooks []webhooks.Hook
	}
	// ShutdownDelay is how long the listener stays open after SIGTERM
	// (http.shutdown_delay).
	ShutdownDelay time.Duration
	// The watcher's settings (watch).
	Debounce, Rescan, PollInterval time.Duration
	Poll                           bool
	// BodyDir is where rendered bodies are kept out of memory ("" for the
	// system's temporary directory, "memory" to keep them in memory).
	BodyDir string
	Pprof   string // where Go's profiles are served; "" for nowhere
}

// defaultAddr is where serve listens, and healthcheck asks, by default.
const defaultAddr = ":8080"

// settings are the values given on the command line or in the environment;
// "" means not given.
type settings struct {
	posts, addr, baseURL, config string
	logFormat, logLevel          string
	pprof                        string
	out                          string
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

// configFile is the config file as read, with where each key is, for
// errors that name the key and its line.
type configFile struct {
	fileConfig
	name  string
	lines map[string]int
}

// errorAt is an error about key, at its line.
func (f *configFile) errorAt(key, format string, args ...any) error {
	return configErrorAt(f.name, f.lines, key, format, args...)
}

// loadConfig builds the configuration: defaults, then the config file, then
// the settings from the environment and flags. Every error is a bad
// invocation (exit code 2).
func loadConfig(s settings) (*Config, error) {
	f := &configFile{name: s.config}
	if s.config != "" {
		data, err := os.ReadFile(s.config)
		if err != nil {
			return nil, fmt.Errorf("config: %v", err)
		}
		if f.lines, err = decodeConfig(s.config, data, &f.fileConfig); err != nil {
			return nil, err
		}
	}
	c := &Config{Posts: cmp.Or(s.posts, "./posts"), Addr: cmp.Or(s.addr, defaultAddr), Pprof: s.pprof}
	for _, step := range []func(*Config, *configFile, settings) error{
		(*Config).address, (*Config).site, (*Config).links, (*Config).names, (*Config).pages, (*Config).hooks, (*Config).watch, (*Config).postsDir,
	} {
		if err := step(c, f, s); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// address checks the listen address, and makes the base URL from it
// unless one is given.
func (c *Config) address(f *configFile, s settings) error {
	_, name, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("addr %q: want HOST:PORT or :PORT", c.Addr)
	}
	port, err := net.LookupPort("tcp", name) // a number, or a service's name (http)
	if err != nil {
		return fmt.Errorf("addr %q: unknown port %q", c.Addr, name)
	}
	base, fromFile := "http://localhost:"+strconv.Itoa(port), false
	if f.Site.BaseURL != "" {
		base, fromFile = f.Site.BaseURL, true
	}
	if s.baseURL != "" {
		base, fromFile = s.baseURL, false
	}
	u, err := baseURL(base)
	switch {
	case err != nil && fromFile:
		return f.errorAt("site.base_url", "%v", err)
	case err != nil:
		return fmt.Errorf("base URL: %v", err)
	}
	c.BaseURLGuessed = s.baseURL == "" && !fromFile
	c.Site.BaseURL = strings.TrimSuffix(u.String(), "/")
	c.Parse.BaseURL, _ = url.Parse(c.Site.BaseURL)
	return nil
}

// site reads the site's settings.
func (c *Config) site(f *configFile, _ settings) error {
	fs, site := &f.Site, &c.Site
	site.Title = cmp.Or(fs.Title, "feedd")
	site.Description, site.Author = fs.Description, fs.Author
	site.Link = c.Site.BaseURL
	for _, u := range []struct {
		key, value string
		dst        *string
	}{{"site.link", fs.Link, &site.Link}, {"site.icon", fs.Icon, &site.Icon}} {
		if u.value == "" {
			continue
		}
		v, err := baseURL(u.value)
		if err != nil {
			return f.errorAt(u.key, "%v", err)
		}
		*u.dst = v.String()
	}
	site.Language = "en"
	if fs.Language != "" {
		tag, err := parse.Language(fs.Language)
		if err != nil {
			return f.errorAt("site.language", "%v", err)
		}
		site.Language = tag
	}
	c.Parse.Language, c.Parse.Location = site.Language, time.UTC
	if fs.Timezone != "" {
		loc, err := time.LoadLocation(fs.Timezone)
		if err != nil {
			return f.errorAt("site.timezone", "unknown time zone %q", fs.Timezone)
		}
		c.Parse.Location = loc
	}
	site.Location = c.Parse.Location
	return nil
}

// links reads what item links and ids are made from: site.link,
// site.permalink and site.id_date.
func (c *Config) links(f *configFile, _ settings) error {
	fs := &f.Site
	if fs.Link != "" {
		c.Parse.SiteLink, _ = url.Parse(c.Site.Link) // checked by site
	}
	if fs.Permalink != "" {
		pl, err := parse.NewPermalink(fs.Permalink)
		if err != nil {
			return f.errorAt("site.permalink", "%v", err)
		}
		c.Parse.Permalink = pl
	}
	c.Site.IDDate = cmp.Or(fs.IDDate, render.DefaultIDDate)
	if _, err := time.Parse(time.DateOnly, c.Site.IDDate); err != nil {
		return f.errorAt("site.id_date", "%q is not a date written YYYY-MM-DD", fs.IDDate)
	}
	return nil
}

// names reads the display names of categories and languages.
func (c *Config) names(f *configFile, _ settings) error {
	cats, langs := map[string]string{}, map[string]string{}
	for k, v := range f.Categories {
		cats[text.Slug(k)] = v
	}
	for k, v := range f.Languages {
		tag, err := parse.Language(k)
		if err != nil {
			return f.errorAt("languages."+k, "%v", err)
		}
		langs[feed.LanguageKey(tag)] = v
	}
	c.Site.Names = map[*feed.Facet]map[string]string{feed.ByCategory: cats, feed.ByLanguage: langs}
	return nil
}

// pages reads the feed section (page sizes, freshness, the cache, the
// bodies), the WebSub hubs, http and metrics.addr.
func (c *Config) pages(f *configFile, _ settings) error {
	ff := &f.Feed
	c.Site.Limit, c.MaxLimit, c.MaxAge = 50, 500, 300*time.Second
	for _, n := range []struct {
		key string
		v   *int
		dst *int
	}{{"feed.limit", ff.Limit, &c.Site.Limit}, {"feed.max_limit", ff.MaxLimit, &c.MaxLimit}} {
		if n.v != nil && *n.v < 1 {
			return f.errorAt(n.key, "must be at least 1, not %d", *n.v)
		}
		if n.v != nil {
			*n.dst = *n.v
		}
	}
	if c.Site.Limit > c.MaxLimit {
		return f.errorAt("feed.limit", "%d is more than feed.max_limit (%d)", c.Site.Limit, c.MaxLimit)
	}
	if p := ff.MaxAge; p != nil {
		if p.Duration < 0 {
			return f.errorAt("feed.max_age", "must not be negative")
		}
		c.MaxAge = p.Duration
	}
	c.Site.TTL = c.MaxAge
	if p := ff.CacheMB; p != nil {
		if *p < 1 {
			return f.errorAt("feed.cache_mb", "must be at least 1, not %d", *p)
		}
		c.CacheBytes = int64(*p) << 20
	}
	if p := ff.BodyDir; p != nil {
		if *p == "" {
			return f.errorAt("feed.body_dir", "must be a directory or \"memory\"")
		}
		c.BodyDir = *p
	}
	for i, h := range f.WebSub.Hubs {
		if _, err := baseURL(h); err != nil {
			return f.errorAt(fmt.Sprintf("websub.hubs[%d]", i), "%v", err)
		}
	}
	c.Site.Hubs = f.WebSub.Hubs
	c.CORS = f.HTTP.CORS == nil || *f.HTTP.CORS
	if a := f.Metrics.Addr; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return f.errorAt("metrics.addr", "%q: want HOST:PORT or :PORT", a)
		}
		c.MetricsAddr = a
	}
	if p := f.HTTP.ShutdownDelay; p != nil {
		if p.Duration < 0 {
			return f.errorAt("http.shutdown_delay", "must not be negative")
		}
		c.ShutdownDelay = p.Duration
	}
	return nil
}

// hooks reads and checks the webhooks.
func (c *Config) hooks(f *configFile, _ settings) error {
	w := &f.Webhooks
	c.Webhooks.State, c.Webhooks.Send = w.State, w.Send == nil || *w.Send
	if len(w.Hooks) > 0 && w.State == "" {
		return &configError{File: f.name, Line: f.lines["webhooks.hooks"], Key: "webhooks.state", Msg: "required with hooks: the file that keeps what each hook has sent"}
	}
	names := map[string]int{}
	for i, h := range w.Hooks {
		at := fmt.Sprintf("webhooks.hooks[%d]", i)
		bad := func(field, format string, args ...any) error {
			line, ok := f.lines[at+"."+field]
			if !ok {
				line = f.lines[at]
			}
			return &configError{File: f.name, Line: line, Key: at + "." + field, Msg: fmt.Sprintf(format, args...)}
		}
		hook := webhooks.Hook{Name: h.Name, URL: h.URL, Format: webhooks.Format(h.Format)}
		if h.Name == "" {
			return bad("name", "required: it names the hook's state")
		}
		if first, ok := names[h.Name]; ok {
			return bad("name", "%q is also webhooks.hooks[%d]'s", h.Name, first)
		}
		names[h.Name] = i
		if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("url", "%q is not an absolute http(s) URL", h.URL)
		}
		var ok bool
		if hook.Feed, ok = feed.ParseDir(cmp.Or(h.Feed, "/")); !ok {
			return bad("feed", "%q is not a feed's path: want %s", h.Feed, feedPatterns())
		}
		for i, f := range hook.Feed.Kind.Facets {
			// As the feed's URL writes it, or it matches no feed, ever.
			v := hook.Feed.Values[i]
			if f == feed.ByLanguage {
				if _, err := parse.Language(v); err != nil {
					return bad("feed", "%q: %v", h.Feed, err)
				}
			} else if slug := text.Slug(v); slug != v {
				return bad("feed", "%q: write the %s as its feed's URL does, %q", h.Feed, f.Name, slug)
			}
		}
		if !slices.Contains(webhooks.Formats, hook.Format) {
			return bad("format", "%q: want slack, discord or json", h.Format)
		}
		switch {
		case hook.Format == webhooks.JSON:
			key, err := webhooks.ParseSecret(h.Secret)
			if err != nil {
				return bad("secret", "a json hook is signed: %v", err)
			}
			hook.Secret = key
		case h.Secret != "":
			return bad("secret", "only json hooks are signed")
		}
		if p := h.MaxBurst; p != nil {
			if *p < 1 {
				return bad("max_burst", "must be at least 1, not %d", *p)
			}
			hook.MaxBurst = *p
		}
		c.Webhooks.Hooks = append(c.Webhooks.Hooks, hook)
	}
	return nil
}

// watch reads the watcher's settings.
func (c *Config) watch(f *configFile, _ settings) error {
	w := &f.Watch
	c.Debounce, c.Rescan, c.PollInterval, c.Poll = 200*time.Millisecond, 5*time.Minute, time.Second, w.Poll
	for _, d := range []struct {
		key  string
		v    *duration
		dst  *time.Duration
		zero bool // 0 allowed
	}{{"watch.debounce", w.Debounce, &c.Debounce, true}, {"watch.rescan", w.Rescan, &c.Rescan, true}, {"watch.poll_interval", w.Interval, &c.PollInterval, false}} {
		switch {
		case d.v == nil:
		case d.v.Duration < 0:
			return f.errorAt(d.key, "must not be negative")
		case d.v.Duration == 0 && !d.zero:
			return f.errorAt(d.key, "must be more than 0")
		default:
			*d.dst = d.v.Duration
		}
	}
	return nil
}

// postsDir checks that the posts directory is there.
func (c *Config) postsDir(*configFile, settings) error {
	info, err := os.Stat(c.Posts)
	if err != nil {
		return fmt.Errorf("posts directory %s: %v", c.Posts, errors.Unwrap(err))
	}
	if !info.IsDir() {
		return fmt.Errorf("posts directory %s: not a directory", c.Posts)
	}
	return nil
}

// baseURL checks an absolute http(s) URL without query or fragment, and
// writes its host in lower-case ASCII (IDNA: "Feeds.例え.jp" is
// "feeds.xn--r8jz45g.jp"), as links and Atom ids want it.
func baseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: a base URL has no query or fragment", s)
	}
	if u.Host, err = parse.ASCIIHost(u.Host); err != nil {
		return nil, fmt.Errorf("%q: %v", s, err)
	}
	return u, nil
}

// localhostWarning is the warning serve logs when links will say
// localhost to clients on other machines: no base URL was given, and addr
// listens on more than loopback. "" when there is nothing to say.
func (c *Config) localhostWarning() string {
	if !c.BaseURLGuessed {
		return ""
	}
	host, _, _ := net.SplitHostPort(c.Addr)
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return ""
	}
	return "no base URL is set: feeds, the index and the OPML list link to " + c.Site.BaseURL +
		", which only this machine can open; set -base-url, FEEDD_BASE_URL or site.base_url to the public URL"
}

// feedPatterns lists the paths of every kind of feed, for errors.
func feedPatterns() string {
	var ps []string
	for _, k := range feed.Kinds {
		ps = append(ps, k.Pattern())
	}
	return strings.Join(ps, ", ")
}
