// Package watcher keeps a feed.Set in step with a directory of posts: it
// walks the directory, watches it (fsnotify, or polling), debounces what
// changes into batches, reads and parses the posts that changed, and hands
// each batch to the set, which is all it writes to. Rendering documents,
// storing bodies and serving are other packages' business.
package watcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/parse"
)

// IsIgnored reports whether a file or directory name is never read: hidden
// names and the temp and backup files of editors (README, Posts).
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
	info os.FileInfo // from the walk, for change detection (nil for a file the watcher did not know)
}

// Result is the outcome of a full scan: every good post, and every file that
// could not be used, with its reason.
type Result struct {
	Posts    []*feed.Post
	Problems []error // each a *parse.Error
	Files    int     // post files found
}

// tree is what a walk of the posts directory found.
type tree struct {
	Root  string // the posts directory, symlinks resolved
	Files []File // post files, sorted by relative path
	Dirs  []File // directories, the root first (Rel ""), then in walk order
	// Unreadable are the directories below the root that could not be
	// listed (permission denied, an I/O error), with why: what they held
	// is not known to be gone.
	Unreadable []unreadableDir
	onDir      func(real, rel string)
	// known says which files a rescan compares with what it knew: only
	// those get a File.info. A file's type comes from its directory entry
	// (a symlink's from its target), so an unknown file costs no stat
	// call here: it is read, and fstat'ed then, anyway.
	known func(rel string) bool
}

// resolveRoot resolves the posts directory to an absolute real path.
func resolveRoot(dir string) (string, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(root)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%s: not a directory", dir)
	}
	return root, nil
}

// walkTree walks the posts directory and lists its post files and its
// directories, sorted by relative path. Symlinks are followed where
// followed says (dir itself may be a symlink); names IsIgnored skips are
// never entered or read. onDir, if not nil, is called for each
// directory before it is listed, so that a watch added there misses nothing
// created after the listing.
func walkTree(dir string, onDir func(real, rel string), known func(rel string) bool) (*tree, error) {
	root, err := resolveRoot(dir)
	if err != nil {
		return nil, err
	}
	t := &tree{Root: root, onDir: onDir, known: known}
	if err := t.walk(root, "", map[string]bool{}); err != nil {
		return nil, err
	}
	t.sort()
	return t, nil
}

func (t *tree) sort() {
	slices.SortFunc(t.Files, func(a, b File) int { return strings.Compare(a.Rel, b.Rel) })
}

// walk adds the directory real (at relative path rel) and everything below
// it. visited holds the real directories already walked, against loops.
func (t *tree) walk(real, rel string, visited map[string]bool) error {
	visited[real] = true
	t.Dirs = append(t.Dirs, File{Rel: rel, Real: real})
	if t.onDir != nil {
		t.onDir(real, rel)
	}
	entries, err := os.ReadDir(real)
	if err != nil {
		if rel == "" {
			return err
		}
		t.unreadable(rel, err)
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		if IsIgnored(name) {
			continue
		}
		full := filepath.Join(real, name)
		childRel := path.Join(rel, name)
		if e.Type().IsRegular() && (t.known == nil || !t.known(childRel)) {
			if IsPostName(name) {
				t.Files = append(t.Files, File{Rel: childRel, Real: full})
			}
			continue
		}
		if e.Type()&os.ModeSymlink != 0 {
			resolved, err := filepath.EvalSymlinks(full)
			if err != nil {
				t.unreadable(childRel, err)
				continue
			}
			if !followed(t.Root, resolved) {
				continue
			}
			full = resolved
		}
		st, err := os.Stat(full)
		if err != nil {
			t.unreadable(childRel, err)
			continue
		}
		switch {
		case st.IsDir():
			if visited[full] {
				continue
			}
			if err := t.walk(full, childRel, visited); err != nil {
				return err
			}
		case st.Mode().IsRegular() && IsPostName(name):
			t.Files = append(t.Files, File{Rel: childRel, Real: full, info: st})
		}
	}
	return nil
}

// unreadableDir is a path the walk could not look at (a directory it
// could not list, or an entry it could not stat: permission denied, an
// I/O error), and why.
type unreadableDir struct {
	rel, reason string
}

