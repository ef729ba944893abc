package main

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// testDuration is like the config's duration: "300s", "5m" or a whole
// number of seconds, with its own error.
type testDuration struct{ time.Duration }

func (d *testDuration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if secs, err := strconv.Atoi(n.Value); err == nil {
			d.Duration = time.Duration(secs) * time.Second
			return nil
		}
		if v, err := time.ParseDuration(n.Value); err == nil {
			d.Duration = v
			return nil
		}
		return fmt.Errorf("want a duration such as 300s or 5m, not %q", n.Value)
	}
	return errors.New("want a duration such as 300s or 5m")
}

// testConfig is shaped like feedd's config file.
type testConfig struct {
	Site struct {
		Title   string `yaml:"title"`
		BaseURL string `yaml:"base_url"`
	} `yaml:"site"`
	Feed struct {
		Limit  *int          `yaml:"limit"`
		MaxAge *testDuration `yaml:"max_age"`
		Ratio  float64       `yaml:"ratio"`
	} `yaml:"feed"`
	WebSub struct {
		Hubs []string `yaml:"hubs"`
	} `yaml:"websub"`
	Categories map[string]string `yaml:"categories"`
	Watch      struct {
		Poll bool `yaml:"poll"`
	} `yaml:"watch"`
	Untagged string
	Skipped  string `yaml:"-"`
}

const validConfig = `# feedd.yaml
site:
  title: &title My Blog
  base_url: https://example.com/blog
feed:
  limit: 20
  max_age: 5m
  ratio: 0.5
websub:
  hubs:
    - https://hub.example.com/
    - https://pubsubhubbub.appspot.com/
categories:
  go: Golang
  blog: *title
watch: {poll: true}
`

