package webhooks_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/webhooks"
)

// received is one request a receiver got.
type received struct {
	At     time.Time
	Header http.Header
	Body   []byte
}

// receiver is a real HTTP server standing in for Slack, Discord or a
// service: it records each request and answers as answer says for the
// n-th (from 0).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter)
}

// newReceiverHandler serves handler on loopback until the test ends and
// gives its URL.
func newReceiverHandler(tb testing.TB, handler http.Handler) string {
	srv := httptest.NewServer(handler)
	tb.Cleanup(srv.Close)
	return srv.URL
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, received{time.Now(), req.Header.Clone(), body})
		r.mu.Unlock()
		if r.answer != nil {
			r.answer(n, w)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

// requests are the requests so far.
func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// wait waits until the receiver has n requests (failing after 20 s) and
// returns them.
func (r *receiver) wait(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := r.requests()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests after 20 s, want %d", len(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// post parses a post of the fixture's site.
func post(t *testing.T, path, front string) *feed.Post {
	t.Helper()
	p, err := parse.Post(path, []byte("---\n"+front+"\n---\nThe body of "+path+".\n"), time.Time{}, feedtest.ParseOptions())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// numbered is post number i, in category national, dated i minutes
// after 2025-01-01.
func numbered(t *testing.T, i int) *feed.Post {
	return post(t, fmt.Sprintf("p%03d.md", i), fmt.Sprintf("code: P%03d\ntitle: Post %d\ncategory: National\ndate: %s\ndescription: Summary %d",
		i, i, time.Date(2025, 1, 1, 0, i, 0, 0, time.UTC).Format(time.RFC3339), i))
}

func hookFor(t testing.TB, name, url, dir string, f webhooks.Format) webhooks.Hook {
	k, ok := feed.ParseDir(dir)
	if !ok {
		t.Fatalf("%s names no feed", dir)
	}
	return webhooks.Hook{Name: name, URL: url, Feed: k, Format: f, Secret: secret}
}

var (
	secretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secret, _  = webhooks.ParseSecret(secretText)
)

// start opens a sender on set with the state file and hooks, with quick
// retries, and runs it until the test ends (or stop is called).
func start(t *testing.T, set *feed.Set, stateFile string, hooks ...webhooks.Hook) (s *webhooks.Sender, stop func()) {
	t.Helper()
	s, err := webhooks.Open(set, feedtest.Site(), webhooks.Options{
		State: stateFile, Hooks: hooks, FirstRetry: 20 * time.Millisecond, MaxRetry: 200 * time.Millisecond,
		Interval: time.Millisecond, Logger: feedtest.Quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	return s, stop
}

// TestNewPostsOnce: a hook's first start records its feed's posts and
// sends nothing; a new post in its feed is sent once; an edit, a post in
// another feed, and a post that leaves the feed and comes back send
// nothing.
func TestNewPostsOnce(t *testing.T) {
	r := newReceiver(t, nil)
	set := feedtest.NewSet()
	set.Apply([]*feed.Post{numbered(t, 1), numbered(t, 2)}, nil)
	start(t, set, filepath.Join(t.TempDir(), "webhooks.state"), hookFor(t, "national", r.URL, "/category/national/", webhooks.JSON))

	set.Apply([]*feed.Post{numbered(t, 3)}, nil) // new
	edited := numbered(t, 3)
	edited.Title = "Post 3, corrected"
	set.Apply([]*feed.Post{edited}, nil)                                                                          // an edit
	set.Apply([]*feed.Post{post(t, "sport.md", "code: S1\ntitle: Goal\ncategory: Sport\ndate: 2025-01-02")}, nil) // another feed
	set.Apply(nil, []string{"p001.md"})                                                                           // leaves
	set.Apply([]*feed.Post{numbered(t, 1)}, nil)                                                                  // and comes back
	set.Apply([]*feed.Post{numbered(t, 4)}, nil)                                                                  // new
	got := r.wait(t, 2)
	var ids []string
	for _, g := range got {
		var m struct{ Items []struct{ ID string } }
		if err := json.Unmarshal(g.Body, &m); err != nil {
			t.Fatal(err)
		}
		for _, it := range m.Items {
			ids = append(ids, it.ID)
		}
	}
	if strings.Join(ids, ",") != "P003,P004" {
		t.Errorf("sent %q, want P003 then P004 only", ids)
	}
}

// TestSlackPayload: Slack's shape, with its escaping of &, < and >.
func TestSlackPayload(t *testing.T) {
	r := newReceiver(t, nil)
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	start(t, set, filepath.Join(t.TempDir(), "state"), hookFor(t, "slack", r.URL, "/", webhooks.Slack))
	set.Apply([]*feed.Post{post(t, "a.md", "code: A1\ntitle: Rates & <rules> > all\ndate: 2025-01-01\norigin_url: https://www.example.com/a?x=1&y=2\n"+
		"image: https://www.example.com/a.jpg\ndescription: Banks & <lenders> "+strings.Repeat("word ", 200))}, nil)
	g := r.wait(t, 1)[0]
	if ct := g.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var m struct {
		Text   string
		Blocks []struct {
			Type      string
			Text      struct{ Type, Text string }
			Accessory struct {
				Type     string
				ImageURL string `json:"image_url"`
				AltText  string `json:"alt_text"`
			}
		}
	}
	if err := json.Unmarshal(g.Body, &m); err != nil {
		t.Fatalf("%v: %s", err, g.Body)
	}
	const link = "<https://www.example.com/a?x=1&y=2|Rates &amp; &lt;rules&gt; &gt; all>"
	if m.Text != link {
		t.Errorf("text %q, want %q", m.Text, link)
	}
	if len(m.Blocks) != 1 || m.Blocks[0].Type != "section" || m.Blocks[0].Text.Type != "mrkdwn" {
		t.Fatalf("blocks %+v", m.Blocks)
	}
	b := m.Blocks[0]
	title, summary, _ := strings.Cut(b.Text.Text, "\n")
	if title != "*"+link+"*" || !strings.HasPrefix(summary, "Banks &amp; &lt;lenders&gt; word") || len([]rune(summary)) > 500+len("&amp;&lt;&gt;")*2 || !strings.HasSuffix(summary, "…") {
		t.Errorf("section text %q", b.Text.Text)
	}
	if b.Accessory.Type != "image" || b.Accessory.ImageURL != "https://www.example.com/a.jpg" || b.Accessory.AltText != "Rates & <rules> > all" {
		t.Errorf("accessory %+v", b.Accessory)
	}
}

// TestSlackImageRefused: Slack refuses a whole message (400,
// invalid_blocks) when it cannot fetch its image; the post is sent again
// at once without the image, and reaches the channel. A message without
// an image that Slack refuses is dropped, not sent twice.
func TestSlackImageRefused(t *testing.T) {
	var r *receiver
	r = newReceiver(t, func(n int, w http.ResponseWriter) {
		if body := r.requests()[n].Body; bytes.Contains(body, []byte(`"accessory"`)) || bytes.Contains(body, []byte("Refused")) {
			http.Error(w, "invalid_blocks", http.StatusBadRequest)
		}
	})
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	s, _ := start(t, set, filepath.Join(t.TempDir(), "state"), hookFor(t, "slack", r.URL, "/", webhooks.Slack))
	set.Apply([]*feed.Post{post(t, "a.md", "code: A1\ntitle: Flood\ndate: 2025-01-01\nimage: https://www.example.com/private.jpg")}, nil)
	got := r.wait(t, 2)
	if !bytes.Contains(got[0].Body, []byte("private.jpg")) || bytes.Contains(got[1].Body, []byte("private.jpg")) || !bytes.Contains(got[1].Body, []byte("Flood")) {
		t.Errorf("sent %s, then %s: want the post with its image, then without", got[0].Body, got[1].Body)
	}
	waitStats(t, s, webhooks.Stats{Hook: "slack", Delivered: 1})
	set.Apply([]*feed.Post{post(t, "b.md", "code: B1\ntitle: Refused\ndate: 2025-01-02")}, nil)
	waitStats(t, s, webhooks.Stats{Hook: "slack", Delivered: 1, Dropped: 1})
	if n := len(r.requests()); n != 3 {
		t.Errorf("%d requests, want 3: a message without an image is not sent again", n)
	}
}

// TestDiscordLimits: Discord's shape within its limits, and a burst as
// one summary of the newest ten.
func TestDiscordLimits(t *testing.T) {
	r := newReceiver(t, nil)
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	h := hookFor(t, "discord", r.URL, "/", webhooks.Discord)
	h.MaxBurst = 3
	start(t, set, filepath.Join(t.TempDir(), "state"), h)
	long := strings.Repeat("Long title words ", 30)
	set.Apply([]*feed.Post{post(t, "a.md", "code: A1\ntitle: "+long+"\ndate: 2025-01-01T10:00:00+07:00\nimage: https://www.example.com/a.jpg\ndescription: "+strings.Repeat("x ", 3000))}, nil)
	var burst []*feed.Post
	for i := range 12 {
		burst = append(burst, numbered(t, i))
	}
	set.Apply(burst, nil)
	got := r.wait(t, 2)
	type embed struct {
		Title, URL, Description, Timestamp string
		Image                              *struct{ URL string }
	}
	var one, summary struct {
		Content string
		Embeds  []embed
	}
	if err := json.Unmarshal(got[0].Body, &one); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got[1].Body, &summary); err != nil {
		t.Fatal(err)
	}
	if len(one.Embeds) != 1 {
		t.Fatalf("one post: %d embeds", len(one.Embeds))
	}
	e := one.Embeds[0]
	if n := len([]rune(e.Title)); n > 256 || n < 200 || e.URL != "https://www.example.com/a" || e.Timestamp != "2025-01-01T03:00:00Z" || e.Image == nil || e.Image.URL != "https://www.example.com/a.jpg" {
		t.Errorf("embed: title of %d characters, url %q, timestamp %q, image %v", n, e.URL, e.Timestamp, e.Image)
	}
	if n := len([]rune(e.Description)); n > 4096 || n < 4000 {
		t.Errorf("description of %d characters, want at most 4,096", n)
	}
	if summary.Content != "12 new posts in Test Post & Co" || len(summary.Embeds) != 10 || summary.Embeds[0].Title != "Post 11" || summary.Embeds[9].Title != "Post 2" {
		t.Errorf("summary: %q, %d embeds, first %+v", summary.Content, len(summary.Embeds), summary.Embeds)
	}
	for i, g := range got {
		var m struct {
			AllowedMentions struct{ Parse []string } `json:"allowed_mentions"`
		}
		if json.Unmarshal(g.Body, &m) != nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
			t.Errorf("message %d pings: %s", i, g.Body)
		}
	}
}

// TestDiscordMarkdown: a summary's markdown shows as written: a link in it
// is text, not a link Discord would make.
func TestDiscordMarkdown(t *testing.T) {
	r := newReceiver(t, nil)
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	start(t, set, filepath.Join(t.TempDir(), "state"), hookFor(t, "discord", r.URL, "/", webhooks.Discord))
	set.Apply([]*feed.Post{post(t, "a.md", "code: A1\ntitle: T\ndate: 2025-01-01\ndescription: \"Click [here](https://evil.example) *now* @everyone\"")}, nil)
	var m struct {
		Embeds []struct{ Description string }
	}
	if err := json.Unmarshal(r.wait(t, 1)[0].Body, &m); err != nil || len(m.Embeds) != 1 {
		t.Fatal(err)
	}
	if want := `Click \[here\]\(https://evil.example\) \*now\* @everyone`; m.Embeds[0].Description != want {
		t.Errorf("description %q, want %q", m.Embeds[0].Description, want)
	}
}

// TestJSONSigned: a JSON hook's message is signed as the Standard
// Webhooks specification says, checked here with its algorithm written
// out; every attempt of a message carries the same webhook-id, and a fresh
// timestamp and signature.
func TestJSONSigned(t *testing.T) {
	r := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	start(t, set, filepath.Join(t.TempDir(), "state"), hookFor(t, "service", r.URL, "/category/national/", webhooks.JSON))
	set.Apply([]*feed.Post{numbered(t, 7)}, nil)
	got := r.wait(t, 2)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secretText, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		id, ts := g.Header.Get("webhook-id"), g.Header.Get("webhook-timestamp")
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%s.%s", id, ts, g.Body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if g.Header.Get("webhook-signature") != want || !strings.HasPrefix(id, "msg_") || ts == "" {
			t.Errorf("attempt %d: id %q, timestamp %q, signature %q; want %q", i, id, ts, g.Header.Get("webhook-signature"), want)
		}
	}
	if got[0].Header.Get("webhook-id") != got[1].Header.Get("webhook-id") || string(got[0].Body) != string(got[1].Body) {
		t.Error("a retry is not the same message")
	}
	var m struct {
		Type string
		Feed struct {
			Title   string
			FeedURL string `json:"feed_url"`
		}
		Count int
		Items []struct {
			ID, URL, Title, Summary string
			ContentHTML             string `json:"content_html"`
		}
	}
	if err := json.Unmarshal(got[1].Body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != "post.published" || m.Feed.FeedURL != "https://feeds.example.com/category/national/feed.json" || m.Feed.Title != "Test Post & Co — National News" ||
		m.Count != 1 || len(m.Items) != 1 || m.Items[0].ID != "P007" || m.Items[0].URL != "https://www.example.com/p007" || !strings.Contains(m.Items[0].ContentHTML, "The body of p007.md") {
		t.Errorf("message %+v", m)
	}
}

// TestRetries: 500s and a 429 are tried again (the 429 after its
// Retry-After); a 400 drops the message and the next one is sent.
func TestRetries(t *testing.T) {
	r := newReceiver(t, func(n int, w http.ResponseWriter) {
		switch n {
		case 0, 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case 4: // the second message
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	s, _ := start(t, set, filepath.Join(t.TempDir(), "state"), hookFor(t, "h", r.URL, "/", webhooks.Slack))
	set.Apply([]*feed.Post{numbered(t, 1)}, nil)
	set.Apply([]*feed.Post{numbered(t, 2)}, nil)
	set.Apply([]*feed.Post{numbered(t, 3)}, nil)
	got := r.wait(t, 6)
	if wait := got[3].At.Sub(got[2].At); wait < time.Second {
		t.Errorf("the attempt after a 429 with Retry-After: 1 came %v later", wait)
	}
	for i, want := range []string{"Post 1", "Post 1", "Post 1", "Post 1", "Post 2", "Post 3"} {
		if !strings.Contains(string(got[i].Body), "|"+want+">") {
			t.Errorf("request %d is not %s: %s", i, want, got[i].Body)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Stats()[0]
		if st.Delivered == 2 && st.Retried == 3 && st.Dropped == 1 && st.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want 2 delivered, 3 retried, 1 dropped, none pending", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFailingHookDelaysNoOther: a hook whose receiver hangs does not hold
// back another: the other's five messages arrive while the first request
// to the hanging one is still waiting for an answer.
func TestFailingHookDelaysNoOther(t *testing.T) {
	hang := make(chan struct{})
	bad := newReceiver(t, func(int, http.ResponseWriter) { <-hang })
	defer close(hang) // before the receiver closes: the servers wait for their handlers
	good := newReceiver(t, nil)
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	start(t, set, filepath.Join(t.TempDir(), "state"),
		hookFor(t, "bad", bad.URL, "/", webhooks.Slack), hookFor(t, "good", good.URL, "/", webhooks.Slack))
	for i := range 5 {
		set.Apply([]*feed.Post{numbered(t, i)}, nil)
	}
	good.wait(t, 5)
	if n := len(bad.requests()); n != 1 {
		t.Errorf("the hanging hook has %d requests, want its first, still hanging", n)
	}
}

// TestStoppedAndRestarted: a message pending when the sender stops is sent
// after the restart, posts published while it was stopped are sent then,
// and what was delivered is not sent again.
func TestStoppedAndRestarted(t *testing.T) {
	var mu sync.Mutex
	failing := true
	r := newReceiver(t, func(n int, w http.ResponseWriter) {
		mu.Lock()
		defer mu.Unlock()
		if failing && n > 0 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	file := filepath.Join(t.TempDir(), "webhooks.state")
	set := feedtest.NewSet()
	set.Apply([]*feed.Post{numbered(t, 1)}, nil)
	h := hookFor(t, "h", r.URL, "/", webhooks.Slack)
	_, stop := start(t, set, file, h)
	set.Apply([]*feed.Post{numbered(t, 2)}, nil) // delivered
	set.Apply([]*feed.Post{numbered(t, 3)}, nil) // fails, stays pending
	r.wait(t, 3)
	stop()
	before := len(r.requests()) // Post 3 may have been tried more than once
	mu.Lock()
	failing = false
	mu.Unlock()

	// The restart: a new process reads the same posts and more.
	set = feedtest.NewSet()
	set.Apply([]*feed.Post{numbered(t, 1), numbered(t, 2), numbered(t, 3), numbered(t, 4)}, nil)
	start(t, set, file, h)
	set.Apply([]*feed.Post{numbered(t, 5)}, nil)
	got := r.wait(t, before+3)[before:] // Post 3, 4 and 5
	var titles []string
	for _, g := range got {
		_, rest, _ := strings.Cut(string(g.Body), "|")
		title, _, _ := strings.Cut(rest, ">")
		titles = append(titles, title)
	}
	if strings.Join(titles, ",") != "Post 3,Post 4,Post 5" {
		t.Errorf("after the restart: %q, want Post 3, 4 and 5", titles)
	}
	for _, g := range got {
		if strings.Contains(string(g.Body), "|Post 2>") {
			t.Error("Post 2 was sent again")
		}
	}
}

// TestBadStateFile: a state file that is not a database is an error
// naming it, never a fresh state.
func TestBadStateFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "webhooks.state")
	if err := os.WriteFile(file, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := webhooks.Open(feedtest.NewSet(), feedtest.Site(), webhooks.Options{State: file})
	if err == nil || !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Open of a file that is not a database: %v", err)
	}
}

func TestParseSecret(t *testing.T) {
	if k, err := webhooks.ParseSecret(secretText); err != nil || len(k) != 24 {
		t.Errorf("%s: %d bytes, %v", secretText, len(k), err)
	}
	for _, s := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!", "whsec_c2hvcnQ="} {
		if _, err := webhooks.ParseSecret(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

// TestOneSenderPerState: a second sender on a state file in use stops at
// start, saying so, rather than sending every message once more.
func TestOneSenderPerState(t *testing.T) {
	file := filepath.Join(t.TempDir(), "webhooks.state")
	start(t, feedtest.NewSet(), file)
	_, err := webhooks.Open(feedtest.NewSet(), feedtest.Site(), webhooks.Options{State: file})
	if err == nil || !strings.Contains(err.Error(), file+": held by another process") {
		t.Errorf("a second Open: %v", err)
	}
}

// TestRedirectsDropped: a redirect is not followed (the POST would arrive
// as a GET without its body, or go with its signature to another host):
// the message is dropped, and the next one sent.
func TestRedirectsDropped(t *testing.T) {
	elsewhere := newReceiver(t, nil)
	r := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n < 2 {
			w.Header().Set("Location", elsewhere.URL)
			w.WriteHeader([]int{http.StatusMovedPermanently, http.StatusTemporaryRedirect}[n])
		}
	})
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	s, _ := start(t, set, filepath.Join(t.TempDir(), "state"), hookFor(t, "h", r.URL, "/", webhooks.JSON))
	for i := range 3 {
		set.Apply([]*feed.Post{numbered(t, i)}, nil)
	}
	r.wait(t, 3)
	waitStats(t, s, webhooks.Stats{Hook: "h", Delivered: 1, Dropped: 2})
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("a redirect was followed: %d requests elsewhere", n)
	}
}

// waitStats waits until the sender's first hook's figures are want.
func waitStats(t *testing.T, s *webhooks.Sender, want webhooks.Stats) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for s.Stats()[0] != want {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want %+v", s.Stats()[0], want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSlackLimits: a long title and a summary full of characters Slack
// escapes stay within its limits on a section and on alt_text.
func TestSlackLimits(t *testing.T) {
	r := newReceiver(t, nil)
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	start(t, set, filepath.Join(t.TempDir(), "state"), hookFor(t, "slack", r.URL, "/", webhooks.Slack))
	long := strings.Repeat("Long & <title> ", 400)
	set.Apply([]*feed.Post{post(t, "a.md", "code: A1\ntitle: \""+long+"\"\ndate: 2025-01-01\nimage: https://www.example.com/a.jpg\ndescription: \""+strings.Repeat("& < > ", 200)+"\"")}, nil)
	var m struct {
		Text   string
		Blocks []struct {
			Text      struct{ Text string }
			Accessory struct {
				AltText string `json:"alt_text"`
			}
		}
	}
	if err := json.Unmarshal(r.wait(t, 1)[0].Body, &m); err != nil || len(m.Blocks) != 1 {
		t.Fatal(err)
	}
	if n := len([]rune(m.Blocks[0].Text.Text)); n > 3000 {
		t.Errorf("section text of %d characters, more than Slack's 3,000", n)
	}
	if n := len([]rune(m.Blocks[0].Accessory.AltText)); n > 2000 || n < 1000 {
		t.Errorf("alt_text of %d characters; Slack takes up to 2,000", n)
	}
	if !strings.Contains(m.Blocks[0].Text.Text, "\n&amp; &lt; &gt;") {
		t.Errorf("no summary after the title: %.300q", m.Blocks[0].Text.Text)
	}
}

// TestDamagedStateFile: an empty file, and a database cut short, are
// errors naming the file: never a fresh state, never a panic.
func TestDamagedStateFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.state")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cutShort := filepath.Join(dir, "cut.state")
	set := feedtest.NewSet()
	var posts []*feed.Post
	for i := range 2000 {
		posts = append(posts, numbered(t, i))
	}
	set.Apply(posts, nil)
	_, stop := start(t, set, cutShort, hookFor(t, "h", "http://127.0.0.1:1/", "/", webhooks.Slack))
	deadline := time.Now().Add(20 * time.Second)
	for st, _ := os.Stat(cutShort); st == nil || st.Size() < 64<<10; st, _ = os.Stat(cutShort) {
		if time.Now().After(deadline) {
			t.Fatal("the state file did not grow")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	data, err := os.ReadFile(cutShort)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cutShort, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{empty, cutShort} {
		_, err := webhooks.Open(feedtest.NewSet(), feedtest.Site(), webhooks.Options{State: file})
		if err == nil || !strings.HasPrefix(err.Error(), "webhooks state "+file+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v", filepath.Base(file), err)
		}
	}
}

// TestFormatChanged: a message made for a hook's old format is not sent
// in it to the new one: it is dropped, and the next post goes out in the
// new format.
func TestFormatChanged(t *testing.T) {
	var mu sync.Mutex
	failing := true
	r := newReceiver(t, func(n int, w http.ResponseWriter) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	file := filepath.Join(t.TempDir(), "state")
	set := feedtest.NewSet()
	set.Apply(nil, nil)
	_, stop := start(t, set, file, hookFor(t, "h", r.URL, "/", webhooks.Slack))
	set.Apply([]*feed.Post{numbered(t, 1)}, nil)
	r.wait(t, 1)
	stop()
	mu.Lock()
	failing = false
	mu.Unlock()
	before := len(r.requests())
	s, _ := start(t, set, file, hookFor(t, "h", r.URL, "/", webhooks.Discord))
	set.Apply([]*feed.Post{numbered(t, 2)}, nil)
	got := r.wait(t, before+1)[before:]
	waitStats(t, s, webhooks.Stats{Hook: "h", Delivered: 1, Dropped: 1})
	if !strings.Contains(string(got[0].Body), `"embeds"`) || !strings.Contains(string(got[0].Body), "Post 2") {
		t.Errorf("after the change: %s", got[0].Body)
	}
}
