package parse

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// sameFrontMatter says how the fast reader's result differs from
// yaml.v3's, "" when it does not: the same keys, each with the same value,
// null or not, on the same line.
func sameFrontMatter(fast, slow *frontMatter) string {
	if len(fast.keys) != len(slow.keys) {
		return "different keys"
	}
	for k, f := range fast.keys {
		s, ok := slow.keys[k]
		switch {
		case !ok:
			return "key " + k + " only in the fast reader's"
		case s.Kind != yaml.ScalarNode:
			return "key " + k + ": yaml.v3 reads a list, mapping or alias"
		case (f.Tag == "!!null") != (s.Tag == "!!null"):
			return "key " + k + ": null in one only (yaml.v3: " + s.Tag + ")"
		case f.Tag != "!!null" && f.Value != s.Value:
			return "key " + k + ": " + f.Value + " against " + s.Value
		case f.Line != s.Line:
			return "key " + k + ": another line"
		}
	}
	return ""
}

// FuzzSimpleFrontMatter: whatever the fast reader accepts, yaml.v3 reads
// the same way. .ci/run fuzzes it; testdata/fuzz/FuzzSimpleFrontMatter
// holds more seeds.
//
//	go test ./feed/parse -run '^$' -fuzz '^FuzzSimpleFrontMatter$' -fuzztime 30s
func FuzzSimpleFrontMatter(f *testing.F) {
	for _, seed := range simpleCases {
		f.Add(seed.src)
	}
	for _, glob := range []string{"../../posts/*.md", "../../posts/samples/*/*/*.md", "../testdata/posts/*.md", "../testdata/awkward/*.md"} {
		posts, _ := filepath.Glob(glob)
		if len(posts) == 0 {
			f.Fatalf("no seed posts at %s", glob)
		}
		for _, p := range posts {
			if data, err := os.ReadFile(p); err == nil {
				if front, _, _, err := splitFrontMatter(data); err == nil {
					f.Add(string(front))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		fast, ok := readSimpleFrontMatter([]byte(src))
		if !ok {
			return
		}
		slow, err := readYAMLFrontMatter([]byte(src))
		if err != nil {
			t.Fatalf("%q: the fast reader accepts what yaml.v3 refuses: %v", src, err)
		}
		if d := sameFrontMatter(fast, slow); d != "" {
			t.Fatalf("%q: %s", src, d)
		}
	})
}

var simpleCases = []struct {
	src  string
	fast bool // the fast reader takes it
}{
	{"title: \"Officials on this investment\"\ncode: \"ART1\"\ndate: 2020-05-25T02:53:09.500Z\n", true},
	{"layout: post\ntitle: Plain title, with a comma\nimage: https://cdn.example.com/a.jpg\n", true},
	{"title: សួស្តី ពិភពលោក\ncategory: 国内新闻\r\nlanguage: km\r\n", true},
	{"draft:\npublished: ~\ntitle: C# and Q&A\n\n  \n", true},
	{"title: \"He said: 'yes' # not a comment\"\n", true},
	{"", true},
	{"title: a # comment\n", false},
	{"title: 'single'\n", false},
	{"title: \"esc\\\"aped\"\n", false},
	{"title: \"two\" \"strings\"\n", false},
	{"title: - dash\n", false},
	{"title: a: b\n", false},
	{"title: >\n  folded\n", false},
	{"title: one\n  continued\n", false},
	{"tags:\n  - a\n", false},
	{"title: x\ntitle: y\n", false},
	{"title:x\n", false},
	{"title: tab\there\n", false},
	{"# comment\ntitle: x\n", false},
	{"title: *alias\n", false},
	{"title: ends:\n", false},
	{"- a\n", false},
	{"title: \u2028\n", false},
}

// TestSimpleFrontMatter: the fast reader takes the front matter posts are
// written with (quoted or plain values, any script, CRLF), leaves the rest
// to yaml.v3, and reads what it takes as yaml.v3 does.
func TestSimpleFrontMatter(t *testing.T) {
	for _, c := range simpleCases {
		fast, ok := readSimpleFrontMatter([]byte(c.src))
		if ok != c.fast {
			t.Errorf("%q: taken %v, want %v", c.src, ok, c.fast)
			continue
		}
		if !ok {
			continue
		}
		slow, err := readYAMLFrontMatter([]byte(c.src))
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if d := sameFrontMatter(fast, slow); d != "" {
			t.Errorf("%q: %s", c.src, d)
		}
	}
}

// BenchmarkFrontMatter: reading the sample post's front matter with the
// small reader (what nearly every post takes) and with yaml.v3 (what the
// rest take): the measure readSimpleFrontMatter's doc comment cites.
//
//	go test ./feed/parse -run '^$' -bench FrontMatter -benchmem
func BenchmarkFrontMatter(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "posts", "000_9998e3ab84582ced.md"))
	if err != nil {
		b.Fatal(err)
	}
	front, _, _, err := splitFrontMatter(data)
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := readSimpleFrontMatter(front); !ok {
		b.Fatal("the small reader does not take the sample post")
	}
	b.Run("simple", func(b *testing.B) {
		b.SetBytes(int64(len(front)))
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := readSimpleFrontMatter(front); !ok {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("yaml", func(b *testing.B) {
		b.SetBytes(int64(len(front)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := readYAMLFrontMatter(front); err != nil {
				b.Fatal(err)
			}
		}
	})
}