func TestDecodeConfigValid(t *testing.T) {
	var c testConfig
	lines, err := decodeConfig("feedd.yaml", []byte(validConfig), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Site.Title != "My Blog" || c.Site.BaseURL != "https://example.com/blog" {
		t.Errorf("site = %+v", c.Site)
	}
	if c.Feed.Limit == nil || *c.Feed.Limit != 20 || c.Feed.MaxAge == nil || c.Feed.MaxAge.Duration != 5*time.Minute || c.Feed.Ratio != 0.5 {
		t.Errorf("feed = %+v", c.Feed)
	}
	if want := []string{"https://hub.example.com/", "https://pubsubhubbub.appspot.com/"}; !reflect.DeepEqual(c.WebSub.Hubs, want) {
		t.Errorf("hubs = %q, want %q", c.WebSub.Hubs, want)
	}
	if want := map[string]string{"go": "Golang", "blog": "My Blog"}; !reflect.DeepEqual(c.Categories, want) {
		t.Errorf("categories = %q, want %q", c.Categories, want)
	}
	if !c.Watch.Poll {
		t.Error("watch.poll = false")
	}
	want := map[string]int{
		"site": 2, "site.title": 3, "site.base_url": 4,
		"feed": 5, "feed.limit": 6, "feed.max_age": 7, "feed.ratio": 8,
		"websub": 9, "websub.hubs": 10, "websub.hubs[0]": 11, "websub.hubs[1]": 12,
		"categories": 13, "categories.go": 14, "categories.blog": 15,
		"watch": 16, "watch.poll": 16,
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("keyLines = %v\nwant %v", lines, want)
	}
	err = configErrorAt("feedd.yaml", lines, "feed.limit", "must be at least %d", 1)
	if got, want := err.Error(), "config feedd.yaml:6: feed.limit: must be at least 1"; got != want {
		t.Errorf("configErrorAt = %q, want %q", got, want)
	}
}

func TestDecodeConfigNothing(t *testing.T) {
	for _, doc := range []string{"", "# only\n# comments\n", "---\n", "~\n"} {
		var c testConfig
		c.Site.Title = "kept"
		lines, err := decodeConfig("feedd.yaml", []byte(doc), &c)
		if err != nil || lines == nil || len(lines) != 0 || c.Site.Title != "kept" {
			t.Errorf("%q: lines %v, err %v, title %q; want an empty map, no error, title kept", doc, lines, err, c.Site.Title)
		}
	}
}

func TestDecodeConfigNull(t *testing.T) {
	doc := "site:\n  title: ~\nfeed:\n  limit: ~\n  max_age:\n  ratio: null\nwebsub:\n  hubs:\ncategories: ~\nwatch:\n"
	var c testConfig
	lines, err := decodeConfig("feedd.yaml", []byte(doc), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Feed.Limit != nil || c.Feed.MaxAge != nil || c.WebSub.Hubs != nil || c.Categories != nil || c.Site.Title != "" || c.Feed.Ratio != 0 {
		t.Errorf("nulls decoded to %+v", c)
	}
	if lines["feed.limit"] != 4 || lines["watch"] != 10 {
		t.Errorf("keyLines = %v", lines)
	}
}

// decodeErrorCases are bad config files and the one line each must give.
var decodeErrorCases = []struct{ name, doc, want string }{
	{"unknown key", "site:\n  title: x\nsitee:\n  title: y\n", "config feedd.yaml:3: sitee: unknown key"},
	{"unknown nested key", "site:\n  title: x\n\n  titel: y\n", "config feedd.yaml:4: site.titel: unknown key"},
	{"untagged field", "Untagged: x\n", "config feedd.yaml:1: Untagged: unknown key"},
	{"field tagged -", "site: {}\n-: x\n", "config feedd.yaml:2: -: unknown key"},
	{"int", "feed:\n  limit: abc\n", `config feedd.yaml:2: feed.limit: want a whole number, not "abc"`},
	{"int given a fraction", "feed:\n  limit: 1.5\n", `config feedd.yaml:2: feed.limit: want a whole number, not "1.5"`},
	{"int too big", "feed:\n  limit: 99999999999999999999\n", `config feedd.yaml:2: feed.limit: want a whole number, not "99999999999999999999"`},
	{"int given a list", "feed:\n  limit: [1]\n", "config feedd.yaml:2: feed.limit: want a whole number, not a list"},
	{"float", "feed:\n  ratio: lots\n", `config feedd.yaml:2: feed.ratio: want a number, not "lots"`},
	{"bool", "watch:\n  poll: maybe\n", `config feedd.yaml:2: watch.poll: want true or false, not "maybe"`},
	{"string given a list", "site:\n  title: [a, b]\n", "config feedd.yaml:2: site.title: want text, not a list"},
	{"string given a mapping", "site:\n  title:\n    en: x\n", "config feedd.yaml:3: site.title: want text, not a mapping"},
	{"list given a scalar", "websub:\n  hubs: https://hub.example.com/\n", `config feedd.yaml:2: websub.hubs: want a list of text, not "https://hub.example.com/"`},
	{"list given a mapping", "websub:\n  hubs: {a: b}\n", "config feedd.yaml:2: websub.hubs: want a list of text, not a mapping"},
	{"list item", "websub:\n  hubs:\n    - a\n    - [b]\n", "config feedd.yaml:4: websub.hubs[1]: want text, not a list"},
	{"map given a list", "categories:\n  - go\n", "config feedd.yaml:2: categories: want a mapping of names to text, not a list"},
	{"map given a scalar", "categories: go\n", `config feedd.yaml:1: categories: want a mapping of names to text, not "go"`},
	{"map entry", "categories:\n  go: {a: b}\n", "config feedd.yaml:2: categories.go: want text, not a mapping"},
	{"section given a scalar", "site: hello\n", `config feedd.yaml:1: site: want a mapping of keys to values, not "hello"`},
	{"duration", "feed:\n  max_age: soon\n", `config feedd.yaml:2: feed.max_age: want a duration such as 300s or 5m, not "soon"`},
	{"duration given a list", "feed:\n  max_age: [5m]\n", "config feedd.yaml:2: feed.max_age: want a duration such as 300s or 5m"},
	{"key given twice", "site:\n  title: a\nfeed:\n  limit: 1\nsite:\n  title: b\n", "config feedd.yaml:5: site: given twice (first on line 1)"},
	{"nested key given twice", "feed:\n  limit: 1\n  limit: 2\n", "config feedd.yaml:3: feed.limit: given twice (first on line 2)"},
	{"map entry given twice", "categories: {go: a, go: b}\n", "config feedd.yaml:1: categories.go: given twice (first on line 1)"},
	{"syntax", "site:\n  title: a\n  base_url: b: c\n", "config feedd.yaml: line 3: mapping values are not allowed in this context"},
	{"tab", "site:\n\ttitle: a\n", "config feedd.yaml: line 2: found character that cannot start any token"},
	{"unknown anchor", "site:\n  title: *nope\n", "config feedd.yaml: unknown anchor 'nope' referenced"},
	{"document is a list", "- a\n- b\n", "config feedd.yaml:1: want a mapping of keys to values, not a list"},
	{"document is text", "\nhello\n", `config feedd.yaml:2: want a mapping of keys to values, not "hello"`},
	{"alias of a mapping", "site: &s\n  title: a\nwatch: *s\n", "config feedd.yaml:3: watch: aliases are not allowed here"},
	{"alias of a list", "websub:\n  hubs: &h [a, b]\nsite:\n  title: *h\n", "config feedd.yaml:4: site.title: aliases are not allowed here"},
	{"alias of a bad value", "site:\n  title: &t abc\nfeed:\n  limit: *t\n", `config feedd.yaml:4: feed.limit: want a whole number, not "abc"`},
	{"alias bomb", aliasBomb(12), "config feedd.yaml:1: l0: unknown key"},
}

func TestDecodeConfigErrors(t *testing.T) {
	for _, tt := range decodeErrorCases {
		t.Run(tt.name, func(t *testing.T) {
			var c testConfig
			lines, err := decodeConfig("feedd.yaml", []byte(tt.doc), &c)
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want a *configError", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("err = %q\nwant  %q", got, tt.want)
			}
			if lines != nil {
				t.Errorf("keyLines = %v, want nil with an error", lines)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "!!") || strings.Contains(msg, "unmarshal") {
				t.Errorf("err = %q: want one line in our own words", msg)
			}
		})
	}
}

// aliasBomb is a "billion laughs": keys l0, l1, ... each a list of nine
// aliases of the one before, so that the last would expand into 9^levels.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [" + strings.Repeat("lol, ", 8) + "lol]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [%s*l%d]\n", i, i, strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 8), i-1)
	}
	return b.String()
}

