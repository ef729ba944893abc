package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/mmcdole/gofeed"
	"gopkg.in/yaml.v3"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBadInvocations: every mistake on the command line, in the environment
// or in the config file is one clear line on stderr and exit code 2.
func TestBadInvocations(t *testing.T) {
	dir := t.TempDir()
	posts := filepath.Join(dir, "posts")
	if err := os.Mkdir(posts, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := func(name, text string) string { return writeFile(t, filepath.Join(dir, name), text) }
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"-nope"}, nil, "flag provided but not defined: -nope"},
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{"stray argument", []string{"serve", "-posts", posts, "extra"}, nil, `unexpected argument "extra"`},
		{"missing posts directory", []string{"-posts", filepath.Join(dir, "none")}, nil, "posts directory " + filepath.Join(dir, "none") + ": no such file or directory"},
		{"posts is a file", []string{"-posts", cfg("file.md", "x")}, nil, "not a directory"},
		{"missing posts directory from env", nil, map[string]string{"FEEDD_POSTS": filepath.Join(dir, "none")}, "no such file or directory"},
		{"bad addr", []string{"-posts", posts, "-addr", "8080"}, nil, `addr "8080": want HOST:PORT or :PORT`},
		{"port out of range", []string{"-posts", posts, "-addr", "127.0.0.1:99999"}, nil, `addr "127.0.0.1:99999": unknown port "99999"`},
		{"port with a space", []string{"-posts", posts, "-addr", ":8080 "}, nil, `addr ":8080 ": unknown port "8080 "`},
		{"address in use", []string{"-posts", posts, "-addr", taken.Addr().String()}, nil, fmt.Sprintf("addr %q: listen tcp %s: bind: address already in use", taken.Addr(), taken.Addr())},
		{"metrics address in use", []string{"-posts", posts, "-addr", "127.0.0.1:0", "-config", cfg("ma.yaml", "metrics:\n  addr: "+taken.Addr().String()+"\n")}, nil, fmt.Sprintf("metrics.addr %q: listen", taken.Addr())},
		{"pprof address in use", []string{"-posts", posts, "-addr", "127.0.0.1:0", "-pprof", taken.Addr().String()}, nil, fmt.Sprintf("pprof %q: listen", taken.Addr())},
		{"hooks without state", []string{"-posts", posts, "-config", cfg("w1.yaml", "webhooks:\n  hooks:\n    - {name: a, url: \"https://x.example/\", format: slack}\n")}, nil, `w1.yaml:2: webhooks.state: required with hooks`},
		{"hook without name", []string{"-posts", posts, "-config", cfg("w2.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - url: https://x.example/\n      format: slack\n")}, nil, `w2.yaml:4: webhooks.hooks[0].name: required`},
		{"hook name twice", []string{"-posts", posts, "-config", cfg("w3.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - {name: a, url: \"https://x.example/\", format: slack}\n    - {name: a, url: \"https://y.example/\", format: slack}\n")}, nil, `w3.yaml:5: webhooks.hooks[1].name: "a" is also webhooks.hooks[0]'s`},
		{"hook url", []string{"-posts", posts, "-config", cfg("w4.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - name: a\n      url: hooks.slack.com/x\n      format: slack\n")}, nil, `w4.yaml:5: webhooks.hooks[0].url: "hooks.slack.com/x" is not an absolute http(s) URL`},
		{"hook feed", []string{"-posts", posts, "-config", cfg("w5.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - name: a\n      url: https://x.example/\n      feed: /tag/x/\n      format: slack\n")}, nil, `w5.yaml:6: webhooks.hooks[0].feed: "/tag/x/" is not a feed's path: want /, /category/CATEGORY/, /language/LANGUAGE/, /language/LANGUAGE/category/CATEGORY/, /author/AUTHOR/, /language/LANGUAGE/author/AUTHOR/`},
		{"hook feed not a slug", []string{"-posts", posts, "-config", cfg("w5b.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - name: a\n      url: https://x.example/\n      feed: /category/Real Estate/\n      format: slack\n")}, nil, `w5b.yaml:6: webhooks.hooks[0].feed: "/category/Real Estate/": write the category as its feed's URL does, "real-estate"`},
		{"hook feed language", []string{"-posts", posts, "-config", cfg("w5c.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - name: a\n      url: https://x.example/\n      feed: /language/english/\n      format: slack\n")}, nil, `w5c.yaml:6: webhooks.hooks[0].feed: "/language/english/": `},
		{"hook format", []string{"-posts", posts, "-config", cfg("w6.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - name: a\n      url: https://x.example/\n      format: teams\n")}, nil, `w6.yaml:6: webhooks.hooks[0].format: "teams": want slack, discord or json`},
		{"json hook without secret", []string{"-posts", posts, "-config", cfg("w7.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - name: a\n      url: https://x.example/\n      format: json\n")}, nil, `w7.yaml:4: webhooks.hooks[0].secret: a json hook is signed: want whsec_ and a base64 key`},
		{"hook max_burst", []string{"-posts", posts, "-config", cfg("w8.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - name: a\n      url: https://x.example/\n      format: slack\n      max_burst: 0\n")}, nil, `w8.yaml:7: webhooks.hooks[0].max_burst: must be at least 1, not 0`},
		{"state not a database", []string{"-posts", posts, "-addr", "127.0.0.1:0", "-config", cfg("w9.yaml", "webhooks:\n  state: "+cfg("not.db", strings.Repeat("not a database\n", 500))+"\n  hooks:\n    - {name: a, url: \"https://x.example/\", format: slack}\n")}, nil, "webhooks state " + filepath.Join(dir, "not.db") + ": "},
		{"check checks hooks", []string{"check", "-posts", posts, "-config", cfg("wc.yaml", "webhooks:\n  state: s.db\n  hooks:\n    - {name: a, url: \"https://x.example/\", format: json, secret: nope}\n")}, nil, `wc.yaml:4: webhooks.hooks[0].secret: a json hook is signed`},
		{"bad metrics.addr", []string{"-posts", posts, "-config", cfg("mb.yaml", "metrics:\n  addr: 9090\n")}, nil, `mb.yaml:2: metrics.addr: "9090": want HOST:PORT or :PORT`},
		{"permalink placeholder", []string{"-posts", posts, "-config", cfg("pl.yaml", "site:\n  permalink: https://x.example/{slug}\n")}, nil, `pl.yaml:2: site.permalink: "https://x.example/{slug}": unknown placeholder {slug}`},
		{"relative permalink", []string{"-posts", posts, "-config", cfg("pr.yaml", "site:\n  permalink: /{path}\n")}, nil, `pr.yaml:2: site.permalink: "/{path}": want an absolute http(s) URL with placeholders after its host`},
		{"permalink shared by posts", []string{"-posts", posts, "-config", cfg("ps.yaml", "site:\n  permalink: https://x.example/{year}/\n")}, nil, `ps.yaml:2: site.permalink: "https://x.example/{year}/" names neither {path}, {name} nor {code}: every post would share a link`},
		{"id_date", []string{"-posts", posts, "-config", cfg("id.yaml", "site:\n  id_date: 2024\n")}, nil, `id.yaml:2: site.id_date: "2024" is not a date written YYYY-MM-DD`},
		{"relative base URL flag", []string{"-posts", posts, "-base-url", "/feeds"}, nil, `base URL: "/feeds" is not an absolute http(s) URL`},
		{"ftp base URL from env", []string{"-posts", posts}, map[string]string{"FEEDD_BASE_URL": "ftp://x"}, "not an absolute http(s) URL"},
		{"unreadable config", []string{"-posts", posts, "-config", filepath.Join(dir, "none.yaml")}, nil, "config: open"},
		{"unknown config key", []string{"-posts", posts, "-config", cfg("k.yaml", "site:\n  title: x\n  colour: red\n")}, nil, `k.yaml:3: site.colour: unknown key`},
		{"wrong type", []string{"-posts", posts, "-config", cfg("t.yaml", "feed:\n  limit: ten\n")}, nil, `t.yaml:2: feed.limit: want a whole number, not "ten"`},
		{"negative limit", []string{"-posts", posts, "-config", cfg("n.yaml", "feed:\n  limit: -5\n")}, nil, "n.yaml:2: feed.limit: must be at least 1, not -5"},
		{"limit above max", []string{"-posts", posts, "-config", cfg("m.yaml", "feed:\n  limit: 80\n  max_limit: 60\n")}, nil, "feed.limit: 80 is more than feed.max_limit (60)"},
		{"config base_url", []string{"-posts", posts, "-config", cfg("b.yaml", "site:\n  base_url: example.com\n")}, nil, `b.yaml:2: site.base_url: "example.com" is not an absolute http(s) URL`},
		{"config language", []string{"-posts", posts, "-config", cfg("l.yaml", "site:\n  language: english!\n")}, nil, "l.yaml:2: site.language: invalid language tag"},
		{"config timezone", []string{"-posts", posts, "-config", cfg("z.yaml", "site:\n  timezone: Mars/Olympus\n")}, nil, `z.yaml:2: site.timezone: unknown time zone "Mars/Olympus"`},
		{"config duration", []string{"-posts", posts, "-config", cfg("d.yaml", "feed:\n  max_age: soon\n")}, nil, `d.yaml:2: feed.max_age: want a duration such as 300s or 5m, not "soon"`},
		{"negative shutdown delay", []string{"-posts", posts, "-config", cfg("sd.yaml", "http:\n  shutdown_delay: -1s\n")}, nil, `sd.yaml:2: http.shutdown_delay: must not be negative`},
		{"unknown nested key", []string{"-posts", posts, "-config", cfg("u.yaml", "site:\n  title: x\nwatch:\n  debounce: 1s\n  pol: true\n")}, nil, `u.yaml:5: watch.pol: unknown key`},
		{"hub of the wrong type", []string{"-posts", posts, "-config", cfg("w.yaml", "websub:\n  hubs:\n    - [a]\n")}, nil, `w.yaml:3: websub.hubs[0]: want text, not a list`},
		{"bool of the wrong type", []string{"-posts", posts, "-config", cfg("p.yaml", "watch:\n  poll: maybe\n")}, nil, `p.yaml:2: watch.poll: want true or false, not "maybe"`},
		{"fraction for a whole number", []string{"-posts", posts, "-config", cfg("f.yaml", "feed:\n  cache_mb: 1.5\n")}, nil, `f.yaml:2: feed.cache_mb: want a whole number, not "1.5"`},
		{"key given twice", []string{"-posts", posts, "-config", cfg("2.yaml", "feed:\n  limit: 10\n  limit: 20\n")}, nil, `2.yaml:3: feed.limit: given twice (first on line 2)`},
		{"YAML syntax", []string{"-posts", posts, "-config", cfg("s.yaml", "site:\n  title: a: b\n")}, nil, `s.yaml: line 2: mapping values are not allowed in this context`},
		{"config hub", []string{"-posts", posts, "-config", cfg("h.yaml", "websub:\n  hubs: [\"not a url\"]\n")}, nil, `h.yaml:2: websub.hubs[0]: "not a url" is not an absolute http(s) URL`},
		{"log format", []string{"-posts", posts, "-log-format", "xml"}, nil, `log format "xml": want text or json`},
		{"log level from env", []string{"-posts", posts}, map[string]string{"FEEDD_LOG_LEVEL": "loud"}, `log level "loud": want debug, info, warn or error`},
		{"build without -out", []string{"build", "-posts", posts}, nil, "feedd build: -out DIR is required"},
		{"build with -addr", []string{"build", "-out", dir, "-addr", ":1"}, nil, "flag provided but not defined: -addr"},
		{"empty body_dir", []string{"-posts", posts, "-config", cfg("e.yaml", "feed:\n  body_dir: \"\"\n")}, nil, `e.yaml:2: feed.body_dir: must be a directory or "memory"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, env(tt.env), &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit code %d, want 2; stderr: %s", code, stderr.String())
			}
			msg := stderr.String()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("stderr %q does not contain %q", msg, tt.want)
			}
			first, rest, _ := strings.Cut(msg, "\n")
			if !strings.Contains(first, tt.want) || rest != "" {
				t.Errorf("not one line with the reason: %q", msg)
			}
			if strings.Contains(tt.want, ".yaml:") && !strings.HasPrefix(first, "feedd: config "+dir) {
				t.Errorf("a config error should name the config file: %q", first)
			}
		})
	}
}

// TestPrecedence: flags beat environment variables, which beat the config
// file, which beats the defaults.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgFile := writeFile(t, filepath.Join(dir, "feedd.yaml"), `site:
  title: "From config"
  base_url: "https://config.example.com/"
  language: km
  timezone: Asia/Phnom_Penh
  link: "https://www.example.com"
  permalink: "https://www.example.com/{year}/{name}"
  id_date: "2019-03-04"
categories:
  Real Estate: "Property"
languages:
  zh_Hant: "Chinese"
feed:
  limit: 20
  max_limit: 100
  max_age: 60s
  cache_mb: 16
websub:
  hubs: ["https://hub.example.com/"]
http:
  cors: false
metrics:
  addr: "127.0.0.1:9090"
watch:
  debounce: 50ms
  rescan: 0
  poll: true
  poll_interval: 3s
`)
	t.Run("defaults", func(t *testing.T) {
		c, err := loadConfig(settings{posts: dir})
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != ":8080" || c.Posts != dir || c.Site.BaseURL != "http://localhost:8080" || c.Site.Link != c.Site.BaseURL ||
			c.Site.Title != "feedd" || c.Site.Limit != 50 || c.MaxLimit != 500 || c.MaxAge != 300*time.Second ||
			c.Site.TTL != c.MaxAge || c.CacheBytes != 0 || len(c.Site.Hubs) != 0 ||
			c.Debounce != 200*time.Millisecond || c.Rescan != 5*time.Minute || c.Poll || c.PollInterval != time.Second ||
			c.Site.Language != "en" || c.Parse.Language != "en" || c.Parse.Location != time.UTC ||
			c.Parse.BaseURL == nil || c.Parse.BaseURL.String() != c.Site.BaseURL || !c.CORS ||
			c.Parse.SiteLink != nil || c.Parse.Permalink != nil || c.Site.IDDate != "2024-01-01" || c.MetricsAddr != "" || c.Site.Location != time.UTC {
			t.Errorf("defaults: %+v", c)
		}
		if c, err := loadConfig(settings{}); err == nil || c != nil || !strings.Contains(err.Error(), "posts directory ./posts") {
			t.Errorf("the default posts directory is ./posts: %v", err)
		}
		if c, _ := loadConfig(settings{posts: dir, addr: "127.0.0.1:9000"}); c.Site.BaseURL != "http://localhost:9000" {
			t.Errorf("default base URL should follow the port of addr: %s", c.Site.BaseURL)
		}
	})
	t.Run("config", func(t *testing.T) {
		c, err := loadConfig(settings{posts: dir, config: cfgFile})
		if err != nil {
			t.Fatal(err)
		}
		if c.Site.Title != "From config" || c.Site.BaseURL != "https://config.example.com" || c.Site.Language != "km" ||
			c.Parse.Language != "km" || c.Parse.Location.String() != "Asia/Phnom_Penh" ||
			c.Site.Limit != 20 || c.MaxLimit != 100 || c.MaxAge != time.Minute || c.Site.TTL != time.Minute ||
			c.CacheBytes != 16<<20 || !slices.Equal(c.Site.Hubs, []string{"https://hub.example.com/"}) ||
			c.Debounce != 50*time.Millisecond || c.Rescan != 0 || !c.Poll || c.PollInterval != 3*time.Second || c.CORS ||
			c.Site.IDDate != "2019-03-04" || c.MetricsAddr != "127.0.0.1:9090" || c.Site.Location != c.Parse.Location ||
			c.Parse.SiteLink == nil || c.Parse.SiteLink.String() != "https://www.example.com" || c.Parse.Permalink == nil {
			t.Errorf("config values not applied: %+v", c)
		}
		if got := c.Site.Names[feed.ByCategory]["real-estate"]; got != "Property" {
			t.Errorf("the display name of category Real Estate (slug real-estate): %q", got)
		}
		if got := c.Site.Names[feed.ByLanguage]["zh-hant"]; got != "Chinese" {
			t.Errorf("the display name of language zh_Hant (key zh-hant): %q", got)
		}
	})
	t.Run("env over config, flags over env", func(t *testing.T) {
		var s settings
		s.baseURL = "https://flag.example.com"
		s.fromEnv(env(map[string]string{
			"FEEDD_BASE_URL": "https://env.example.com", "FEEDD_ADDR": "127.0.0.1:9999",
			"FEEDD_POSTS": dir, "FEEDD_CONFIG": cfgFile,
		}))
		c, err := loadConfig(s)
		if err != nil {
			t.Fatal(err)
		}
		if c.Site.BaseURL != "https://flag.example.com" || c.Addr != "127.0.0.1:9999" || c.Posts != dir || c.Site.Title != "From config" {
			t.Errorf("base %s addr %s posts %s title %s", c.Site.BaseURL, c.Addr, c.Posts, c.Site.Title)
		}
		s = settings{}
		s.fromEnv(env(map[string]string{"FEEDD_BASE_URL": "https://env.example.com", "FEEDD_POSTS": dir, "FEEDD_CONFIG": cfgFile}))
		if c, _ := loadConfig(s); c.Site.BaseURL != "https://env.example.com" {
			t.Errorf("env should beat the config file: %s", c.Site.BaseURL)
		}
	})
}

// TestHelp: -h on every subcommand exits 0 and lists its flags, with
// nothing on stderr; help lists the subcommands.
func TestHelp(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"-h"}, []string{"serve", "check", "build", "healthcheck", "version", "help", "-addr", "-base-url", "-config", "-log-format", "-log-level", "-posts", "-pprof", "-out", "FEEDD_BASE_URL"}},
		{[]string{"serve", "-h"}, []string{"-addr", "-base-url", "-config", "-log-format", "-log-level", "-posts", "-pprof"}},
		{[]string{"check", "-h"}, []string{"-config", "-posts"}},
		{[]string{"build", "-h"}, []string{"-base-url", "-config", "-out", "-posts"}},
		{[]string{"healthcheck", "-h"}, []string{"-addr", "-config", "-posts"}},
		{[]string{"version", "-h"}, nil},
		{[]string{"help"}, []string{"serve", "check", "build", "healthcheck", "version", "-addr", "-out", "-posts", "FEEDD_BASE_URL"}},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, env(nil), &stdout, &stderr)
		if code != 0 || stderr.Len() > 0 || stdout.Len() == 0 {
			t.Errorf("feedd %s: exit %d, stdout %q, stderr %q; want exit 0 and help on stdout", strings.Join(tt.args, " "), code, stdout.String(), stderr.String())
			continue
		}
		for _, f := range tt.flags {
			if !regexp.MustCompile(`(?m)(^|[\s\[])` + regexp.QuoteMeta(f) + `\b`).MatchString(stdout.String()) {
				t.Errorf("feedd %s does not show %s:\n%s", strings.Join(tt.args, " "), f, stdout.String())
			}
		}
	}
}

// TestCheckExampleConfig: feedd check accepts the repository's sample
// config, feedd.example.yaml, with the sample posts.
func TestCheckExampleConfig(t *testing.T) {
	example := filepath.Join("..", "..", "feedd.example.yaml")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", "-config", example, "-posts", filepath.Join("..", "..", "posts")}, env(nil), &stdout, &stderr)
	if code != 0 || stderr.Len() > 0 {
		t.Fatalf("feedd check -config feedd.example.yaml: exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	if !regexp.MustCompile(`(?m)^\d+ posts, 0 bad, \d+ warnings$`).MatchString(stdout.String()) {
		t.Errorf("check's summary: %s", stdout.String())
	}
}

// TestDeployExamples: the config in deploy/kubernetes.yaml's ConfigMap is
// one feedd accepts, and sets the public URL; the files the README's
// Docker command mounts exist in the repository.
func TestDeployExamples(t *testing.T) {
	manifest, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, doc := range strings.Split(string(manifest), "\n---\n") {
		var obj struct {
			Kind       string
			Data       map[string]string
			StringData map[string]string `yaml:"stringData"`
		}
		if yaml.Unmarshal([]byte(doc), &obj) != nil || obj.Data["feedd.yaml"]+obj.StringData["feedd.yaml"] == "" {
			continue
		}
		found[obj.Kind] = true
		conf := writeFile(t, filepath.Join(t.TempDir(), "feedd.yaml"), obj.Data["feedd.yaml"]+obj.StringData["feedd.yaml"])
		c, err := loadConfig(settings{posts: t.TempDir(), config: conf})
		if err != nil {
			t.Fatalf("the %s's feedd.yaml: %v", obj.Kind, err)
		}
		if c.BaseURLGuessed || strings.Contains(c.Site.BaseURL, "localhost") || c.Parse.Permalink == nil {
			t.Errorf("the %s sets no public base URL (%s) or no permalink", obj.Kind, c.Site.BaseURL)
		}
		// The serving replicas send nothing; the one sender has hooks.
		if (obj.Kind == "Secret") != (len(c.Webhooks.Hooks) > 0 && c.Webhooks.Send) {
			t.Errorf("the %s's config: %d hooks, send %v", obj.Kind, len(c.Webhooks.Hooks), c.Webhooks.Send)
		}
	}
	if !found["ConfigMap"] || !found["Secret"] {
		t.Fatalf("deploy/kubernetes.yaml has no ConfigMap and Secret with a feedd.yaml: %v", found)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	mounts := regexp.MustCompile(`-v "\$PWD/([^:"]+):`).FindAllStringSubmatch(string(readme), -1)
	if len(mounts) == 0 || !strings.Contains(string(readme), "FEEDD_BASE_URL=https://") {
		t.Fatal("the README's docker run mounts no file from the checkout, or sets no FEEDD_BASE_URL")
	}
	for _, m := range mounts {
		if _, err := os.Stat(filepath.Join("..", "..", m[1])); err != nil {
			t.Errorf("the README's docker run mounts %s: %v", m[1], err)
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env(nil), &stdout, io.Discard); code != 0 || !strings.HasPrefix(stdout.String(), "feedd ") {
		t.Errorf("version: exit %d, %q", code, stdout.String())
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.md"), "---\ntitle: Good\ndate: 2024-01-01\n---\n")
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"check", "-posts", dir}, env(nil), &stdout, io.Discard); code != 0 {
		t.Errorf("check on good posts: exit %d\n%s", code, stdout.String())
	}
	if out := stdout.String(); !strings.Contains(out, "good.md: warning: no code") ||
		!strings.Contains(out, "good.md: warning: the item links to http://localhost:8080/good, under base_url: feedd does not serve it; give the post an origin_url on the site, or set site.permalink or site.link") ||
		!strings.Contains(out, "1 posts, 0 bad, 2 warnings") {
		t.Errorf("check output: %s", out)
	}
	// With site.link (or site.permalink), links go to the site: no warning.
	conf := filepath.Join(t.TempDir(), "feedd.yaml")
	writeFile(t, conf, "site:\n  link: https://www.example.com\n")
	stdout.Reset()
	if code := run(context.Background(), []string{"check", "-posts", dir, "-config", conf}, env(nil), &stdout, io.Discard); code != 0 || strings.Contains(stdout.String(), "origin_url") {
		t.Errorf("check with site.link: exit %d\n%s", code, stdout.String())
	}
	writeFile(t, filepath.Join(dir, "bad.md"), "---\ntitle: Bad\ndate: someday\n---\n")
	stdout.Reset()
	if code := run(context.Background(), []string{"check", "-posts", dir}, env(nil), &stdout, io.Discard); code != 1 {
		t.Errorf("check with a bad post: exit %d, want 1", code)
	}
	if !strings.Contains(stdout.String(), `bad.md:3: date: unreadable date "someday"`) {
		t.Errorf("check should print path:line: reason: %s", stdout.String())
	}
	// Two posts with one code: serve keeps the path that sorts first; check
	// reports the other as bad, naming the kept one.
	dup := t.TempDir()
	writeFile(t, filepath.Join(dup, "a.md"), "---\ncode: X1\ntitle: A\ndate: 2024-01-01\n---\n")
	writeFile(t, filepath.Join(dup, "b.md"), "---\ncode: X1\ntitle: B\ndate: 2024-01-02\n---\n")
	writeFile(t, filepath.Join(dup, "c.md"), "---\ncode: X1\ntitle: C\ndate: 2024-01-02\ndraft: true\n---\n")
	stdout.Reset()
	if code := run(context.Background(), []string{"check", "-posts", dup}, env(nil), &stdout, io.Discard); code != 1 {
		t.Errorf("check with a duplicate code: exit %d, want 1\n%s", code, stdout.String())
	}
	if out := stdout.String(); !strings.Contains(out, `b.md: code "X1" is also a.md's, which is kept`) || strings.Contains(out, "c.md") || !strings.Contains(out, "3 posts, 1 bad") {
		t.Errorf("check should report b.md's code as a.md's, and not the draft: %s", out)
	}
}

