package main

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// configError is a bad config value: the file, the line (0 if unknown), the
// dotted key ("feed.limit", "websub.hubs[1]"; "" for the whole file) and
// what is wrong.
type configError struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error is "config FILE:LINE: KEY: MSG", without ":LINE" when the line is
// unknown and without "KEY: " when there is no key.
func (e *configError) Error() string {
	s := "config " + e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		s += ": " + e.Key
	}
	return s + ": " + e.Msg
}

// configErrorAt is an error about key at its line in lines, from decodeConfig.
func configErrorAt(file string, lines map[string]int, key, format string, args ...any) *configError {
	return &configError{File: file, Line: lines[key], Key: key, Msg: fmt.Sprintf(format, args...)}
}

// decodeConfig decodes data (the file named name) into v, a pointer to a
// struct whose fields carry `yaml:"name"` tags, refusing what the struct
// does not describe. It returns the line of each dotted key found, and of
// each list item as "key[i]". A null leaves a value as it was.
func decodeConfig(name string, data []byte, v any) (keyLines map[string]int, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil { // yaml tells syntax errors only in words
		return nil, &configError{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	d := &configDecoder{file: name, lines: map[string]int{}}
	if len(doc.Content) > 0 {
		if err := d.decodeValue(doc.Content[0], reflect.ValueOf(v).Elem(), ""); err != nil {
			return nil, err
		}
	}
	return d.lines, nil
}

// configDecoder walks a config file's nodes along a Go type.
type configDecoder struct {
	file  string
	lines map[string]int // line of each dotted key
}

// fail is an error about key at node n's line.
func (d *configDecoder) fail(n *yaml.Node, key, format string, args ...any) error {
	return &configError{File: d.file, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// mismatch says that node n, at key, is not what type t wants.
func (d *configDecoder) mismatch(n *yaml.Node, t reflect.Type, key string) error {
	got := map[yaml.Kind]string{yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping"}[n.Kind]
	if n.Kind == yaml.ScalarNode {
		got = strconv.Quote(n.Value)
	}
	want, _ := typeWords(t)
	return d.fail(n, key, "want %s, not %s", want, got)
}

// decodeValue decodes node n, at key, into v: pointers are allocated, a
// yaml.Unmarshaler decodes itself, structs, maps and lists are walked, and
// yaml decodes plain values.
func (d *configDecoder) decodeValue(n *yaml.Node, v reflect.Value, key string) error {
	n, err := d.follow(n, key)
	if err != nil || n.ShortTag() == "!!null" {
		return err
	}
	if v.Kind() == reflect.Pointer {
		v.Set(reflect.New(v.Type().Elem()))
		return d.decodeValue(n, v.Elem(), key)
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			return d.fail(n, key, "%v", err) // the type's own words
		}
		return nil
	}
	switch k := v.Kind(); {
	case k == reflect.Struct || k == reflect.Map:
		if n.Kind == yaml.MappingNode {
			return d.decodeMapping(n, v, key)
		}
	case k == reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			return d.decodeList(n, v, key)
		}
	case k >= reflect.Int && k <= reflect.Uintptr && n.ShortTag() == "!!float":
		// refused, not cut to a whole number as yaml would
	case n.Kind == yaml.ScalarNode && n.Decode(v.Addr().Interface()) == nil:
		return nil
	}
	return d.mismatch(n, v.Type(), key) // not yaml's words, which name Go types
}

// follow resolves an alias to the plain value it names, at the alias's line.
// Aliases of lists and mappings, which can blow up, are refused.
func (d *configDecoder) follow(n *yaml.Node, key string) (*yaml.Node, error) {
	if n.Kind != yaml.AliasNode {
		return n, nil
	}
	if n.Alias == nil || n.Alias.Kind != yaml.ScalarNode {
		return nil, d.fail(n, key, "aliases are not allowed here")
	}
	value := *n.Alias
	value.Line = n.Line
	return &value, nil
}

// decodeMapping decodes mapping n into struct or map v, noting the line of
// each key and refusing a key given twice.
func (d *configDecoder) decodeMapping(n *yaml.Node, v reflect.Value, key string) error {
	if v.Kind() == reflect.Map {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(n.Content)/2))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := d.follow(n.Content[i], key)
		if err != nil {
			return err
		}
		path := strings.TrimPrefix(key+"."+k.Value, ".")
		if line, ok := d.lines[path]; ok {
			return d.fail(k, path, "given twice (first on line %d)", line)
		}
		d.lines[path] = k.Line
		if err := d.decodeEntry(k, n.Content[i+1], v, path); err != nil {
			return err
		}
	}
	return nil
}

// decodeEntry decodes key k and its value val, at path, into the field of
// struct v that k names by its yaml tag (fields untagged, tagged "-" or
// unexported have none), or into an entry of map v.
func (d *configDecoder) decodeEntry(k, val *yaml.Node, v reflect.Value, path string) error {
	if v.Kind() == reflect.Struct {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if f.IsExported() && name != "" && name != "-" && name == k.Value {
				return d.decodeValue(val, v.Field(i), path)
			}
		}
		return d.fail(k, path, "unknown key")
	}
	name, elem := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
	if err := d.decodeValue(k, name, path); err != nil {
		return err
	}
	if err := d.decodeValue(val, elem, path); err != nil {
		return err
	}
	v.SetMapIndex(name, elem)
	return nil
}

// decodeList decodes sequence n into a new slice, set in v.
func (d *configDecoder) decodeList(n *yaml.Node, v reflect.Value, key string) error {
	v.Set(reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content)))
	for i, item := range n.Content {
		path := key + "[" + strconv.Itoa(i) + "]"
		d.lines[path] = item.Line
		if err := d.decodeValue(item, v.Index(i), path); err != nil {
			return err
		}
	}
	return nil
}

// typeWords says what a value of type t is ("a whole number") and what
// values of it are ("whole numbers"), for "want ...".
func typeWords(t reflect.Type) (one, many string) {
	switch k := t.Kind(); {
	case k == reflect.Pointer:
		return typeWords(t.Elem())
	case reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()):
		return "a " + t.Name(), t.Name() + " values"
	case k == reflect.Struct:
		return "a mapping of keys to values", "mappings of keys to values"
	case k == reflect.Slice:
		_, items := typeWords(t.Elem())
		return "a list of " + items, "lists of " + items
	case k == reflect.Map:
		_, items := typeWords(t.Elem())
		return "a mapping of names to " + items, "mappings of names to " + items
	case k == reflect.String:
		return "text", "text"
	case k == reflect.Bool:
		return "true or false", "true or false values"
	case k == reflect.Float32 || k == reflect.Float64:
		return "a number", "numbers"
	case k >= reflect.Int && k <= reflect.Uintptr:
		return "a whole number", "whole numbers"
	}
	return t.String(), t.String() + " values"
}
