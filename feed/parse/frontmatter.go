package parse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// splitFrontMatter separates the YAML between the opening "---" line and
// the closing "---" (or "...") line from the Markdown body. bodyLine is the
// body's first line number.
func splitFrontMatter(data []byte) (front, body []byte, bodyLine int, err error) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if string(bytes.TrimRight(line, " \t\r")) != "---" {
		return nil, nil, 0, badLine(1, "no front matter: the file must start with a \"---\" line")
	}
	start := len(line) + 1
	n := 2
	for off := start; off < len(data); n++ {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		l := string(bytes.TrimRight(data[off:next], " \t\r\n"))
		if l == "---" || l == "..." {
			return data[start:off], data[next:], n + 1, nil
		}
		off = next
	}
	return nil, nil, 0, badLine(1, "front matter not closed: no \"---\" line after it")
}

// frontMatter is the front matter's mapping, read key by key so that
// errors carry the file's line, and aliases are followed only for the keys
// a post uses (an alias bomb costs nothing).
type frontMatter struct {
	keys map[string]*yaml.Node
}

// frontLine is the file line before the YAML's first line (the "---").
const frontLine = 1

func readFrontMatter(src []byte) (*frontMatter, error) {
	if fm, ok := readSimpleFrontMatter(src); ok {
		return fm, nil
	}
	return readYAMLFrontMatter(src)
}

// readYAMLFrontMatter reads any front matter, with yaml.v3.
func readYAMLFrontMatter(src []byte) (*frontMatter, error) {
	fm := &frontMatter{keys: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, yamlSyntaxError(src, err)
	}
	if len(doc.Content) == 0 {
		return fm, nil // empty front matter: "missing title" follows
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, badLine(root.Line+frontLine, "front matter is not a mapping of keys to values")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if _, dup := fm.keys[k.Value]; dup {
			return nil, badLine(k.Line+frontLine, "key %q appears twice", k.Value)
		}
		fm.keys[k.Value] = v
	}
	return fm, nil
}

// yamlSyntaxError gives a syntax error in src its file line: the first
// line at which the front matter up to it already fails the same way.
// yaml.v3 reports syntax errors only as text ("yaml: line N: what"), and
// its line is not always that one: its parser's errors count lines from
// 0 and name none on the first, and an unknown alias names no line at
// all. Front matter too large to search that way takes yaml.v3's line.
func yamlSyntaxError(src []byte, err error) error {
	line, problem := yamlProblem(err)
	if n, ok := firstFailingLine(src, problem); ok {
		line = n
	}
	return badLine(max(line, 1)+frontLine, "YAML error: %s", problem)
}

// yamlProblem splits a yaml.v3 error into the line it names (0 for none)
// and what went wrong.
func yamlProblem(err error) (line int, problem string) {
	problem = strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", "; ")
	if _, scanErr := fmt.Sscanf(problem, "line %d:", &line); scanErr == nil {
		_, problem, _ = strings.Cut(problem, ": ")
	}
	return line, problem
}

// maxErrorSearch bounds the front matter firstFailingLine parses again,
// once per line, to find where an error is.
const maxErrorSearch = 16 << 10

// firstFailingLine is the number of the first line of src such that src
// up to that line fails to parse with problem.
func firstFailingLine(src []byte, problem string) (int, bool) {
	if len(src) > maxErrorSearch || bytes.Count(src, []byte("\n")) > 256 {
		return 0, false
	}
	n, end := 0, 0
	for line := range bytes.Lines(src) {
		n++
		end += len(line)
		var doc yaml.Node
		if err := yaml.Unmarshal(src[:end], &doc); err != nil {
			if _, p := yamlProblem(err); p == problem {
				return n, true
			}
		}
	}
	return 0, false
}

func (fm *frontMatter) get(key string) (*yaml.Node, bool) {
	v, ok := fm.keys[key]
	return v, ok
}

func (fm *frontMatter) line(n *yaml.Node) int { return n.Line + frontLine }

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

// scalar reads a single value as text; null is "".
func (fm *frontMatter) scalar(n *yaml.Node) (string, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		return "", errors.New("want a single value, not a list or mapping")
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

// list reads one value or a list of values.
func (fm *frontMatter) list(n *yaml.Node) ([]string, error) {
	n = deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		s, err := fm.scalar(n)
		if s == "" {
			return nil, err
		}
		return []string{s}, err
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			s, err := fm.scalar(c)
			if err != nil {
				return nil, errors.New("want a list of single values")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errors.New("want a value or a list of values, not a mapping")
}

func (fm *frontMatter) boolean(n *yaml.Node) (bool, error) {
	s, err := fm.scalar(n)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, not %q", s)
}

func (fm *frontMatter) date(n *yaml.Node, loc *time.Location) (time.Time, error) {
	s, err := fm.scalar(n)
	if err != nil {
		return time.Time{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	return Date(s, loc)
}