// noRedirects never follows a redirect: the base URL is not on this machine.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// feeddBinary builds cmd/feedd once for the test binary's run.
func feeddBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the feedd binary; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "feedd-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "feedd")
		// Built as the test binary is (-race or not), it needs only
		// linking: its packages are in the build cache already.
		args := []string{"build", "-o", builtBin}
		if raceEnabled {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// listening reads feedd's JSON logs until they say the address it serves
// the feeds on and, unless msg is "", the URL of the line msg (where it
// serves profiles or metrics), and gives both; the rest of the logs is
// read and dropped. It fails the test if the logs end first.
func listening(t *testing.T, stderr io.Reader, msg string) (addr, url string) {
	t.Helper()
	logs := bufio.NewScanner(stderr)
	for (addr == "" || (msg != "" && url == "")) && logs.Scan() {
		var line struct{ Msg, Addr, URL string }
		if json.Unmarshal(logs.Bytes(), &line) == nil {
			switch line.Msg {
			case "feedd listening":
				addr = line.Addr
			case msg:
				url = line.URL
			}
		}
	}
	go io.Copy(io.Discard, stderr)
	if addr == "" || (msg != "" && url == "") {
		t.Fatalf("no log line with the feeds' address (%q) or %q (%q)", addr, msg, url)
	}
	return addr, url
}

// startFeedd runs the binary with args on 127.0.0.1, waits for /readyz,
// and returns its base URL and the process (killed when the test ends).
func startFeedd(t *testing.T, args ...string) (string, *feeddProcess) {
	t.Helper()
	p := runFeedd(t, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	addr, _ := listening(t, p.stderr, "")
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := noRedirects.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base, p
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("feedd did not become ready")
		}
		time.Sleep(20 * time.Millisecond) // polling /readyz; the deadline decides
	}
}

