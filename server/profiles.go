package server

import (
	"net/http"
	"net/http/pprof"
)

// Profiles serves Go's runtime profiles (net/http/pprof), for an operator
// chasing a slow or large process, on a listener of their own:
//
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=10
func Profiles() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
