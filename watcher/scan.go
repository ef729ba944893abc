// Package watcher keeps a feed.Set in step with a directory of posts: it
// walks the directory, reads and parses the posts, and hands them to the set.
package watcher

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/feedd/feedd/feed"
)

// IsIgnored reports whether a file or directory name is never read: hidden
// names and the temp and backup files of editors (SPEC section 1).
func IsIgnored(name string) bool {
	switch {
	case strings.HasPrefix(name, "."),
		strings.HasSuffix(name, "~"),
		strings.HasSuffix(name, ".swp"),
		strings.HasSuffix(name, ".swx"),
		strings.HasSuffix(name, ".tmp"),
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"),
		name == "4913":
		return true
	}
	return false
}

// IsPostName reports whether a file name is a post's: .md or .markdown, and
// not ignored.
func IsPostName(name string) bool {
	if IsIgnored(name) {
		return false
	}
	ext := strings.ToLower(path.Ext(name))
	return ext == ".md" || ext == ".markdown"
}

// File is a post file found by a walk: its path relative to the posts
// directory ("/"-separated) and its real location on disk.
type File struct {
	Rel  string
	Real string
}

// Result is the outcome of a full scan: every good post, and every file that
// could not be used, with its reason.
type Result struct {
	Posts    []*feed.Post
	Problems []error // each a *feed.PostError
	Files    int     // post files found
}

// Walk lists the post files below dir, sorted by relative path. Symlinks are
// followed where they resolve inside dir (dir itself may be a symlink);
// names IsIgnored skips are never entered or read.
func Walk(dir string) ([]File, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	var files []File
	visited := map[string]bool{root: true}
	var walk func(real, rel string) error
	walk = func(real, rel string) error {
		entries, err := os.ReadDir(real)
		if err != nil {
			if rel == "" {
				return err
			}
			return nil // a directory removed or unreadable mid-walk
		}
		for _, e := range entries {
			name := e.Name()
			if IsIgnored(name) {
				continue
			}
			full := filepath.Join(real, name)
			childRel := path.Join(rel, name)
			if e.Type()&os.ModeSymlink != 0 {
				resolved, err := filepath.EvalSymlinks(full)
				if err != nil || !within(root, resolved) {
					continue
				}
				full = resolved
			}
			st, err := os.Stat(full)
			if err != nil {
				continue
			}
			switch {
			case st.IsDir():
				if visited[full] {
					continue
				}
				visited[full] = true
				if err := walk(full, childRel); err != nil {
					return err
				}
			case st.Mode().IsRegular() && IsPostName(name):
				files = append(files, File{Rel: childRel, Real: full})
			}
		}
		return nil
	}
	if err := walk(root, ""); err != nil {
		return nil, err
	}
	return files, nil
}

// within reports whether p is root or below it.
func within(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

// Read reads and parses one post file. A file that cannot be read or parsed
// gives a *feed.PostError.
func Read(f File, opt feed.ParseOptions) (*feed.Post, error) {
	max := opt.MaxSize
	if max <= 0 {
		max = feed.DefaultMaxSize
	}
	fh, err := os.Open(f.Real)
	if err != nil {
		return nil, &feed.PostError{Path: f.Rel, Reason: readReason(err)}
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, &feed.PostError{Path: f.Rel, Reason: readReason(err)}
	}
	if st.Size() > int64(max) {
		return nil, &feed.PostError{Path: f.Rel, Reason: fmt.Sprintf("larger than the limit of %d bytes", max)}
	}
	data, err := io.ReadAll(io.LimitReader(fh, int64(max)+1))
	if err != nil {
		return nil, &feed.PostError{Path: f.Rel, Reason: readReason(err)}
	}
	return feed.Parse(f.Rel, data, st.ModTime(), opt)
}

func readReason(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return "cannot read: " + pe.Err.Error()
	}
	return "cannot read: " + err.Error()
}

// Scan walks dir and parses every post in it, on all cores. Posts and
// problems come out sorted by path.
func Scan(dir string, opt feed.ParseOptions) (*Result, error) {
	files, err := Walk(dir)
	if err != nil {
		return nil, err
	}
	type out struct {
		post *feed.Post
		err  error
	}
	results := make([]out, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				p, err := Read(files[i], opt)
				results[i] = out{p, err}
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	res := &Result{Files: len(files)}
	for _, r := range results {
		if r.err != nil {
			res.Problems = append(res.Problems, r.err)
			continue
		}
		res.Posts = append(res.Posts, r.post)
	}
	return res, nil
}
