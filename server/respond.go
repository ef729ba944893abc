package server

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Header values every document response shares: set by assigning the
// slices, which no one modifies.
var (
	hdrVary    = []string{"Accept-Encoding"}
	hdrNosniff = []string{"nosniff"}
)

// serve writes a rendered document in the coding the client prefers.
// http.ServeContent decides the rest from the headers set here: 304 for
// If-None-Match or If-Modified-Since, 412 for If-Match or
// If-Unmodified-Since, HEAD, and ranges (of the identity body only).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, doc *Rendered) {
	coding := negotiate(r.Header.Get("Accept-Encoding"))
	enc := doc.encoding(coding)
	hdr := w.Header()
	hdr["Etag"] = enc.hdrETag
	hdr["Vary"] = hdrVary
	hdr["Cache-Control"] = s.cacheControl
	hdr["Content-Type"] = doc.hdrType
	hdr["X-Content-Type-Options"] = hdrNosniff
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
	weights := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "x-gzip" {
			name = "gzip"
		}
		weights[name] = 1
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				weights[name] = parseQ(strings.TrimSpace(v))
			}
		}
	}
	weight := func(coding string) float64 {
		if q, ok := weights[coding]; ok {
			return q
		}
		return weights["*"] // 0 when absent
	}
	br, gz := weight("br"), weight("gzip")
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
