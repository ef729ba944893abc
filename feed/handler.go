package feed

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
)

// Handler serves every feed of a Set, the index page, and the health
// endpoints (SPEC section 2).
type Handler struct {
	site    *Site
	set     *Set
	log     *slog.Logger
	router  *mux.Router
	cache   *Cache
	observe func(route string, status int, took time.Duration)
	// debug: requests are logged, one line each. Decided once: asking the
	// logger on every request is a tenth of a microsecond.
	debug bool

	hdrCacheControl []string
}

const formatPattern = `{format:rss\.xml|atom\.xml|feed\.json}`

// NewHandler routes requests to the feeds of set, described by site.
func NewHandler(site *Site, set *Set, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{site: site, set: set, log: log, router: mux.NewRouter(), cache: NewCache(site.CacheBytes)}
	h.hdrCacheControl = []string{"public, max-age=" + strconv.Itoa(int(site.MaxAge/time.Second))}
	h.debug = log.Enabled(context.Background(), slog.LevelDebug)
	r := h.router
	get := []string{http.MethodGet, http.MethodHead}
	// The feeds first: they are most of the traffic, and routes are
	// tried in order.
	feed := func(w http.ResponseWriter, r *http.Request) {
		vars := mux.Vars(r)
		format, _ := FormatByFile(vars["format"]) // the route's pattern admits only the three
		h.feed(w, r, feedMatch{category: vars["category"], language: vars["language"], format: format})
	}
	r.HandleFunc("/"+formatPattern, feed).Methods(get...).Name("feed")
	r.HandleFunc("/category/{category}/"+formatPattern, feed).Methods(get...).Name("category")
	r.HandleFunc("/language/{language}/"+formatPattern, feed).Methods(get...).Name("language")
	r.HandleFunc("/language/{language}/category/{category}/"+formatPattern, feed).Methods(get...).Name("language_category")
	r.HandleFunc("/healthz", h.healthz).Methods(get...).Name("healthz")
	r.HandleFunc("/readyz", h.readyz).Methods(get...).Name("readyz")
	r.HandleFunc("/", h.index).Methods(get...).Name("index")
	r.HandleFunc("/opml.xml", h.opml).Methods(get...).Name("opml")
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rec, ok := w.(*statusRecorder); ok {
				rec.route = mux.CurrentRoute(r).GetName()
			}
			next.ServeHTTP(w, r)
		})
	})
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "not found: "+r.URL.Path)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET or HEAD")
	})
	return h
}

// Mount serves another handler at path for GET and HEAD (the metrics, for
// one), with the same 404, 405 and observation as the feeds. Call it
// before serving.
func (h *Handler) Mount(path, name string, handler http.Handler) {
	h.router.Handle(path, handler).Methods(http.MethodGet, http.MethodHead).Name(name)
}

// Observe has fn called after each request with the name of the route it
// matched ("unmatched" for 404s and 405s), its status and its duration.
// Call it before serving.
func (h *Handler) Observe(fn func(route string, status int, took time.Duration)) { h.observe = fn }

// statusRecorder notes a response's status and the route that served it.
type statusRecorder struct {
	http.ResponseWriter
	status int
	route  string
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// recorders are reused: one per request would be one more allocation
// (and collector's work) on every request.
var recorders = sync.Pool{New: func() any { return new(statusRecorder) }}

// ServeHTTP serves a request; a panic becomes a logged 500, never a crash.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if debug := h.debug; h.observe != nil || debug {
		start := time.Now()
		rec := recorders.Get().(*statusRecorder)
		*rec = statusRecorder{ResponseWriter: w, route: "unmatched"}
		defer func() {
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			took := time.Since(start)
			if h.observe != nil {
				h.observe(rec.route, rec.status, took)
			}
			if debug {
				// The request line and its outcome; never a body.
				h.log.Debug("request", "method", r.Method, "uri", r.URL.RequestURI(), "route", rec.route,
					"status", rec.status, "bytes", rec.bytes, "encoding", w.Header().Get("Content-Encoding"),
					"took", took.String(), "remote", r.RemoteAddr)
			}
			*rec = statusRecorder{}
			recorders.Put(rec)
		}()
		w = rec
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v))
			httpError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	// A feed request is matched here and served directly: through the
	// router, each request would be copied twice to carry its route and
	// variables in its context, and matched against regular expressions.
	// matchFeed accepts exactly what the router's four feed routes accept
	// (FuzzMatchFeed holds it to that); unclean paths (which the router
	// redirects), other routes, 404s and 405s go through the router.
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if m, ok := matchFeed(r.URL.Path); ok {
			if rec, ok := w.(*statusRecorder); ok {
				rec.route = m.route
			}
			h.feed(w, r, m)
			return
		}
	}
	h.router.ServeHTTP(w, r)
}

