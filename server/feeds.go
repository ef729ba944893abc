package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/render"
	"github.com/gorilla/mux"
)

// maxPage bounds `page` so that page*limit cannot overflow.
const maxPage = 1 << 24

// feedHandler serves the feeds of kind k, in every format.
func (s *Server) feedHandler(k *feed.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		vars := mux.Vars(r)
		format, _ := render.FormatByFile(vars["format"]) // the route admits only the formats' files
		values := make([]string, len(k.Facets))
		for i, f := range k.Facets {
			values[i] = vars[f.Name]
		}
		limit, page, err := s.pageParams(r.URL)
		if err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		snap := s.snapshot(w)
		if snap == nil {
			return
		}
		key := k.Key(values...)
		v, ok := snap.View(key)
		if !ok {
			httpError(w, http.StatusNotFound, missingView(key, snap))
			return
		}
		s.serveFeed(w, r, snap, v, docKey{view: key, format: format, page: page, limit: limit}, true)
	}
}

// serveFeed serves a page of a feed: from the cache when it holds the
// page as the view is now, else rendered and kept. A request for it by
// any URL but its canonical one is redirected there. When a body of the
// page's posts is gone (the set let it go: the post changed since snap
// was taken), the page is rendered again from the current snapshot, if
// retry.
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, snap *feed.Snapshot, v *feed.View, key docKey, retry bool) {
	if doc, ok := s.cache.get(key, v.Revision); ok && r.URL.Path == doc.path && r.URL.RawQuery == doc.query {
		s.serve(w, r, doc)
		return
	}
	d, ok := s.opt.Site.Document(snap, v, key.format, key.page, key.limit)
	if !ok {
		httpError(w, http.StatusNotFound, fmt.Sprintf("page %d is past the last page (%d)", key.page, v.Pages(key.limit)))
		return
	}
	path, query := d.Canonical()
	if r.URL.Path != path || r.URL.RawQuery != query {
		s.redirect(w, r, d.SelfURL())
		return
	}
	doc, err := makeDoc(r, func() (*Rendered, error) { return renderFeed(d, path, query) })
	if errors.Is(err, errGone) {
		gaveUp(w)
		return
	}
	if cur := s.opt.Set.Current(); err != nil && retry && cur.Version != snap.Version {
		v, ok := cur.View(key.view)
		if !ok { // the feed's last post went meanwhile
			httpError(w, http.StatusNotFound, missingView(key.view, cur))
			return
		}
		s.serveFeed(w, r, cur, v, key, false)
		return
	}
	if err != nil {
		s.log.Error("rendering a feed", "path", r.URL.Path, "err", err)
		httpError(w, http.StatusInternalServerError, "internal error rendering the feed")
		return
	}
	s.cache.put(key, v.Revision, doc)
	s.serve(w, r, doc)
}

// redirect answers a request for a document by another spelling of its
// URL with a permanent redirect to its canonical one: one URL per
// document, so that a feed's self link is always the URL a reader (or the
// W3C validator) fetched, and caches keep one copy. Caches may keep the
// redirect as long as the document.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, canonical string) {
	w.Header()["Cache-Control"] = s.cacheControl
	http.Redirect(w, r, canonical, http.StatusMovedPermanently)
}

// renderFeed renders a document, at its canonical path and query.
func renderFeed(d *render.Document, path, query string) (*Rendered, error) {
	var buf bytes.Buffer
	if err := d.Render(&buf); err != nil {
		return nil, err
	}
	var link string
	if hubs := d.Site.Hubs; len(hubs) > 0 {
		// WebSub discovery (W3C WebSub 4): the hubs and the topic URL.
		links := make([]string, 0, len(hubs)+1)
		for _, hub := range hubs {
			links = append(links, "<"+hub+`>; rel="hub"`)
		}
		link = strings.Join(append(links, "<"+d.SelfURL()+`>; rel="self"`), ", ")
	}
	doc := NewRendered(buf.Bytes(), d.Format.ContentType, d.LastModified(), link)
	doc.path, doc.query = path, query
	return doc, nil
}

// pageParams reads limit and page; absent, they are the defaults.
func (s *Server) pageParams(u *url.URL) (limit, page int, err error) {
	if u.RawQuery == "" {
		return s.opt.Site.Limit, 1, nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return 0, 0, fmt.Errorf("the query cannot be decoded: %v", err)
	}
	if limit, err = intParam(q, "limit", s.opt.Site.Limit, s.opt.MaxLimit); err != nil {
		return 0, 0, err
	}
	page, err = intParam(q, "page", 1, maxPage)
	return limit, page, err
}

// intParam reads a whole-number query parameter in [1, max]; absent gives
// def. Anything else is an error that names the parameter and its range.
func intParam(q url.Values, name string, def, max int) (int, error) {
	vals, ok := q[name]
	if !ok {
		return def, nil
	}
	s := vals[0]
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%s must be a whole number from 1 to %d, not %q", name, max, s)
	}
	return n, nil
}

// missingView says which part of a feed URL names nothing.
func missingView(k feed.ViewKey, snap *feed.Snapshot) string {
	var parts []string
	for i, f := range k.Kind.Facets {
		alone := feed.ViewKey{Kind: feed.KindOf(f)}
		alone.Values[0] = k.Values[i]
		if _, ok := snap.View(alone); !ok && alone.Kind != nil {
			return fmt.Sprintf("no posts in %s %q", f.Name, k.Values[i])
		}
		parts = append(parts, fmt.Sprintf("%s %q", f.Name, k.Values[i]))
	}
	return "no posts in " + strings.Join(parts, " and ")
}