func TestDecodeConfigAliasBomb(t *testing.T) {
	// Lists of lists take the first levels, so the walk gets to the first
	// alias of a list, and refuses it.
	var c struct {
		L0 []string     `yaml:"l0"`
		L1 [][]string   `yaml:"l1"`
		L2 [][][]string `yaml:"l2"`
	}
	_, err := decodeConfig("bomb.yaml", []byte(aliasBomb(12)), &c)
	if want := "config bomb.yaml:2: l1[0]: aliases are not allowed here"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestConfigErrorString(t *testing.T) {
	for _, tt := range []struct {
		e    configError
		want string
	}{
		{configError{"f.yaml", 3, "feed.limit", "bad"}, "config f.yaml:3: feed.limit: bad"},
		{configError{"f.yaml", 0, "feed.limit", "bad"}, "config f.yaml: feed.limit: bad"},
		{configError{"f.yaml", 3, "", "bad"}, "config f.yaml:3: bad"},
		{configError{"f.yaml", 0, "", "bad"}, "config f.yaml: bad"},
		{*configErrorAt("f.yaml", nil, "feed.limit", "must be at least %d", 1), "config f.yaml: feed.limit: must be at least 1"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestDecodeConfigSyntaxError(t *testing.T) {
	_, err := decodeConfig("feedd.yaml", []byte("site:\n  title: a\n  base_url: b: c\n"), &testConfig{})
	var ce *configError
	if !errors.As(err, &ce) || ce.File != "feedd.yaml" || ce.Line != 0 || ce.Key != "" || !strings.HasPrefix(ce.Msg, "line 3: ") {
		t.Errorf("err = %#v, want File feedd.yaml, Line 0, Key \"\", Msg from line 3", ce)
	}
}
