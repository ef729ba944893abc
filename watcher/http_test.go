package watcher_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/render"
	"github.com/feedd/feedd/server"
	"github.com/feedd/feedd/watcher"
	"github.com/mmcdole/gofeed"
)

func testSite() *render.Site {
	return &render.Site{
		Title: "Watcher test", BaseURL: "https://feeds.example.com", Link: "https://www.example.com",
		Language: "en", Limit: 50, TTL: time.Minute,
	}
}

// newServer is the real HTTP handler for set.
func newServer(set *feed.Set) http.Handler {
	return server.New(server.Options{Site: testSite(), Set: set, Logger: feedtest.Quiet, MaxLimit: 500, MaxAge: time.Minute})
}

// serve puts the harness's set behind the real handler on loopback.
func (h *harness) serve() *httptest.Server {
	srv := httptest.NewServer(newServer(h.set))
	h.t.Cleanup(srv.Close)
	return srv
}

// noRedirects is a client that never follows a redirect: the test site's
// base URL is not on this machine.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t testing.TB, client *http.Client, url string, hdr map[string]string) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// guids fetches a feed and returns its item ids, in order.
func guids(t testing.TB, url string) []string {
	t.Helper()
	code, _, body, err := get(t, noRedirects, url, nil)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v", url, code, err)
	}
	f, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	var ids []string
	for _, it := range f.Items {
		ids = append(ids, it.GUID)
	}
	return ids
}

