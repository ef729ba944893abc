package watcher_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/watcher"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func postText(code string) string {
	return "---\ncode: " + code + "\ntitle: " + code + "\ndate: 2024-01-01\n---\nbody\n"
}

func parseOptions() parse.Options {
	base, _ := url.Parse("https://feeds.example.com")
	return parse.Options{BaseURL: base, Location: time.UTC, Language: "en"}
}

func TestIgnoredNames(t *testing.T) {
	for name, want := range map[string]bool{
		"post.md": true, "post.markdown": true, "POST.MD": true, "post.txt": false,
		".post.md": false, "post.md~": false, "post.md.swp": false, ".post.md.swx": false,
		"post.md.tmp": false, "#post.md#": false, "4913": false, "post": false,
	} {
		if got := watcher.IsPostName(name); got != want {
			t.Errorf("IsPostName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestScan(t *testing.T) {
	root := t.TempDir()
	posts := filepath.Join(root, "posts")
	write(t, filepath.Join(posts, "a.md"), postText("A"))
	write(t, filepath.Join(posts, "2024/11/b.markdown"), postText("B"))
	write(t, filepath.Join(posts, "2024/11/bad.md"), "---\ntitle: no date\n---\n")
	write(t, filepath.Join(posts, ".git/c.md"), postText("HIDDEN-DIR"))
	write(t, filepath.Join(posts, ".d.md"), postText("HIDDEN"))
	write(t, filepath.Join(posts, "a.md~"), postText("BACKUP"))
	write(t, filepath.Join(posts, "a.md.swp"), postText("SWAP"))
	write(t, filepath.Join(posts, "4913"), postText("VIM-PROBE"))
	write(t, filepath.Join(posts, "notes.txt"), postText("TXT"))
	write(t, filepath.Join(root, "outside/o.md"), postText("OUTSIDE"))
	write(t, filepath.Join(posts, "..2024_data/k.md"), postText("K8S"))
	must(t, os.Symlink(filepath.Join(root, "outside/o.md"), filepath.Join(posts, "link-out.md")))
	must(t, os.Symlink(filepath.Join(root, "outside"), filepath.Join(posts, "dir-out")))
	must(t, os.Symlink("..2024_data/k.md", filepath.Join(posts, "k.md"))) // Kubernetes-style: inside the tree
	must(t, os.Symlink("2024", filepath.Join(posts, "alias")))            // a directory linked twice
	must(t, os.Symlink("missing.md", filepath.Join(posts, "broken.md")))  // dangling
	must(t, os.Symlink(posts, filepath.Join(posts, "2024/loop")))         // a loop
	must(t, os.Mkdir(filepath.Join(posts, "dir.md"), 0o755))              // a directory named like a post
	must(t, os.Symlink(posts, filepath.Join(root, "current")))            // the posts directory as a symlink

	for _, dir := range []string{posts, filepath.Join(root, "current")} {
		res, err := watcher.Scan(dir, parseOptions(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range res.Posts {
			got = append(got, p.Path+"="+p.ID)
		}
		want := []string{"2024/11/b.markdown=B", "a.md=A", "k.md=K8S"}
		if !slices.Equal(got, want) {
			t.Errorf("Scan(%s) posts %q, want %q", dir, got, want)
		}
		if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "2024/11/bad.md:1: missing date") {
			t.Errorf("problems %q, want one for 2024/11/bad.md", res.Problems)
		}
		if res.Files != 4 {
			t.Errorf("%d post files, want 4", res.Files)
		}
	}
}

// TestScanKeep: every post Scan reads is given to keep (a set's Prepare,
// as feedd check and build run it); a post keep refuses is a problem, not
// a post, and a post kept in a set's store has its body there.
func TestScanKeep(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.md"), postText("A"))
	write(t, filepath.Join(dir, "b.md"), postText("B"))
	write(t, filepath.Join(dir, "c.md"), "---\ntitle: no date\n---\n")
	set := feedtest.NewSet()
	var mu sync.Mutex
	var kept []string
	res, err := watcher.Scan(dir, parseOptions(), func(p *feed.Post) error {
		mu.Lock()
		kept = append(kept, p.Path)
		mu.Unlock()
		if p.ID == "B" {
			return errors.New("no room for its body")
		}
		return set.Prepare(p)
	})
	must(t, err)
	slices.Sort(kept)
	if !slices.Equal(kept, []string{"a.md", "b.md"}) {
		t.Errorf("kept %q, want every good post", kept)
	}
	if len(res.Posts) != 1 || res.Posts[0].ID != "A" {
		t.Fatalf("posts %v, want A alone", res.Posts)
	}
	var problems []string
	for _, p := range res.Problems {
		problems = append(problems, p.Error())
	}
	if want := []string{"b.md: no room for its body", "c.md:1: missing date"}; !slices.Equal(problems, want) {
		t.Errorf("problems %q, want %q", problems, want)
	}
	set.Apply(res.Posts, nil)
	if body, err := set.Current().Posts()[0].HTML(); err != nil || body != "<p>body</p>" {
		t.Errorf("A's body from the set's store: %q, %v", body, err)
	}
}

func TestScanMissingDirectory(t *testing.T) {
	_, err := watcher.Scan(filepath.Join(t.TempDir(), "nope"), parseOptions(), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Scan of a missing directory: %v, want a not-exist error", err)
	}
}

func TestReadLimitAndPermissions(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "big.md"), postText("BIG")+strings.Repeat("x", 2000))
	opt := parseOptions()
	opt.MaxSize = 1000
	_, err := watcher.Read(watcher.File{Rel: "big.md", Real: filepath.Join(dir, "big.md")}, opt)
	if err == nil || err.Error() != "big.md: larger than the limit of 1000 bytes" {
		t.Errorf("a file over the limit: %v", err)
	}
	_, err = watcher.Read(watcher.File{Rel: "gone.md", Real: filepath.Join(dir, "gone.md")}, opt)
	if err == nil || !strings.HasPrefix(err.Error(), "gone.md: cannot read: ") {
		t.Errorf("a missing file: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
