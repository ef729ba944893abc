package server

import "net/http"

// MetricsOnly serves metrics at /metrics and nothing else, for a listener
// of their own (metrics.addr).
func MetricsOnly(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	return mux
}