// feedMatch is what a feed URL's path names.
type feedMatch struct {
	route              string // the router's name for the route
	category, language string // as written in the path
	format             Format // from the file name: rss.xml, atom.xml or feed.json
}

// matchFeed matches a path against the feed routes: /F,
// /category/C/F, /language/L/F and /language/L/category/C/F, where F is a
// feed file name and C and L are any segments. Paths that path.Clean would
// change do not match (so no segment is empty, "." or "..").
func matchFeed(p string) (feedMatch, bool) {
	var m feedMatch
	if len(p) < 2 || p[0] != '/' || path.Clean(p) != p {
		return m, false
	}
	var segs [5]string
	n := 0
	for rest := p[1:]; ; n++ {
		if n == len(segs) {
			return m, false
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			segs[n] = rest
			n++
			break
		}
		segs[n], rest = rest[:i], rest[i+1:]
	}
	switch {
	case n == 1:
		m.route = "feed"
	case n == 3 && segs[0] == "category":
		m.route, m.category = "category", segs[1]
	case n == 3 && segs[0] == "language":
		m.route, m.language = "language", segs[1]
	case n == 5 && segs[0] == "language" && segs[2] == "category":
		m.route, m.language, m.category = "language_category", segs[1], segs[3]
	default:
		return m, false
	}
	format, ok := FormatByFile(segs[n-1])
	m.format = format
	return m, ok
}

