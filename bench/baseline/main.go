// Command baseline is the floor for any Go server in feedd's load test: it
// serves one precomputed document (and its precomputed gzip) with a strong
// ETag and answers If-None-Match with 304, and nothing else.
//
//	go run ./bench/baseline -file rss.xml -addr 127.0.0.1:18101
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	file := flag.String("file", "", "the document to serve")
	addr := flag.String("addr", "127.0.0.1:18101", "listen address")
	ctype := flag.String("type", "application/rss+xml; charset=utf-8", "its content type")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	gzTag := strings.TrimSuffix(tag, `"`) + `-gzip"`
	bodyLen, gzLen := strconv.Itoa(len(body)), strconv.Itoa(gz.Len())
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", *ctype)
		h.Set("Vary", "Accept-Encoding")
		if inm := r.Header.Get("If-None-Match"); inm == tag || inm == gzTag {
			h.Set("ETag", inm)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.Set("ETag", gzTag)
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", gzLen)
			w.Write(gz.Bytes())
			return
		}
		h.Set("ETag", tag)
		h.Set("Content-Length", bodyLen)
		w.Write(body)
	})))
}