// feeddProcess is a running feedd binary.
type feeddProcess struct {
	cmd    *exec.Cmd
	stderr io.Reader // its standard error, to read
	// wait waits for the process to end (once: it may be called again).
	wait func() error
}

// feeddCommand is the feedd binary with args, run as the tests run it: a
// binary built with -race does not linger at its exit.
func feeddCommand(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(feeddBinary(t), args...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	return cmd
}

// runFeedd starts the feedd binary with args, killed when the test ends.
// Should the binary (built with -race when the tests are) report a data
// race, the test fails with the report.
func runFeedd(t *testing.T, args ...string) *feeddProcess {
	t.Helper()
	cmd := feeddCommand(t, args...)
	pr, pw := io.Pipe()
	races := &raceReports{}
	cmd.Stderr = io.MultiWriter(races, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &feeddProcess{cmd: cmd, stderr: pr, wait: sync.OnceValue(cmd.Wait)}
	t.Cleanup(func() {
		cmd.Process.Kill()
		pr.Close() // nobody reads any more
		p.wait()
		pw.Close()
		if r := races.report(); r != "" {
			t.Errorf("feedd %s reported a data race:\n%s", args[0], r)
		}
	})
	return p
}

// raceReports keeps what a process writes from its first data race report
// on.
type raceReports struct {
	mu   sync.Mutex
	tail []byte // the last bytes before a report, to find one split by writes
	buf  bytes.Buffer
}

func (r *raceReports) Write(b []byte) (int, error) {
	n := len(b)
	r.mu.Lock()
	defer r.mu.Unlock()
	const marker = "WARNING: DATA RACE"
	if r.buf.Len() == 0 {
		joined := append(r.tail, b...)
		i := bytes.Index(joined, []byte(marker))
		if i < 0 {
			r.tail = append(r.tail[:0], joined[max(0, len(joined)-len(marker)):]...)
			return n, nil
		}
		b = joined[i:]
	}
	if r.buf.Len() < 1<<20 {
		r.buf.Write(b)
	}
	return n, nil
}

func (r *raceReports) report() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// copyPosts copies the sample posts into a temporary directory.
func copyPosts(t *testing.T) string {
	t.Helper()
	posts := filepath.Join(t.TempDir(), "posts")
	if err := os.CopyFS(posts, os.DirFS("../../posts")); err != nil {
		t.Fatal(err)
	}
	return posts
}

// TestServeSamples runs the real binary on the sample posts in ../../posts,
// reads its feeds over HTTP, then stops it with SIGTERM.
func TestServeSamples(t *testing.T) {
	posts := copyPosts(t)
	base, proc := startFeedd(t, "-posts", posts, "-base-url", "https://feeds.example.com")
	client := noRedirects
	parse := func(path string) *gofeed.Feed {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		f, err := gofeed.NewParser().Parse(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return f
	}
	all := parse("/rss.xml")
	for _, it := range all.Items {
		// Bodies are rendered from the body store, never from the files.
		if it.GUID == "ART2411261158O4HJFJ" && !strings.Contains(it.Content, "Prime Minister Hun Manet meets") {
			t.Errorf("the real post's content lacks its body: %.200q", it.Content)
		}
	}
	if len(all.Items) != 10 {
		t.Errorf("/rss.xml has %d items, want the 10 published sample posts (the draft left out)", len(all.Items))
	}
	for _, it := range all.Items {
		if it.GUID == "SAMPLE-EN-DRAFT" {
			t.Errorf("the draft is served: %q", it.Title)
		}
	}
	if first, last := all.Items[0].GUID, all.Items[len(all.Items)-1].GUID; first != "samples/2024/12/no-code" || last != "ART2411261158O4HJFJ" {
		t.Errorf("first item %s, last %s; want the newest sample first and the real 2024-11-26 post last", first, last)
	}
	for path, n := range map[string]int{
		"/category/national/atom.xml": 3, "/category/business/feed.json": 3, "/category/real-estate/rss.xml": 1,
		"/category/sport/rss.xml": 1, "/category/world/rss.xml": 2, "/language/km/rss.xml": 2,
		"/language/zh/atom.xml": 1, "/language/zh-hant/feed.json": 1, "/language/en/category/business/rss.xml": 2,
	} {
		if got := len(parse(path).Items); got != n {
			t.Errorf("%s: %d items, want %d", path, got, n)
		}
	}

	// A post saved while it runs reaches the feeds by itself.
	writeFile(t, filepath.Join(posts, "samples", "live.md"), "---\ncode: LIVE-1\ntitle: Live\ncategory: Sport\ndate: 2025-01-01T00:00:00Z\n---\nJust in.\n")
	for deadline := time.Now().Add(30 * time.Second); ; {
		if f := parse("/category/sport/rss.xml"); len(f.Items) == 2 && f.Items[0].GUID == "LIVE-1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a new post did not reach /category/sport/rss.xml")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The metrics see the posts and the requests made above.
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"feedd_posts_indexed 11", "feedd_posts_bad 0", `feedd_http_requests_total{code="200",route="category"}`, "feedd_reload_duration_seconds_count", "feedd_body_store_live_bytes"} {
		if !strings.Contains(string(metricsText), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- proc.wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("feedd after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("feedd did not stop after SIGTERM")
	}
}

// TestReplicasIdentical: two processes started one after the other on the
// same posts and config give the same bytes and ETags for every document,
// in every coding, so any cache can sit in front of both.
func TestReplicasIdentical(t *testing.T) {
	a, _ := startFeedd(t, "-posts", copyPosts(t), "-base-url", "https://feeds.example.com")
	// The other replica's copy is written file by file in reverse order:
	// other discovery order, other modification times.
	reversed := filepath.Join(t.TempDir(), "posts")
	var files []string
	_ = filepath.WalkDir("../../posts", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	slices.Reverse(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(reversed, strings.TrimPrefix(f, "../../posts/"))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dst, string(data))
	}
	b, _ := startFeedd(t, "-posts", reversed, "-base-url", "https://feeds.example.com")

	get := func(base, path, coding string) (int, string, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept-Encoding", coding)
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("ETag"), body
	}
	// Every document: the index, the OPML list, and every format of every
	// feed it lists, with a second page where there is one.
	_, _, opml := get(a, "/opml.xml", "identity")
	paths := []string{"/", "/opml.xml"}
	for _, m := range regexp.MustCompile(`xmlUrl="https://feeds.example.com([^"]+)rss.xml"`).FindAllSubmatch(opml, -1) {
		for _, f := range []string{"rss.xml", "atom.xml", "feed.json", "rss.xml?limit=2&page=2"} {
			paths = append(paths, string(m[1])+f)
		}
	}
	if len(paths) < 60 {
		t.Fatalf("only %d documents to compare", len(paths))
	}
	for _, p := range paths {
		for _, coding := range []string{"identity", "gzip", "br"} {
			codeA, tagA, bodyA := get(a, p, coding)
			codeB, tagB, bodyB := get(b, p, coding)
			if codeA != codeB || tagA != tagB || !bytes.Equal(bodyA, bodyB) {
				t.Errorf("%s (%s): %d %s (%d bytes) from one replica, %d %s (%d bytes) from the other", p, coding, codeA, tagA, len(bodyA), codeB, tagB, len(bodyB))
			}
		}
	}
}

// TestBodiesInMemoryFallback: a body_dir where no file can be made (here a
// regular file) keeps the bodies in memory: feedd serves them all the same.
func TestBodiesInMemoryFallback(t *testing.T) {
	posts := copyPosts(t)
	dir := t.TempDir()
	notADir := writeFile(t, filepath.Join(dir, "file"), "x")
	cfg := writeFile(t, filepath.Join(dir, "feedd.yaml"), "feed:\n  body_dir: "+notADir+"\n")
	base, _ := startFeedd(t, "-posts", posts, "-config", cfg)
	resp, err := noRedirects.Get(base + "/rss.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := gofeed.NewParser().Parse(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range f.Items {
		found = found || (it.GUID == "ART2411261158O4HJFJ" && strings.Contains(it.Content, "Prime Minister Hun Manet meets"))
	}
	if !found {
		t.Error("the real post's body is not served with bodies in memory")
	}
	resp, err = noRedirects.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(text), "feedd_body_store_live_bytes") {
		t.Error("a body store is reported though none could be made")
	}
}

// TestBuildSameBytes: feedd build writes every document serve gives (every
// page of every feed, the index and the OPML list), each with a .gz and a
// .br, with the very bytes serve sends for each coding, and nothing on a
// non-terminal but problems.
// TestBuildWarnsOfLocalhost: a build without a base URL says its links
// point at localhost, and still builds.
func TestBuildWarnsOfLocalhost(t *testing.T) {
	var stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "out")
	if code := run(context.Background(), []string{"build", "-out", out, "-posts", copyPosts(t)}, env(nil), io.Discard, &stderr); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr.String())
	}
	if want := "feedd build: warning: no base URL is set: links say http://localhost:8080"; !strings.HasPrefix(stderr.String(), want) || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("stderr %q, want one line starting %q", stderr.String(), want)
	}
	if _, err := os.Stat(filepath.Join(out, "rss.xml.gz")); err != nil {
		t.Error(err)
	}
}

