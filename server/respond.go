package server

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Header values every document response shares: set by assigning the
// slices, which no one modifies. A response carries no more headers than
// it needs: past eight, net/http's header map grows on every response,
// which costs a cached response microseconds (bench/load.sh).
var (
	hdrVary      = []string{"Accept-Encoding"}
	hdrAnyOrigin = []string{"*"}
)

// serve writes a rendered document in the coding the client prefers.
// http.ServeContent decides the rest from the headers set here: 304 for
// If-None-Match or If-Modified-Since, 412 for If-Match or
// If-Unmodified-Since, HEAD, and ranges (of the identity body only); but
// for plain requests (see servePlain).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, doc *Rendered) {
	coding := negotiate(r.Header.Get("Accept-Encoding"))
	enc := doc.encoding(r.Context(), coding)
	if enc == nil {
		gaveUp(w)
		return
	}
	hdr := w.Header()
	hdr["Etag"] = enc.hdrETag
	hdr["Vary"] = hdrVary
	hdr["Cache-Control"] = s.cacheControl
	if servePlain(w, r, doc, enc) {
		return
	}
	hdr["Content-Type"] = doc.hdrType
	if doc.hdrLink != nil {
		hdr["Link"] = doc.hdrLink
	}
	if coding != "" {
		hdr["Content-Encoding"] = enc.hdrCoding
		// ServeContent leaves Content-Length out when a coding is set (it
		// expects compression on the fly); these bytes are made already.
		// Not when it may answer 412, which keeps the header and sends no
		// body: only If-Match and If-Unmodified-Since lead there.
		if r.Header.Get("If-Match") == "" && r.Header.Get("If-Unmodified-Since") == "" {
			hdr["Content-Length"] = enc.hdrLength
		}
		if r.Header.Get("Range") != "" {
			r = withoutHeader(r, "Range")
		}
	} else if rng := r.Header.Get("Range"); strings.Count(rng, ",") >= maxRanges {
		// More ranges than any reader needs: the whole document.
		r = withoutHeader(r, "Range")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if tags := asServed(inm, doc, enc.hdrETag[0]); tags != inm {
			r = r.Clone(r.Context())
			r.Header.Set("If-None-Match", tags)
		}
	}
	http.ServeContent(w, r, "", doc.LastModified, bytes.NewReader(enc.body))
}

// servePlain answers the requests nearly every poll makes: a GET or HEAD
// with no precondition but If-None-Match, and no range. It answers them as
// http.ServeContent would (a 304 when If-None-Match names any tag of the
// document, else the whole body), from header values made once per
// document, and reports whether it did. It exists because ServeContent
// costs a cached 200 about 3.5 µs more and a 304 about 1 µs more, a tenth
// or more of a whole request on one core: enough to take the load test's
// cached gzip and 304 throughput below 0.9 of the baseline's
// (bench/load.sh, docs/performance.md).
func servePlain(w http.ResponseWriter, r *http.Request, doc *Rendered, enc *encoding) bool {
	h := r.Header
	inm := h.Get("If-None-Match")
	if h.Get("If-Match") != "" || h.Get("If-Unmodified-Since") != "" || h.Get("Range") != "" ||
		(inm == "" && h.Get("If-Modified-Since") != "") {
		return false
	}
	if inm != "" && noneMatch(inm, doc) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	hdr := w.Header()
	hdr["Content-Type"] = doc.hdrType
	if doc.hdrLastModified != nil {
		hdr["Last-Modified"] = doc.hdrLastModified
	}
	hdr["Content-Length"] = enc.hdrLength
	if enc.hdrCoding != nil {
		hdr["Content-Encoding"] = enc.hdrCoding
	}
	if doc.hdrLink != nil {
		hdr["Link"] = doc.hdrLink
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(enc.body)
	}
	return true
}

// noneMatch says whether an If-None-Match list names the document: "*",
// or any of its tags, compared weakly (RFC 9110 13.1.2).
func noneMatch(inm string, doc *Rendered) bool {
	for rest := inm; rest != ""; {
		var tag string
		tag, rest, _ = strings.Cut(rest, ",")
		if tag = strings.TrimSpace(tag); tag == "*" || doc.matches(tag) {
			return true
		}
	}
	return false
}

// maxRanges is the most ranges of a document served in one response.
const maxRanges = 10

// asServed rewrites an If-None-Match list so that a tag of the document
// in any coding reads as the tag of the one served: a client that holds
// the document in one coding has it, whatever it accepts now.
func asServed(inm string, doc *Rendered, served string) string {
	if strings.Contains(inm, served) || strings.TrimSpace(inm) == "*" {
		return inm // ServeContent matches it as it is
	}
	parts := strings.Split(inm, ",")
	for i, t := range parts {
		if t = strings.TrimSpace(t); t != "*" && trimWeak(t) != served && doc.matches(t) {
			parts[i] = served
		}
	}
	return strings.Join(parts, ",")
}

func trimWeak(tag string) string { return strings.TrimPrefix(strings.TrimSpace(tag), "W/") }

// withoutHeader is r without one of its headers.
func withoutHeader(r *http.Request, name string) *http.Request {
	r = r.Clone(r.Context())
	r.Header.Del(name)
	return r
}

// negotiate picks the content coding for an Accept-Encoding value: br or
// gzip by their weights, br when both weigh the same, none for q=0, and
// identity when nothing is acceptable or the header is absent.
func negotiate(accept string) string {
	if accept == "" {
		return ""
	}
	br, gz, star := -1.0, -1.0, -1.0 // -1: not named
	for rest := accept; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		name, params, _ := strings.Cut(part, ";")
		q := 1.0
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				q = parseQ(strings.TrimSpace(v))
			}
		}
		switch name = strings.TrimSpace(name); {
		case strings.EqualFold(name, "br"):
			br = q
		case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
			gz = max(gz, q)
		case name == "*":
			star = q
		}
	}
	if br < 0 {
		br = max(star, 0)
	}
	if gz < 0 {
		gz = max(star, 0)
	}
	switch {
	case br > 0 && br >= gz:
		return "br"
	case gz > 0:
		return "gzip"
	}
	return ""
}

// parseQ reads a qvalue; anything but a number from 0 to 1 counts as 0,
// refusing the coding rather than guessing.
func parseQ(s string) float64 {
	q, err := strconv.ParseFloat(s, 64)
	if err != nil || q < 0 || q > 1 {
		return 0
	}
	return q
}
