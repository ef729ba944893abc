package text_test

import (
	"testing"

	"github.com/feedd/feedd/feed/text"
)

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"NATIONAL":          "national",
		"Real Estate":       "real-estate",
		"  Real   Estate  ": "real-estate",
		"Arts & Culture":    "arts-culture",
		"covid-19":          "covid-19",
		"ជាតិ":              "ជាតិ", // Khmer: letters and combining marks kept whole
		"សេដ្ឋកិច្ច":        "សេដ្ឋកិច្ច",
		"国际 新闻":             "国际-新闻",
		"Café/Bar":          "café-bar",
		"--x--":             "x",
		"Ann Writer":        "ann-writer",
		"!!!":               "",
	}
	for in, want := range tests {
		if got := text.Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestXMLSafe(t *testing.T) {
	in := "a\x00b\x01c\td\ne\rf\x7fg\u0085h\u009fi\ufffej\uffffk\ufdd0l\U0001fffem\u2028n\xffo\U0001F600p é"
	if got, want := text.XMLSafe(in), "abc\td\ne\rfghijklm\u2028no\U0001F600p é"; got != want {
		t.Errorf("XMLSafe = %q, want %q", got, want)
	}
	if s := "plain text, ខ្មែរ, 中文"; text.XMLSafe(s) != s {
		t.Error("XMLSafe changed clean text")
	}
}
