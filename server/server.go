// Package server answers HTTP for feedd: it routes every request with
// gorilla/mux, from the kinds of feed and the formats; serves feed
// documents, the index page and the OPML list from a cache of rendered
// documents, with their compressed forms; answers conditional requests,
// HEAD and ranges through http.ServeContent (plain polls, and
// If-None-Match alone, from values made once per document: servePlain);
// and answers health checks. It is the only package that runs an HTTP
// server (Run). What a document holds is render's business; which posts
// there are, feed's.
package server

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/render"
	"github.com/gorilla/mux"
)

// Options configure a Server; zero values give the defaults.
type Options struct {
	Site   *render.Site
	Set    *feed.Set
	Logger *slog.Logger
	// MaxLimit is the largest page a request may ask for (limit=);
	// default 500.
	MaxLimit int
	// MaxAge is how long clients and caches may keep a document
	// (Cache-Control's max-age; 0: they ask again every time).
	MaxAge time.Duration
	// CacheBytes bounds the memory of rendered documents, their
	// compressed forms included; default DefaultCacheBytes.
	CacheBytes int64
	// CORS has documents carry Access-Control-Allow-Origin: *, so that
	// readers that run in browsers can fetch them.
	CORS bool
	// Metrics, when set, is served at /metrics.
	Metrics http.Handler
	// Observe, when set, is called after each request with the name of
	// the route it matched ("unmatched" for 404s and 405s outside any
	// route), its status and its duration.
	Observe func(route string, status int, took time.Duration)
}

// Server is feedd's HTTP handler.
type Server struct {
	opt          Options
	log          *slog.Logger
	router       *mux.Router
	cache        *Cache
	cacheControl []string // the header's value, shared by every response
	cors         bool
	stopping     atomic.Bool // set by Stopping
}

// New builds the routes: one per kind of feed, whatever its format, then
// the index page, the OPML list, health and metrics.
func New(opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MaxLimit <= 0 {
		opt.MaxLimit = 500
	}
	s := &Server{opt: opt, log: opt.Logger, router: mux.NewRouter(), cache: NewCache(opt.CacheBytes), cors: opt.CORS}
	s.cacheControl = []string{"public, max-age=" + strconv.Itoa(int(opt.MaxAge/time.Second))}
	for _, k := range feed.Kinds {
		s.route(Route(k), k.Name, s.feedHandler(k))
	}
	s.route("/", "index", http.HandlerFunc(s.index))
	s.route("/opml.xml", "opml", http.HandlerFunc(s.opml))
	s.route("/healthz", "healthz", http.HandlerFunc(s.healthz))
	s.route("/readyz", "readyz", http.HandlerFunc(s.readyz))
	if opt.Metrics != nil {
		s.route("/metrics", "metrics", opt.Metrics)
	}
	r := s.router
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "not found: "+r.URL.Path)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)
	return s
}

// methodNotAllowed answers a method other than GET and HEAD: 405, but for
// OPTIONS, which a browser sends before a request with headers of its own
// (a reader's If-None-Match) and which gets a 204 saying what is allowed.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	if r.Method == http.MethodOptions {
		hdr.Set("Allow", "GET, HEAD, OPTIONS")
		if s.cors {
			hdr.Set("Access-Control-Allow-Methods", "GET, HEAD")
			hdr.Set("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since, Range")
			hdr.Set("Access-Control-Max-Age", "86400")
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	hdr.Set("Allow", "GET, HEAD")
	httpError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET or HEAD")
}

// Route is the gorilla/mux route of a kind's feeds: a segment and a
// variable per facet, then the format's file name:
// /language/{language}/category/{category}/{format}.
func Route(k *feed.Kind) string {
	var b strings.Builder
	for _, f := range k.Facets {
		fmt.Fprintf(&b, "/%s/{%s}", f.Name, f.Name)
	}
	files := make([]string, len(render.Formats))
	for i, f := range render.Formats {
		files[i] = regexp.QuoteMeta(f.File)
	}
	return b.String() + "/{format:" + strings.Join(files, "|") + "}"
}

// Stopping makes /readyz answer 503 from now on: the process is shutting
// down, and a load balancer should send its requests elsewhere.
func (s *Server) Stopping() { s.stopping.Store(true) }