// TestRebuild: building again into the same directory leaves it as a
// fresh build would be, without touching other files: the pages and feeds
// that are gone are removed, and a file whose document is unchanged keeps
// its time (the document's Last-Modified), so that a web server's ETag and
// Last-Modified do not change.
func TestRebuild(t *testing.T) {
	posts := copyPosts(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	build := func(args ...string) {
		t.Helper()
		var stderr bytes.Buffer
		args = append([]string{"build", "-out", out, "-posts", posts, "-base-url", "https://feeds.example.com"}, args...)
		if code := run(context.Background(), args, env(nil), io.Discard, &stderr); code != 0 {
			t.Fatalf("build: exit %d: %s", code, stderr.String())
		}
	}
	build("-config", writeFile(t, filepath.Join(dir, "small.yaml"), "feed:\n  limit: 2\n"))
	page2 := filepath.Join(out, "rss.xml?page=2")
	sport := filepath.Join(out, "category", "sport")
	for _, p := range []string{page2, page2 + ".gz", page2 + ".br", filepath.Join(sport, "atom.xml")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("the first build: %v", err)
		}
	}
	st, err := os.Stat(filepath.Join(out, "rss.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// Its Last-Modified: the newest of the posts' files (copied just now),
	// to the second.
	var newest time.Time
	err = filepath.WalkDir(posts, func(p string, d fs.DirEntry, err error) error {
		if info, ierr := d.Info(); err == nil && ierr == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 || !st.ModTime().Equal(newest.Truncate(time.Second)) {
		t.Errorf("rss.xml: mode %v, time %v; want 0644 and %v", st.Mode().Perm(), st.ModTime(), newest.Truncate(time.Second))
	}
	// Others' files, and what a stopped build left.
	others := []string{filepath.Join(out, "robots.txt"), filepath.Join(out, "about", "index.html"), filepath.Join(out, "category", "notes.txt")}
	for _, p := range others {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, "not feedd's")
	}
	writeFile(t, filepath.Join(out, "category", tempPrefix+"123"), "half a document")

	// The default page size, and the only post of category Sport gone.
	if err := os.Remove(filepath.Join(posts, "samples", "2024", "12", "football-final.md")); err != nil {
		t.Fatal(err)
	}
	build()
	if _, err := os.Stat(page2); !os.IsNotExist(err) {
		t.Errorf("rss.xml?page=2 is still there after a build with one page: %v", err)
	}
	if _, err := os.Stat(sport); !os.IsNotExist(err) {
		t.Errorf("category/sport/ is still there with no post in Sport: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "category", tempPrefix+"123")); !os.IsNotExist(err) {
		t.Errorf("a stopped build's temporary file is still there: %v", err)
	}
	for _, p := range others {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a file build did not write is gone: %v", err)
		}
	}
	// Built once more from the same posts: the same file times.
	km := filepath.Join(out, "language", "km", "rss.xml.gz")
	before, err := os.Stat(km)
	if err != nil {
		t.Fatal(err)
	}
	build()
	if after, err := os.Stat(km); err != nil || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Errorf("%s: %v then %v (%v): a rebuild of the same posts changed it", km, before.ModTime(), after.ModTime(), err)
	}
}

func TestBuildSameBytes(t *testing.T) {
	posts := copyPosts(t)
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "feedd.yaml"), "feed:\n  limit: 2\n")
	writeFile(t, filepath.Join(posts, "bad.md"), "no front matter\n")
	out := filepath.Join(dir, "out")
	cmd := feeddCommand(t, "build", "-out", out, "-posts", posts, "-config", cfg, "-base-url", "https://feeds.example.com")
	stderr, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("feedd build: %v\n%s", err, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(string(stderr)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "bad.md:1: no front matter") {
		t.Errorf("build's output is not just the bad post: %q", stderr)
	}
	base, _ := startFeedd(t, "-posts", posts, "-config", cfg, "-base-url", "https://feeds.example.com")

	docs := 0
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".br") {
			return err
		}
		docs++
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, out+string(filepath.Separator)))
		target := strings.TrimSuffix(rel, "index.html")
		path, query, _ := strings.Cut(target, "?")
		u := &url.URL{Path: path, RawQuery: query}
		for coding, suffix := range map[string]string{"identity": "", "gzip": ".gz", "br": ".br"} {
			file, err := os.ReadFile(p + suffix)
			if err != nil {
				t.Errorf("%s: no %s file: %v", target, coding, err)
				continue
			}
			addr := base + u.EscapedPath()
			if query != "" {
				addr += "?" + query
			}
			req, _ := http.NewRequest(http.MethodGet, addr, nil)
			req.Header.Set("Accept-Encoding", coding)
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(body, file) {
				t.Errorf("%s (%s): serve says %d with %d bytes, build wrote %d different bytes", target, coding, resp.StatusCode, len(body), len(file))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 10 published posts in pages of 2: the feed of all posts alone has 5
	// pages in each format.
	if docs < 80 {
		t.Errorf("only %d documents built", docs)
	}
	for _, want := range []string{"index.html", "opml.xml", "rss.xml", "atom.xml?page=5", "category/national/feed.json", "language/en/category/business/rss.xml", "language/km/category/ជាតិ/atom.xml"} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Errorf("%s not built: %v", want, err)
		}
	}
}

