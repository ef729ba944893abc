package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
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
	// Delay is how long the listener stays open once the server is told
	// to stop (http.shutdown_delay).
	Delay time.Duration
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

// Run serves h on ln until ctx ends, then stops without failing a request
// it took: it keeps accepting for t.Delay (a load balancer takes that
// long to stop sending), turns keep-alives off, accepts what the kernel
// has queued and closes the listener, and waits (up to t.Shutdown) for
// every connection it accepted to be answered. Server.Shutdown would
// close the listener at once, resetting the queued connections, and hang
// up on an accepted connection whose request had not been read yet.
func Run(ctx context.Context, ln net.Listener, h http.Handler, t Timeouts, log *slog.Logger) error {
	srv := NewHTTPServer(h, t, log)
	var conns connCount
	srv.ConnState = conns.track
	dl := &drainListener{Listener: ln}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(dl) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	time.Sleep(t.Delay)
	srv.SetKeepAlivesEnabled(false) // each connection closes after its answer
	dl.drain()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	for conns.busy() && sctx.Err() == nil {
		time.Sleep(5 * time.Millisecond) // as Server.Shutdown polls
	}
	return srv.Shutdown(sctx)
}

// drainWindow is how long a stopping listener keeps accepting what comes:
// the connections the kernel queued are accepted in far less.
const drainWindow = 20 * time.Millisecond

// drainListener is a listener that stops by accepting the connections
// the kernel queued first: closing a listener resets them.
type drainListener struct {
	net.Listener
	draining atomic.Bool
}

func (l *drainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil && l.draining.Load() {
		_ = l.Listener.Close()
		return nil, net.ErrClosed
	}
	return c, err
}

// drain makes Accept take what is queued, then close the listener.
func (l *drainListener) drain() {
	l.draining.Store(true)
	if d, ok := l.Listener.(interface{ SetDeadline(time.Time) error }); ok && d.SetDeadline(time.Now().Add(drainWindow)) == nil {
		return
	}
	_ = l.Listener.Close()
}

// connCount counts the connections accepted and not closed yet, from
// http.Server's ConnState (called at those two moments, and twice a
// request, which it ignores).
type connCount struct{ open atomic.Int64 }

func (c *connCount) track(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		c.open.Add(1)
	case http.StateClosed, http.StateHijacked:
		c.open.Add(-1)
	}
}

// busy says whether any connection accepted is still open: with
// keep-alives off, each closes once it has answered its request.
func (c *connCount) busy() bool { return c.open.Load() > 0 }
