package parse_test

import (
	"strings"
	"testing"
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
		{"[ok](https://example.org/a) and [rel](b)", `<p><a href="https://example.org/a">ok</a> and <a href="https://www.example.com/news/b">rel</a></p>`},
		{"[proto](//cdn.example.org/x) ![i](//cdn.example.org/i.png)", `<p><a href="https://cdn.example.org/x">proto</a> <img src="https://cdn.example.org/i.png" alt="i"></p>`},
		{"[mail](mailto:desk@example.org)", `<p><a href="mailto:desk@example.org">mail</a></p>`},
	}
	for _, tt := range tests {
		p := mustParseBody(t, "news/x.md", "title: T\ndate: 2024-01-01\ndescription: s", tt.body)
		html, err := p.HTML()
		if err != nil {
			t.Fatal(err)
		}
		want := tt.want
		if want == "" {
			want = "<p>s</p>" // nothing left: the summary stands in
		}
		if strings.TrimSpace(html) != want {
			t.Errorf("%q rendered as %q, want %q", tt.body, html, want)
		}
	}
}
