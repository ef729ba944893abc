package feed_test

import (
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
)

// TestUnsafeURLsDropped: links and images whose URL would run code or embed
// data lose the URL and keep their text.
func TestUnsafeURLsDropped(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{"[click](javascript:alert(1))", "<p>click</p>"},
		{"[click](JavaScript:alert(1))", "<p>click</p>"},
		{"[click](<java\tscript:alert(1)>)", "<p>click</p>"},
		{"[click]( vbscript:msgbox)", "<p>click</p>"},
		{"[see *this*](data:text/html;base64,PHNjcmlwdD4=)", "<p>see <em>this</em></p>"},
		{"![a chart](data:image/png;base64,iVBORw0KGgo=)", "<p>a chart</p>"},
		{"![](file:///etc/passwd)", ""},
		{"<javascript:alert(1)>", "<p>javascript:alert(1)</p>"},
		{"[ok](https://example.org/a) and [rel](b)", `<p><a href="https://example.org/a">ok</a> and <a href="https://feeds.example.com/news/b">rel</a></p>`},
		{"[proto](//cdn.example.org/x) ![i](//cdn.example.org/i.png)", `<p><a href="https://cdn.example.org/x">proto</a> <img src="https://cdn.example.org/i.png" alt="i"></p>`},
		{"[mail](mailto:desk@example.org)", `<p><a href="mailto:desk@example.org">mail</a></p>`},
	}
	for _, tt := range tests {
		p, err := feed.Parse("news/x.md", post("title: T\ndate: 2024-01-01\ndescription: s", tt.body), time.Time{}, testParseOptions())
		if err != nil {
			t.Fatal(err)
		}
		want := tt.want
		if want == "" {
			want = "<p>s</p>" // nothing left: the summary stands in
		}
		if strings.TrimSpace(p.Content) != want {
			t.Errorf("%q rendered as %q, want %q", tt.body, p.Content, want)
		}
	}
}

// TestJSONFeedSafeInScript: no field can end a <script> element that a page
// inlines a JSON Feed in.
func TestJSONFeedSafeInScript(t *testing.T) {
	srv, _ := conformanceServer(t)
	_, body := fetch(t, "GET", srv.URL+"/feed.json?limit=500", nil)
	if !strings.Contains(string(body), `\u003c/script\u003e`) {
		t.Fatal("the corpus should hold </script> in a JSON field")
	}
	if strings.Contains(strings.ToLower(string(body)), "</script") || strings.Contains(string(body), "<!--") {
		t.Error("a JSON Feed holds </script> or <!-- as is")
	}
}
