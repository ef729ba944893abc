package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/feedd/feedd/feed"
)

// index serves the HTML page that lists every feed.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	s.servePage(w, r, "index", "text/html; charset=utf-8", s.opt.Site.Index)
}

// opml serves the OPML list of every feed.
func (s *Server) opml(w http.ResponseWriter, r *http.Request) {
	s.servePage(w, r, "opml", "text/x-opml; charset=utf-8", s.opt.Site.OPML)
}

// servePage serves a document made from the whole snapshot, cached while
// the snapshot is current. It takes no parameters: a URL with a query is
// redirected to the one without.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, name, contentType string, build func(*feed.Snapshot) ([]byte, error)) {
	if r.URL.RawQuery != "" || r.URL.ForceQuery {
		s.redirect(w, r, s.opt.Site.BaseURL+r.URL.Path)
		return
	}
	snap := s.snapshot(w)
	if snap == nil {
		return
	}
	key := docKey{name: name}
	if doc, ok := s.cache.get(key, snap.Version); ok {
		s.serve(w, r, doc)
		return
	}
	doc, err := makeDoc(r, func() (*Rendered, error) {
		body, err := build(snap)
		if err != nil {
			return nil, err
		}
		return NewRendered(body, contentType, newest(snap), ""), nil
	})
	if errors.Is(err, errGone) {
		gaveUp(w)
		return
	}
	if err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
		httpError(w, http.StatusInternalServerError, "internal error rendering the "+name+" page")
		return
	}
	s.cache.put(key, snap.Version, doc)
	s.serve(w, r, doc)
}

// newest is the latest change in the snapshot's feeds: a post's date or a
// removal.
func newest(snap *feed.Snapshot) (t time.Time) {
	for _, v := range snap.Views() {
		if v.Newest.After(t) {
			t = v.Newest
		}
		if v.ChangedAt.After(t) {
			t = v.ChangedAt
		}
	}
	return t
}