// TestReadyAndFuturePostEndToEnd: /readyz is 503 until the first scan is
// applied; a post dated a second or two ahead reaches /rss.xml by itself.
func TestReadyAndFuturePostEndToEnd(t *testing.T) {
	dir := newPostsDir(t)
	write(t, filepath.Join(dir, "now.md"), postFile("NOW", "now"))
	log := feedtest.Quiet
	set := feed.NewSet(feed.SetOptions{Logger: log})
	srv := httptest.NewServer(newServer(set))
	defer srv.Close()
	if code, _, _, _ := get(t, noRedirects, srv.URL+"/readyz", nil); code != 503 {
		t.Fatalf("/readyz before the first scan: %d, want 503", code)
	}
	w := watcher.New(set, watcher.Options{Dir: dir, Parse: parseOptions(), Debounce: 50 * time.Millisecond, Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	h := &harness{t: t, dir: dir, set: set, w: w}
	h.waitFor("the first scan", func(s *feed.Snapshot) bool { return s != nil })
	if code, _, _, _ := get(t, noRedirects, srv.URL+"/readyz", nil); code != 200 {
		t.Fatalf("/readyz after the first scan: %d, want 200", code)
	}

	due := time.Now().Add(time.Second).Truncate(time.Second).Add(time.Second)
	write(t, filepath.Join(dir, "soon.md"), strings.Replace(postFile("SOON", "soon"), "2024-01-01T00:00:00Z", due.UTC().Format(time.RFC3339), 1))
	h.waitFor("the future post to be read", func(s *feed.Snapshot) bool { return s.NextDue.Equal(due) })
	if time.Now().Before(due) {
		if ids := guids(t, srv.URL+"/rss.xml"); slices.Contains(ids, "SOON") {
			t.Fatalf("the post is served before its time: %v", ids)
		}
	}
	h.waitFor("the post at its time", has("NOW=now", "SOON=soon"))
	if ids := guids(t, srv.URL+"/rss.xml"); !slices.Equal(ids, []string{"SOON", "NOW"}) {
		t.Fatalf("/rss.xml after the due time: %v", ids)
	}
	if time.Now().Before(due) {
		t.Errorf("published before its time %v", due)
	}
}

// TestChurn: readers fetch feeds over HTTP while a writer creates, edits and
// deletes posts. Every response is 200 or 304 and parses with no duplicate
// ids; the final feeds match the final files exactly. A short run; see
// TestChurnSoak for a long one.
func TestChurn(t *testing.T) {
	churn(t, 200, time.Second)
}

// TestChurnSoak is TestChurn for longer, with more changes.
func TestChurnSoak(t *testing.T) {
	if os.Getenv("FEEDD_SOAK") == "" {
		t.Skip("soak test: set FEEDD_SOAK=1 (.ci/run does)")
	}
	churn(t, 20000, 30*time.Second)
}

// churn runs ops changes (or as many as fit in d) under readers.
func churn(t *testing.T, ops int, d time.Duration) {
	dir := newPostsDir(t)
	cats := []string{"Alpha", "Beta"}
	churned := func(i int) string { return filepath.Join(dir, fmt.Sprintf("s%d/p%02d.md", i%3, i)) }
	post := func(code, title, cat, date string) string {
		return "---\ncode: " + code + "\ntitle: \"" + title + "\"\ndate: " + date + "\ncategory: " + cat + "\n---\n" + title + "\n"
	}
	// One post per category that is never touched, so every feed always exists.
	for _, c := range cats {
		write(t, filepath.Join(dir, "fixed-"+c+".md"), post("FIXED-"+c, "fixed", c, "2020-01-01T00:00:00Z"))
	}
	h := startWatcher(t, dir, events, func(o *watcher.Options) { o.Debounce = 20 * time.Millisecond })
	srv := h.serve()
	paths := []string{"/rss.xml", "/atom.xml", "/feed.json", "/category/alpha/rss.xml", "/category/beta/atom.xml",
		"/category/alpha/feed.json", "/language/en/rss.xml", "/language/en/category/beta/feed.json"}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var responses atomic.Int64
	defer func() { stop.Store(true); wg.Wait() }() // readers end before the test does, even on failure
	for r := range 4 {
		wg.Go(func() {
			client := &http.Client{CheckRedirect: noRedirects.CheckRedirect}
			etags := map[string]string{}
			for i := 0; !stop.Load(); i++ {
				p := paths[(i+r)%len(paths)] + "?limit=500"
				hdr := map[string]string{}
				if e := etags[p]; e != "" && i%2 == 0 {
					hdr["If-None-Match"] = e
				}
				code, header, body, err := get(t, client, srv.URL+p, hdr)
				if err != nil {
					t.Errorf("GET %s: %v", p, err)
					return
				}
				responses.Add(1)
				switch code {
				case 304:
					continue
				case 200:
				default:
					t.Errorf("GET %s: %d %s", p, code, body)
					return
				}
				etags[p] = header.Get("ETag")
				f, err := gofeed.NewParser().ParseString(string(body))
				if err != nil {
					t.Errorf("GET %s does not parse: %v", p, err)
					return
				}
				seen := map[string]bool{}
				for _, it := range f.Items {
					if seen[it.GUID] {
						t.Errorf("GET %s: duplicate id %s", p, it.GUID)
						return
					}
					seen[it.GUID] = true
				}
			}
		})
	}

	// The writer: a model of what the files say, changed at random.
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[int]string{} // index -> "title|category"
	deadline := time.Now().Add(d)
	for op := 0; op < ops && time.Now().Before(deadline); op++ {
		i := rng.IntN(30)
		switch _, exists := model[i]; {
		case exists && rng.IntN(4) == 0:
			must(t, os.Remove(churned(i)))
			delete(model, i)
		default:
			title, cat := fmt.Sprintf("t%d", op), cats[rng.IntN(2)]
			date := fmt.Sprintf("2024-01-%02dT%02d:00:00Z", 1+i%28, op%24)
			content := post(fmt.Sprintf("C%02d", i), title, cat, date)
			if rng.IntN(2) == 0 {
				writeAtomic(t, churned(i), content)
			} else {
				write(t, churned(i), content)
			}
			model[i] = title + "|" + cat
		}
	}
	want := map[string][]string{"": {"FIXED-Alpha", "FIXED-Beta"}, "alpha": {"FIXED-Alpha"}, "beta": {"FIXED-Beta"}}
	wantTitles := []string{"FIXED-Alpha=fixed", "FIXED-Beta=fixed"}
	for i, v := range model {
		title, cat, _ := strings.Cut(v, "|")
		id := fmt.Sprintf("C%02d", i)
		want[""] = append(want[""], id)
		want[strings.ToLower(cat)] = append(want[strings.ToLower(cat)], id)
		wantTitles = append(wantTitles, id+"="+title)
	}
	h.waitFor("the final files", has(wantTitles...))
	stop.Store(true)
	wg.Wait()
	if responses.Load() < int64(len(paths)) {
		t.Errorf("only %d responses during the churn", responses.Load())
	}
	for key, ids := range want {
		p := "/rss.xml"
		if key != "" {
			p = "/category/" + key + "/atom.xml"
		}
		got := guids(t, srv.URL+p+"?limit=500")
		if key != "" { // Atom ids are tag URIs ending in the id
			for i, g := range got {
				got[i] = g[strings.LastIndex(g, ":")+1:]
			}
		}
		slices.Sort(got)
		slices.Sort(ids)
		if !slices.Equal(got, ids) {
			t.Errorf("%s holds %v, the files say %v", p, got, ids)
		}
	}
}
