package server_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/server"
)

// newTestServer serves set over a real loopback HTTP server, with the
// fixture's site unless opt names another.
func newTestServer(t testing.TB, set *feed.Set, opt server.Options) (*server.Server, *httptest.Server) {
	t.Helper()
	opt.Set = set
	if opt.Site == nil {
		opt.Site = feedtest.Site()
	}
	if opt.Logger == nil {
		opt.Logger = feedtest.Quiet
	}
	if opt.MaxAge == 0 {
		opt.MaxAge = 300 * time.Second
	}
	s := server.New(opt)
	srv := httptest.NewUnstartedServer(s)
	// net/http logs queries with ";" (which some tests send on purpose).
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return s, srv
}

// fixtureServer serves the fixture posts (feed/testdata/posts).
func fixtureServer(t testing.TB) *httptest.Server {
	t.Helper()
	set, _ := feedtest.Load(t, "posts")
	_, srv := newTestServer(t, set, server.Options{CORS: true})
	return srv
}

// client never follows redirects (the fixture's base URL is not on this
// machine, and tests check Location themselves) and leaves
// Accept-Encoding to the tests.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{DisableCompression: true},
	Timeout:       30 * time.Second,
}

// fetch makes a request with the given headers and reads the whole
// response.
func fetch(t testing.TB, method, u string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// decode undoes a content coding.
func decode(t testing.TB, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	default:
		return body
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s body does not decode: %v", coding, err)
	}
	return out
}

// parse parses one post of front matter and body, with the fixture's
// options.
func parsePost(t testing.TB, path, front string) *feed.Post {
	t.Helper()
	p, err := parse.Post(path, []byte("---\n"+front+"\n---\n"), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
