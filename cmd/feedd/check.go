package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/parse"
	"github.com/feedd/feedd/watcher"
)

// check parses every post and prints each problem: exit 1 if any post is
// bad. It reads posts as serve's start-up does (a body's Markdown cannot
// be bad, so posts with a description are read up to their body), and
// keeps no body.
func check(cfg *Config, stdout io.Writer) int {
	opt := cfg.Parse
	opt.DeferBodies, opt.WarnSelfLinks = true, true
	set := feed.NewSet(feed.SetOptions{Bodies: noBodies{}})
	res, err := watcher.Scan(cfg.Posts, opt, set.Prepare)
	if err != nil {
		fmt.Fprintf(stdout, "%s: %v\n", cfg.Posts, err)
		return 1
	}
	problems := append(res.Problems, duplicates(res.Posts)...)
	for _, err := range problems {
		fmt.Fprintln(stdout, err)
	}
	warnings := 0
	for _, p := range res.Posts {
		for _, w := range p.Warnings {
			fmt.Fprintf(stdout, "%s: warning: %s\n", p.Path, w)
			warnings++
		}
	}
	fmt.Fprintf(stdout, "%d posts, %d bad, %d warnings\n", res.Files, len(problems), warnings)
	if len(problems) > 0 {
		return 1
	}
	return 0
}

// duplicates are the posts (sorted by path) whose code an earlier one has:
// serve keeps the path that sorts first and leaves the others out.
func duplicates(posts []*feed.Post) []error {
	var errs []error
	first := map[string]string{}
	for _, p := range posts {
		if p.Draft || !p.HasCode {
			continue
		}
		if kept, ok := first[p.ID]; ok {
			errs = append(errs, &parse.Error{Path: p.Path, Reason: fmt.Sprintf("code %q is also %s's, which is kept", p.ID, kept)})
			continue
		}
		first[p.ID] = p.Path
	}
	return errs
}

// noBodies is a body store that keeps nothing, for a check that reads no
// body back.
type noBodies struct{}

func (noBodies) Put([]byte) (uint64, error)   { return 1, nil }
func (noBodies) Get(uint64) ([]byte, error)   { return nil, errors.New("check keeps no bodies") }
func (noBodies) Replace(uint64, []byte) error { return nil }
func (noBodies) Release(uint64)               {}
