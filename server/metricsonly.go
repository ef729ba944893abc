package server

import (
	"net/http"

	"github.com/gorilla/mux"
)

// MetricsOnly serves metrics at /metrics and nothing else, for a listener
// of their own (metrics.addr).
func MetricsOnly(metrics http.Handler) http.Handler {
	r := mux.NewRouter()
	r.Handle("/metrics", metrics).Methods(http.MethodGet, http.MethodHead)
	return r
}
