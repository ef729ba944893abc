package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/gorilla/mux"
)

// Profiles serves Go's runtime profiles (net/http/pprof), for an operator
// chasing a slow or large process, on a listener of their own:
//
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=10
func Profiles() http.Handler {
	r := mux.NewRouter()
	r.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	r.HandleFunc("/debug/pprof/profile", pprof.Profile)
	r.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	r.HandleFunc("/debug/pprof/trace", pprof.Trace)
	r.PathPrefix("/debug/pprof/").HandlerFunc(pprof.Index) // the index, and each profile by name
	return r
}