// httpError writes a one-line plain-text error.
func httpError(w http.ResponseWriter, code int, msg string) {
	hdr := w.Header()
	hdr.Del("ETag")
	hdr.Del("Last-Modified")
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (h *Handler) readyz(w http.ResponseWriter, _ *http.Request) {
	if h.set.Current() == nil {
		httpError(w, http.StatusServiceUnavailable, "not ready: the first scan of the posts has not finished")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

// snapshot returns the current snapshot, or answers 503 when there is none.
func (h *Handler) snapshot(w http.ResponseWriter) *Snapshot {
	snap := h.set.Current()
	if snap == nil {
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, "not ready: the first scan of the posts has not finished")
	}
	return snap
}

func (h *Handler) feed(w http.ResponseWriter, r *http.Request, m feedMatch) {
	if r.URL.RawQuery == "" {
		if snap := h.set.Current(); snap != nil {
			if doc := h.cache.lookup(snap, r.URL.Path); doc != nil {
				h.serve(w, r, doc)
				return
			}
		}
	}
	format := m.format
	key := ViewKey{
		Category: strings.ToLower(m.category),
		Language: strings.ToLower(strings.ReplaceAll(m.language, "_", "-")),
	}
	limit, page := h.site.Limit, 1
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		var err error
		if limit, err = intParam(q, "limit", h.site.Limit, h.site.MaxLimit); err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		if page, err = intParam(q, "page", 1, maxPage); err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	snap := h.snapshot(w)
	if snap == nil {
		return
	}
	v, ok := snap.View(key)
	if !ok {
		httpError(w, http.StatusNotFound, missingView(key, snap))
		return
	}
	ck := cacheKey{view: v.Key, format: format, page: page, limit: limit}
	// A cached copy is current and its page exists; served as it is when
	// asked for by its own URL.
	if rendered, ok := h.cache.get(ck, v); ok && r.URL.Path == rendered.CanonicalPath && r.URL.RawQuery == rendered.CanonicalQuery {
		h.cache.remember(snap, ck, rendered)
		h.serve(w, r, rendered)
		return
	}
	doc, ok := h.site.NewDocument(snap, v, format, page, limit)
	if !ok {
		httpError(w, http.StatusNotFound, fmt.Sprintf("page %d is past the last page (%d)", page, v.Pages(limit)))
		return
	}
	cpath, cquery := doc.CanonicalParts()
	if r.URL.Path != cpath || r.URL.RawQuery != cquery {
		// One URL per document: the self link is always the URL a reader
		// (or the W3C validator) fetched, and caches keep one copy.
		w.Header()["Cache-Control"] = h.hdrCacheControl
		http.Redirect(w, r, doc.SelfURL(), http.StatusMovedPermanently)
		return
	}
	var buf bytes.Buffer
	if err := doc.Render(&buf); err != nil {
		h.log.Error("rendering a feed", "path", r.URL.Path, "err", err)
		httpError(w, http.StatusInternalServerError, "internal error rendering the feed")
		return
	}
	rendered := NewRendered(buf.Bytes(), format.ContentType(), doc.LastModified())
	rendered.CanonicalPath, rendered.CanonicalQuery = cpath, cquery
	if len(h.site.Hubs) > 0 {
		// WebSub discovery (W3C WebSub 4): the hubs and the topic URL.
		links := make([]string, 0, len(h.site.Hubs)+1)
		for _, hub := range h.site.Hubs {
			links = append(links, "<"+hub+`>; rel="hub"`)
		}
		rendered.Link = strings.Join(append(links, "<"+doc.SelfURL()+`>; rel="self"`), ", ")
	}
	h.cache.put(ck, snap, v, rendered)
	h.serve(w, r, rendered)
}

// Cache returns the handler's render cache, for its counters.
func (h *Handler) Cache() *Cache { return h.cache }

// Header values shared by every response: set by assigning the slices,
// which no one modifies, rather than by Header.Set, which allocates.
var (
	hdrVary    = []string{"Accept-Encoding"}
	hdrNosniff = []string{"nosniff"}
)

// header returns a request header's first value. Request headers are
// canonicalized as they are read, so the map is indexed directly, without
// Header.Get's canonicalization of the name on every call.
func header(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// serve writes a rendered document in the coding the client prefers, or
// 304 when it already has any representation of it. Plain GETs and HEADs,
// and those with If-None-Match or If-Modified-Since, are answered here
// from values made once per document; requests with other preconditions
// or a range go through http.ServeContent, which implements all of
// RFC 9110.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, doc *Rendered) {
	coding := negotiate(header(r.Header, "Accept-Encoding"))
	enc := doc.encoding(coding)
	ctype, lastMod, link := doc.headers()
	hdr := w.Header()
	hdr["Etag"] = enc.hdrETag
	hdr["Vary"] = hdrVary
	hdr["Cache-Control"] = h.hdrCacheControl
	// RFC 9110 13.2.2: If-Match and If-Unmodified-Since are decided first
	// (with either, ServeContent decides everything), then If-None-Match
	// or If-Modified-Since, and a Range only after them.
	preconditions := header(r.Header, "If-Match") != "" || header(r.Header, "If-Unmodified-Since") != ""
	if !preconditions && notModified(r.Header, doc, lastMod != nil) {
		// RFC 9110 15.4.5: a 304 carries ETag, Vary and Cache-Control (and
		// Date), and no other representation metadata: the ETag is the
		// validator a cache updates by.
		w.WriteHeader(http.StatusNotModified)
		return
	}
	simple := !preconditions && header(r.Header, "Range") == "" && header(r.Header, "If-Range") == ""
	hdr["Content-Type"] = ctype
	hdr["X-Content-Type-Options"] = hdrNosniff
	if enc.hdrCoding != nil {
		hdr["Content-Encoding"] = enc.hdrCoding
	}
	if link != nil {
		hdr["Link"] = link
	}
	if lastMod != nil {
		hdr["Last-Modified"] = lastMod
	}
	if simple {
		hdr["Content-Length"] = enc.hdrLength
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(enc.body)
		}
		return
	}
	if coding != "" {
		// ServeContent leaves Content-Length out when a coding is set (it
		// expects compression on the fly); these bytes are made already.
		// Ranges of a compressed body are not offered.
		hdr["Content-Length"] = enc.hdrLength
		if r.Header.Get("Range") != "" {
			r = r.Clone(r.Context())
			r.Header.Del("Range")
		}
	}
	http.ServeContent(w, r, "", doc.LastModified, bytes.NewReader(enc.body))
}

// notModified says whether the client already has doc: If-None-Match
// names any of its tags (a client holding the identity representation,
// asking now with gzip accepted, has the document), or, without
// If-None-Match (RFC 9110 13.1.3), If-Modified-Since is no earlier than
// its last modification, when it has one.
func notModified(h http.Header, doc *Rendered, hasLastModified bool) bool {
	if inm := header(h, "If-None-Match"); inm != "" {
		return doc.Matches(inm)
	}
	ims := header(h, "If-Modified-Since")
	if ims == "" || !hasLastModified {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !doc.LastModified.Truncate(time.Second).After(t)
}

// maxPage bounds `page` so that page*limit cannot overflow.
const maxPage = 1 << 24

// missingView says which part of a feed URL names nothing.
func missingView(k ViewKey, snap *Snapshot) string {
	if k.Language != "" {
		if _, ok := snap.View(ViewKey{Language: k.Language}); !ok {
			return "no posts in language " + strconv.Quote(k.Language)
		}
	}
	if k.Category != "" {
		if _, ok := snap.View(ViewKey{Category: k.Category}); !ok {
			return "no posts in category " + strconv.Quote(k.Category)
		}
	}
	return fmt.Sprintf("no posts in category %q in language %q", k.Category, k.Language)
}

// intParam reads a whole-number query parameter in [1, max]; absent gives
// def. Anything else is an error that names the parameter and its range.
func intParam(q url.Values, name string, def, max int) (int, error) {
	vals, ok := q[name]
	if !ok {
		return def, nil
	}
	s := vals[0]
	bad := fmt.Errorf("%s must be a whole number from 1 to %d, not %q", name, max, s)
	if s == "" || len(s) > 9 {
		return 0, bad
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
		n = n*10 + int(s[i]-'0')
	}
	if n < 1 || n > max {
		return 0, bad
	}
	return n, nil
}
