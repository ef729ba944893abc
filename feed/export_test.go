package feed

import (
	"net/http"

	"github.com/gorilla/mux"
)

// Hooks for the external tests: the fast feed-route matcher and the router
// it must agree with.

func MatchFeed(p string) (route, category, language, file string, ok bool) {
	m, ok := matchFeed(p)
	if !ok {
		return "", "", "", "", false
	}
	return m.route, m.category, m.language, m.format.File(), true
}

func (h *Handler) RouterMatch(r *http.Request) (route string, vars map[string]string, ok bool) {
	var m mux.RouteMatch
	if !h.router.Match(r, &m) || m.MatchErr != nil {
		return "", nil, false
	}
	return m.Route.GetName(), m.Vars, true
}

// PathDocs says how many documents the cache serves by path, and whether
// each of them is also one of its entries (which is what bounds their
// memory).
func (c *Cache) PathDocs() (n int, allHeld bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.current.Load()
	if t == nil {
		return 0, true
	}
	held := map[*Rendered]bool{}
	for _, el := range c.entries {
		held[el.Value.(*cacheEntry).doc] = true
	}
	for _, doc := range t.docs {
		if !held[doc] {
			return len(t.docs), false
		}
	}
	return len(t.docs), true
}

// SetRenewAbove sets the dead text that makes the set copy the rest into
// a new table, and returns a func that puts it back.
func SetRenewAbove(n int64) (restore func()) {
	old := renewAbove
	renewAbove = n
	return func() { renewAbove = old }
}

// TextBytes is the text of the posts the set holds, and all the text of
// its current table.
func (s *Set) TextBytes() (held, all int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.textLive, s.textAll
}

// Records is how many records the set's table has room for: what edits
// would grow without bound if refs were never reused.
func (s *Set) Records() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.n)
}
