// Package text holds the rules for the text of posts: the characters a
// feed may carry (XMLSafe), one-line plain text, summaries cut at a word,
// slugs, and Markdown bodies rendered to sanitised HTML with absolute
// URLs. It knows nothing of posts or feeds: feed and parse apply it.
package text

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slug turns a name (of a category, an author) into the form used in URLs: lower case, every
// run of characters other than Unicode letters, combining marks and digits
// replaced by one "-", trimmed of "-" at both ends. "Real Estate" becomes
// "real-estate"; Khmer and Chinese names keep their letters.
func Slug(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.Is(unicode.M, r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// isXMLChar reports whether r may stand in a feed: allowed by XML 1.0 and
// not among the characters it discourages (DEL and the C1 controls,
// Unicode noncharacters), which are invisible junk in news text and upset
// some validators and readers.
func isXMLChar(r rune) bool {
	switch {
	case r == 0x09 || r == 0x0A || r == 0x0D:
		return true
	case r < 0x20, r >= 0x7F && r <= 0x9F:
		return false
	case r >= 0xD800 && r <= 0xDFFF: // surrogates: never valid on their own
		return false
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE: // noncharacters
		return false
	}
	return r <= 0x10FFFF
}

// XMLSafe removes the characters that XML 1.0 forbids or discourages (C0
// and C1 controls but tab and newlines, DEL, noncharacters such as U+FFFE,
// and anything that is not valid UTF-8), so that any field can be written
// into a well-formed feed.
func XMLSafe(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !isXMLChar(r) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !(r == utf8.RuneError && n == 1) && isXMLChar(r) {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// PlainText makes a one-line plain-text field: XML-illegal characters
// removed, every run of white space folded into one space, trimmed.
func PlainText(s string) string {
	return strings.Join(strings.Fields(XMLSafe(s)), " ")
}

// Truncate cuts s to at most max characters, at a word boundary where
// there is one, and marks the cut with an ellipsis.
func Truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut := 0
	for i := range s {
		if cut == max {
			cut = i
			break
		}
		cut++
	}
	head := s[:cut]
	if sp := strings.LastIndexByte(head, ' '); sp > 0 {
		head = head[:sp]
	}
	return strings.TrimRight(head, " ,;:.-–—") + "…"
}

// EscapePath percent-encodes each segment of a "/"-separated path (a
// file's path, an id) for a URL, keeping its slashes.
func EscapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
