package parse

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// readSimpleFrontMatter reads front matter that is only lines of
// `key: value`, each value a plain scalar or a double-quoted string
// without escapes, as nearly every post's is, several times faster than
// yaml.v3, which would otherwise be most of what a start-up scan (bodies
// deferred) spends on a post: BenchmarkFrontMatter measures both readers
// on the sample post ("simple" and "yaml"), BenchmarkParse/deferred the
// whole parse. It reports false for anything else (comments, lists,
// block scalars, other quoting, a key given twice, a character YAML
// treats specially), and readFrontMatter then uses yaml.v3: so it never
// decides differently, which FuzzSimpleFrontMatter checks against
// yaml.v3.
func readSimpleFrontMatter(src []byte) (*frontMatter, bool) {
	n := bytes.Count(src, []byte("\n")) + 1
	fm := &frontMatter{keys: make(map[string]*yaml.Node, n)}
	nodes := make([]yaml.Node, 0, n)
	i := 0
	for line := range bytes.Lines(src) {
		i++
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(bytes.TrimRight(line, " ")) == 0 {
			continue
		}
		key, node, ok := simpleLine(line, i)
		if !ok {
			return nil, false
		}
		if _, dup := fm.keys[key]; dup {
			return nil, false
		}
		nodes = append(nodes, node)
		fm.keys[key] = &nodes[len(nodes)-1]
	}
	return fm, true
}

// simpleLine reads `key: value` on line number n.
func simpleLine(line []byte, n int) (string, yaml.Node, bool) {
	colon := bytes.IndexByte(line, ':')
	// YAML takes a plain key of at most 1024 characters (yaml.v3 refuses
	// a longer one); such a key is left to it.
	if colon < 1 || colon > 1000 || !simpleText(line) {
		return "", yaml.Node{}, false
	}
	key := line[:colon]
	for i, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' && i > 0) {
			return "", yaml.Node{}, false
		}
	}
	value := line[colon+1:]
	if len(value) > 0 && value[0] != ' ' {
		return "", yaml.Node{}, false // "a:b" is one plain scalar, not a key
	}
	value = bytes.Trim(value, " ")
	node := yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: n, Column: colon + 3}
	switch {
	case len(value) == 0:
		node.Tag = "!!null"
		node.Column = 0
	case value[0] == '"':
		inner := value[1:]
		end := bytes.IndexByte(inner, '"')
		if end < 0 || end != len(inner)-1 || bytes.IndexByte(inner, '\\') >= 0 {
			return "", yaml.Node{}, false
		}
		node.Style = yaml.DoubleQuotedStyle
		node.Value = string(inner[:end])
	default:
		// A plain scalar: not starting with an indicator, without ": " or
		// " #" inside, not ending with ":".
		if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", value[0]) >= 0 ||
			bytes.Contains(value, []byte(": ")) || bytes.Contains(value, []byte(" #")) ||
			value[len(value)-1] == ':' {
			return "", yaml.Node{}, false
		}
		node.Value = string(value)
		switch node.Value {
		case "~", "null", "Null", "NULL":
			node.Tag = "!!null"
		}
	}
	return string(key), node, true
}

// simpleText says whether line holds only characters that YAML gives no
// meaning beyond themselves: no tab or other control character, no line
// break but "\n", no byte-order mark, nothing that is not UTF-8.
func simpleText(line []byte) bool {
	for i := 0; i < len(line); {
		c := line[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == 0x85, r == 0x2028, r == 0x2029, r == 0xfeff,
			r >= 0x80 && r < 0xa0, r >= 0xd800 && r < 0xe000, r == 0xfffe, r == 0xffff:
			return false
		}
		i += size
	}
	return true
}
