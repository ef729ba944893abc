package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts bound what a connection may take.
type Timeouts struct {
	// Header is how long a request's header may take to arrive: from the
	// connection's opening for its first request, from its first byte
	// for the next ones (slowloris).
	Header time.Duration
	// Request is how long a request may take from its header to the end
	// of its answer (a client that stops reading is cut off then).
	Request time.Duration
	// Idle is how long a kept-alive connection may wait for its next
	// request.
	Idle time.Duration
	// Shutdown is how long the requests in flight may take to finish
	// when the server stops.
	Shutdown time.Duration
}

// DefaultTimeouts are feedd's.
var DefaultTimeouts = Timeouts{Header: 5 * time.Second, Request: 30 * time.Second, Idle: 120 * time.Second, Shutdown: 10 * time.Second}

// MaxHeaderBytes bounds a request's header.
const MaxHeaderBytes = 64 << 10

// NewHTTPServer is the http.Server feedd serves h with: its timeouts, its
// header limit, and net/http's complaints logged as warnings.
func NewHTTPServer(h http.Handler, t Timeouts, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.Header,
		ReadTimeout:       t.Header + t.Request,
		WriteTimeout:      t.Request,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Run serves h on ln until ctx ends, then stops accepting and lets the
// requests in flight finish (up to t.Shutdown).
func Run(ctx context.Context, ln net.Listener, h http.Handler, t Timeouts, log *slog.Logger) error {
	srv := NewHTTPServer(h, t, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}
