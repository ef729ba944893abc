package feed

import (
	"fmt"
	"strings"
)

// CanonicalLanguage checks that tag is a well-formed BCP 47 language tag
// (RFC 5646, section 2.1) and returns it in its conventional case: language
// lower case, script title case, region upper case ("zh-Hant", "en-US").
// "_" is read as "-", so "en_US" is "en-US".
func CanonicalLanguage(tag string) (string, error) {
	orig := tag
	tag = strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	if tag == "" {
		return "", fmt.Errorf("empty language tag")
	}
	parts := strings.Split(tag, "-")
	for _, p := range parts {
		if p == "" || len(p) > 8 || !isAlnum(p) {
			return "", fmt.Errorf("invalid language tag %q", orig)
		}
	}
	lower := strings.ToLower(tag)
	// Private use ("x-whatever") and the grandfathered irregular tags are
	// well-formed as they are.
	if parts[0] == "x" || parts[0] == "X" {
		if len(parts) < 2 {
			return "", fmt.Errorf("invalid language tag %q", orig)
		}
		return lower, nil
	}
	if grandfathered[lower] {
		return lower, nil
	}
	out := make([]string, 0, len(parts))
	i := 0
	// language: 2-3 letters (optionally with up to three extlang subtags),
	// or 4 letters (reserved), or 5-8 letters (registered).
	if !isAlpha(parts[0]) || len(parts[0]) < 2 {
		return "", fmt.Errorf("invalid language tag %q: %q is not a language subtag", orig, parts[0])
	}
	out = append(out, strings.ToLower(parts[0]))
	i++
	if len(parts[0]) <= 3 {
		for n := 0; n < 3 && i < len(parts) && len(parts[i]) == 3 && isAlpha(parts[i]); n++ {
			out = append(out, strings.ToLower(parts[i]))
			i++
		}
	}
	if i < len(parts) && len(parts[i]) == 4 && isAlpha(parts[i]) { // script
		p := strings.ToLower(parts[i])
		out = append(out, strings.ToUpper(p[:1])+p[1:])
		i++
	}
	if i < len(parts) && ((len(parts[i]) == 2 && isAlpha(parts[i])) || (len(parts[i]) == 3 && isDigit(parts[i]))) { // region
		out = append(out, strings.ToUpper(parts[i]))
		i++
	}
	seen := map[string]bool{}
	for i < len(parts) && isVariant(parts[i]) {
		v := strings.ToLower(parts[i])
		if seen[v] {
			return "", fmt.Errorf("invalid language tag %q: variant %q repeated", orig, parts[i])
		}
		seen[v] = true
		out = append(out, v)
		i++
	}
	singletons := map[string]bool{}
	for i < len(parts) && len(parts[i]) == 1 {
		s := strings.ToLower(parts[i])
		if s == "x" {
			break
		}
		if singletons[s] {
			return "", fmt.Errorf("invalid language tag %q: extension %q repeated", orig, s)
		}
		singletons[s] = true
		out = append(out, s)
		i++
		n := 0
		for i < len(parts) && len(parts[i]) >= 2 {
			out = append(out, strings.ToLower(parts[i]))
			i++
			n++
		}
		if n == 0 {
			return "", fmt.Errorf("invalid language tag %q: empty extension %q", orig, s)
		}
	}
	if i < len(parts) && strings.EqualFold(parts[i], "x") {
		out = append(out, "x")
		i++
		if i == len(parts) {
			return "", fmt.Errorf("invalid language tag %q: empty private use", orig)
		}
		for ; i < len(parts); i++ {
			out = append(out, strings.ToLower(parts[i]))
		}
	}
	if i != len(parts) {
		return "", fmt.Errorf("invalid language tag %q: unexpected subtag %q", orig, parts[i])
	}
	return strings.Join(out, "-"), nil
}

func isVariant(p string) bool {
	return (len(p) >= 5 && len(p) <= 8) || (len(p) == 4 && p[0] >= '0' && p[0] <= '9')
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// grandfathered are the irregular tags of RFC 5646 that do not follow the
// langtag production but are well-formed.
var grandfathered = map[string]bool{
	"en-gb-oed": true, "i-ami": true, "i-bnn": true, "i-default": true,
	"i-enochian": true, "i-hak": true, "i-klingon": true, "i-lux": true,
	"i-mingo": true, "i-navajo": true, "i-pwn": true, "i-tao": true,
	"i-tay": true, "i-tsu": true, "sgn-be-fr": true, "sgn-be-nl": true,
	"sgn-ch-de": true,
}