// TestLogFormats: text or JSON by flag, at the level asked for.
func TestLogFormats(t *testing.T) {
	for _, tt := range []struct{ format, level, want, notWant string }{
		{"text", "debug", "level=DEBUG msg=debug", ""},
		{"json", "", `"msg":"info"`, `"msg":"debug"`},
		{"text", "warn", "", "msg="},
	} {
		var buf bytes.Buffer
		log, err := newLogger(&buf, tt.format, tt.level)
		if err != nil {
			t.Fatal(err)
		}
		log.Debug("debug")
		log.Info("info")
		if !strings.Contains(buf.String(), tt.want) || (tt.notWant != "" && strings.Contains(buf.String(), tt.notWant)) {
			t.Errorf("%s at %q: %q", tt.format, tt.level, buf.String())
		}
	}
}

// TestRequestLogs: at debug level, one line per request with its method,
// URI, route, status and size, and never a post's text.
func TestRequestLogs(t *testing.T) {
	stderr := runFeedd(t, "serve", "-addr", "127.0.0.1:0", "-posts", copyPosts(t), "-log-level", "debug", "-log-format", "json").stderr
	lines := make(chan map[string]any, 1000)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				m = map[string]any{"unparsed": sc.Text()}
			}
			lines <- m
		}
		close(lines)
	}()
	var base string
	var seen []map[string]any
	deadline := time.After(30 * time.Second)
	next := func() map[string]any {
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatal("feedd's log ended")
			}
			seen = append(seen, m)
			return m
		case <-deadline:
			t.Fatalf("gave up waiting in the log: %v", seen)
		}
		return nil
	}
	for base == "" {
		if m := next(); m["msg"] == "feedd listening" {
			base = "http://" + m["addr"].(string)
		}
	}
	for {
		resp, err := noRedirects.Get(base + "/rss.xml?limit=3")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case <-deadline:
			t.Fatal("feedd did not serve /rss.xml")
		case <-time.After(20 * time.Millisecond):
		}
	}
	for {
		m := next()
		if m["msg"] == "request" && m["uri"] == "/rss.xml?limit=3" && m["status"] == float64(200) {
			if m["method"] != "GET" || m["route"] != "feed" || m["bytes"].(float64) < 1000 || m["level"] != "DEBUG" {
				t.Errorf("request line %v", m)
			}
			break
		}
	}
	for _, m := range seen {
		if b, _ := json.Marshal(m); strings.Contains(string(b), "Prime Minister") || strings.Contains(string(b), "<p>") {
			t.Errorf("a post's text in the log: %s", b)
		}
	}
}