// Cache is the server's cache of rendered documents, for its counters.
func (s *Server) Cache() *Cache { return s.cache }

// ServeHTTP serves a request; a panic becomes a logged 500, never a crash.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := recorders.Get().(*recorder)
	*rec = recorder{ResponseWriter: w, route: "unmatched"}
	start := time.Now()
	defer recorders.Put(rec)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving a request", "path", r.URL.Path, "panic", fmt.Sprint(v))
			httpError(rec, http.StatusInternalServerError, "internal error")
		}
		took := time.Since(start)
		if s.opt.Observe != nil {
			s.opt.Observe(rec.route, rec.code(), took)
		}
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			return
		}
		// The request line and its outcome; never a body.
		s.log.Debug("request", "method", r.Method, "uri", r.URL.RequestURI(), "route", rec.route,
			"status", rec.code(), "bytes", rec.bytes, "encoding", w.Header().Get("Content-Encoding"),
			"took", took.String(), "remote", r.RemoteAddr)
	}()
	if s.cors {
		// On every response, redirects and errors included: a reader in a
		// browser follows a redirect, or reads an error's status, only
		// when it carries the header too.
		rec.Header()["Access-Control-Allow-Origin"] = hdrAnyOrigin
	}
	if len(r.TransferEncoding) > 0 {
		// feedd reads no request bodies. net/http drops a Content-Length
		// sent beside a Transfer-Encoding before a handler sees it, so
		// every Transfer-Encoding is refused; with a Content-Length it is
		// request smuggling, and RFC 9112 (6.1) wants the connection closed.
		rec.Header().Set("Connection", "close")
		httpError(rec, http.StatusBadRequest, "Transfer-Encoding is refused: feedd takes no request bodies")
		return
	}
	s.router.ServeHTTP(rec, r)
}

// recorders are reused: a request makes no garbage of its own for them.
var recorders = sync.Pool{New: func() any { return new(recorder) }}

// recorder notes a response's status and size, and the route that served
// it.
type recorder struct {
	http.ResponseWriter
	status int
	route  string
	bytes  int
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	return n, err
}

// ReadFrom writes a document's bytes in one Write when http.ServeContent
// sends the whole rest of them (io.CopyN over a bytes.Reader): through
// io.Copy, net/http would allocate a 32 KB buffer for every response
// (BenchmarkServe: 34 KB and 19 allocations a cached response without it,
// against a few hundred bytes with it).
func (rec *recorder) ReadFrom(src io.Reader) (int64, error) {
	if lr, ok := src.(*io.LimitedReader); ok {
		if br, ok := lr.R.(*bytes.Reader); ok && int64(br.Len()) <= lr.N {
			n, err := br.WriteTo(rec)
			lr.N -= n
			return n, err
		}
	}
	return io.Copy(writerOnly{rec}, src)
}

// writerOnly hides its writer's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// Unwrap gives http.ResponseController the connection's writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *recorder) code() int {
	if rec.status == 0 {
		return http.StatusOK
	}
	return rec.status
}

// route serves GET and HEAD requests for path with h, under the route's
// name, which h tells the request's recorder (for metrics and logs).
func (s *Server) route(path, name string, h http.Handler) {
	named := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := w.(*recorder); ok {
			rec.route = name
		}
		h.ServeHTTP(w, r)
	})
	s.router.Handle(path, named).Methods(http.MethodGet, http.MethodHead).Name(name)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.stopping.Load() {
		httpError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	if s.snapshot(w) == nil {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

// snapshot returns the current snapshot, or answers 503 when there is none.
func (s *Server) snapshot(w http.ResponseWriter) *feed.Snapshot {
	snap := s.opt.Set.Current()
	if snap == nil {
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, "not ready: the first scan of the posts has not finished")
	}
	return snap
}

// httpError writes a one-line plain-text error, which no cache keeps.
func httpError(w http.ResponseWriter, code int, msg string) {
	hdr := w.Header()
	for _, h := range []string{"ETag", "Last-Modified", "Content-Encoding", "Vary", "Link"} {
		hdr.Del(h)
	}
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}
