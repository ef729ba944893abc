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