// TestHealthcheck: the health check subcommand says 0 for a running feedd
// and 1 when nothing answers.
func TestHealthcheck(t *testing.T) {
	base, _ := startFeedd(t, "-posts", copyPosts(t))
	addr := strings.TrimPrefix(base, "http://")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck", "-addr", addr}, env(nil), io.Discard, &stderr); code != 0 {
		t.Errorf("healthcheck of a running feedd: exit %d, %s", code, stderr.String())
	}
	// It takes serve's flags, so that the arguments given to serve work
	// for it; the environment's address when no flag gives one.
	serveArgs := []string{"healthcheck", "-posts", "/nowhere", "-config", "/no/feedd.yaml", "-base-url", "https://x.example", "-log-level", "debug", "-addr", addr}
	if code := run(context.Background(), serveArgs, env(nil), io.Discard, &stderr); code != 0 {
		t.Errorf("healthcheck with serve's flags: exit %d, %s", code, stderr.String())
	}
	if code := run(context.Background(), []string{"healthcheck"}, env(map[string]string{"FEEDD_ADDR": addr}), io.Discard, &stderr); code != 0 {
		t.Errorf("healthcheck with FEEDD_ADDR: exit %d, %s", code, stderr.String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()
	stderr.Reset()
	if code := run(context.Background(), []string{"healthcheck"}, env(map[string]string{"FEEDD_ADDR": free}), io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "connection refused") {
		t.Errorf("healthcheck with nothing listening: exit %d, %q", code, stderr.String())
	}
}

// TestPprof: -pprof serves Go's profiles on their own address, and the
// feeds' address does not serve them.
func TestPprof(t *testing.T) {
	stderr := runFeedd(t, "serve", "-addr", "127.0.0.1:0", "-posts", copyPosts(t), "-pprof", "127.0.0.1:0").stderr
	addr, profiles := listening(t, stderr, "serving profiles")
	resp, err := http.Get(profiles + "goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile:") {
		t.Errorf("GET %sgoroutine?debug=1: %d %.80q", profiles, resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the feeds' address answers /debug/pprof/ with %d, want 404", resp.StatusCode)
	}
}

// TestMetricsAddr: with metrics.addr, /metrics is served there and not on
// the feeds' address.
func TestMetricsAddr(t *testing.T) {
	conf := writeFile(t, filepath.Join(t.TempDir(), "feedd.yaml"), "metrics:\n  addr: 127.0.0.1:0\n")
	stderr := runFeedd(t, "serve", "-addr", "127.0.0.1:0", "-posts", copyPosts(t), "-config", conf).stderr
	addr, metricsURL := listening(t, stderr, "serving metrics")
	for _, tt := range []struct {
		url, want string
		code      int
	}{{metricsURL, "feedd_posts_indexed", 200}, {"http://" + addr + "/metrics", "not found", 404}} {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(strings.ToLower(string(body)), tt.want) {
			t.Errorf("GET %s: %d %.100q; want %d with %q", tt.url, resp.StatusCode, body, tt.code, tt.want)
		}
	}
}

// TestLocalhostWarning: serve warns that links say localhost when no base
// URL is given and others can reach it; not on loopback, nor with a base
// URL.
func TestLocalhostWarning(t *testing.T) {
	posts := t.TempDir()
	for _, tt := range []struct {
		addr, baseURL string
		warn          bool
	}{
		{":8080", "", true}, {"0.0.0.0:8080", "", true}, {"[::]:8080", "", true}, {"192.0.2.7:8080", "", true},
		{"127.0.0.1:8080", "", false}, {"localhost:8080", "", false}, {"[::1]:8080", "", false},
		{":8080", "https://feeds.example.com", false},
	} {
		c, err := loadConfig(settings{posts: posts, addr: tt.addr, baseURL: tt.baseURL})
		if err != nil {
			t.Fatal(err)
		}
		w := c.localhostWarning()
		if (w != "") != tt.warn || tt.warn && !strings.Contains(w, "http://localhost:8080") {
			t.Errorf("addr %s, base URL %q: warning %q, want one: %v", tt.addr, tt.baseURL, w, tt.warn)
		}
	}
	// The real binary, on every interface: the warning is logged.
	stderr := runFeedd(t, "serve", "-addr", ":0", "-posts", copyPosts(t)).stderr
	logs := bufio.NewScanner(stderr)
	warned := false
	for logs.Scan() {
		var line struct{ Level, Msg string }
		if json.Unmarshal(logs.Bytes(), &line) != nil {
			continue
		}
		if line.Level == "WARN" && strings.Contains(line.Msg, "no base URL is set") {
			warned = true
		}
		if line.Msg == "feedd listening" {
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	if !warned {
		t.Error("serve on :0 without a base URL logged no warning before listening")
	}
}

// TestBaseURLHost: the base URL's host is written as links and Atom ids
// want it, in lower-case ASCII, however the config spells it; an Atom id
// does not change with its spelling.
func TestBaseURLHost(t *testing.T) {
	for _, base := range []string{"https://Feeds.例え.jp:8443/news", "https://feeds.xn--r8jz45g.jp:8443/news"} {
		c, err := loadConfig(settings{posts: t.TempDir(), baseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		if c.Site.BaseURL != "https://feeds.xn--r8jz45g.jp:8443/news" {
			t.Errorf("%s: base URL %s", base, c.Site.BaseURL)
		}
		if id := c.Site.AtomID(&feed.Post{ID: "A1"}); id != "tag:feeds.xn--r8jz45g.jp,2024-01-01:A1" {
			t.Errorf("%s: Atom id %s", base, id)
		}
	}
	if _, err := loadConfig(settings{posts: t.TempDir(), baseURL: "https://exa mple.com"}); err == nil {
		t.Error("a host with a space accepted")
	}
	// A port by its service's name: the default base URL has its number.
	if c, err := loadConfig(settings{posts: t.TempDir(), addr: ":http"}); err != nil || c.Site.BaseURL != "http://localhost:80" {
		t.Errorf("addr :http: %v, %v", c, err)
	}
}

// TestWebhooksKilledInFlight: feedd is killed (SIGKILL) while a webhook
// message is in flight. After the restart the message arrives, a post
// added while feedd was down is sent, and nothing else is sent twice: the
// samples, there before the hook's first start, never.
func TestWebhooksKilledInFlight(t *testing.T) {
	var mu sync.Mutex
	var got []string // the titles, in order
	inFlight := make(chan struct{}, 1)
	release := make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		got = append(got, m.Text)
		first := len(got) == 1
		mu.Unlock()
		if first {
			inFlight <- struct{}{}
			<-release // feedd is killed meanwhile
		}
	}))
	defer receiver.Close()
	defer close(release)
	titles := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}

	dir := t.TempDir()
	posts := copyPosts(t)
	conf := writeFile(t, filepath.Join(dir, "feedd.yaml"), fmt.Sprintf(`site:
  link: https://www.example.com
webhooks:
  state: %s
  hooks:
    - name: newsroom
      url: %q
      format: slack
`, filepath.Join(dir, "webhooks.state"), receiver.URL))
	_, proc := startFeedd(t, "-posts", posts, "-config", conf)
	writeFile(t, filepath.Join(posts, "first.md"), "---\ncode: NEW-1\ntitle: First new\ndate: 2025-01-01\n---\n")
	select {
	case <-inFlight:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook message within 30 s of a new post")
	}
	if err := proc.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	proc.wait()
	writeFile(t, filepath.Join(posts, "second.md"), "---\ncode: NEW-2\ntitle: Second new\ndate: 2025-01-02\n---\n")

	startFeedd(t, "-posts", posts, "-config", conf)
	deadline := time.Now().Add(30 * time.Second)
	for len(titles()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	want := []string{"<https://www.example.com/first|First new>", "<https://www.example.com/first|First new>", "<https://www.example.com/second|Second new>"}
	if !slices.Equal(titles(), want) {
		t.Errorf("messages %q, want %q (the one in flight again, then the new post)", titles(), want)
	}
}