// unreadable notes that rel could not be looked at, unless err says it is
// gone (removed or replaced mid-walk).
func (t *tree) unreadable(rel string, err error) {
	if !gone(err) {
		t.Unreadable = append(t.Unreadable, unreadableDir{rel: rel, reason: err.Error()})
	}
}

// inUnreadable reports whether the relative path rel is, or is inside,
// one of the paths the walk could not look at: what was known there is
// not known to be gone.
func (t *tree) inUnreadable(rel string) bool {
	for _, d := range t.Unreadable {
		if rel == d.rel || strings.HasPrefix(rel, d.rel+"/") {
			return true
		}
	}
	return false
}

// gone reports whether an error says a path is not there (any more).
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// followed reports whether a symlink that resolves to target (a real
// path) is read, as a post or a directory of posts: only when target is
// inside root and no walk reaches it by itself, because a name on its way
// is hidden (a Kubernetes volume links "post.md" to "..data/post.md"). A link to a post or a directory the walk reads anyway
// would give its posts a second path, and those without a code a second
// item; a link to the root or above it would be a loop. The rule looks at
// the target alone, so a link made while feedd runs is taken or left
// exactly as a start-up would.
func followed(root, target string) bool {
	if target == root || !within(root, target) {
		return false
	}
	for _, name := range strings.Split(strings.TrimPrefix(target, dirPrefix(root)), string(filepath.Separator)) {
		if strings.HasPrefix(name, ".") {
			return true
		}
	}
	return false
}

// within reports whether p is root or below it.
func within(root, p string) bool {
	return p == root || strings.HasPrefix(p, dirPrefix(root))
}

// dirPrefix is dir with a separator at its end: what the paths below it
// start with ("/" stays "/").
func dirPrefix(dir string) string {
	if strings.HasSuffix(dir, string(filepath.Separator)) {
		return dir
	}
	return dir + string(filepath.Separator)
}

// Read reads and parses one post file. A file that cannot be read or parsed
// gives a *parse.Error.
func Read(f File, opt parse.Options) (*feed.Post, error) {
	p, _, _, err := readPost(f, opt, 0)
	return p, err
}

// readPost reads and parses a post file and returns the state of the file
// it read. A file changed within busyWithin that some process still has
// open for writing is not read: busy is true and the caller tries again
// later (see readFile).
func readPost(f File, opt parse.Options, busyWithin time.Duration) (p *feed.Post, st fileState, busy bool, err error) {
	max := opt.MaxSize
	if max <= 0 {
		max = parse.DefaultMaxSize
	}
	data, st, busy, err := readFile(f.Real, max, busyWithin)
	if busy {
		return nil, st, true, nil
	}
	if err != nil {
		return nil, st, false, &parse.Error{Path: f.Rel, Reason: readReason(err)}
	}
	p, err = parse.Post(f.Rel, data, st.modTime, opt)
	return p, st, false, err
}

// tooLargeError is a file over the size limit.
type tooLargeError int

func tooLarge(max int) error { return tooLargeError(max) }

func (e tooLargeError) Error() string {
	return fmt.Sprintf("larger than the limit of %d bytes", int(e))
}

func readReason(err error) string {
	if tl, ok := err.(tooLargeError); ok {
		return tl.Error()
	}
	if pe, ok := err.(*os.PathError); ok {
		return "cannot read: " + pe.Err.Error()
	}
	return "cannot read: " + err.Error()
}

// Scan walks dir and parses every post in it, on all cores. Posts and
// problems come out sorted by path. Each post read is given to keep, when
// it is not nil (a Set's Prepare, to move its body out of memory at once);
// an error from it makes the file a problem.
func Scan(dir string, opt parse.Options, keep func(*feed.Post) error) (*Result, error) {
	tree, err := walkTree(dir, nil, nil)
	if err != nil {
		return nil, err
	}
	files := tree.Files
	results := readAll(files, func(f File) readResult {
		var r readResult
		r.post, _, _, r.err = readPost(f, opt, 0)
		if r.post != nil && keep != nil {
			if err := keep(r.post); err != nil {
				r.post, r.err = nil, &parse.Error{Path: f.Rel, Reason: err.Error()}
			}
		}
		return r
	})
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
