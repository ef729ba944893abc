// Command baseline is the floor of feedd's stack in the load test: the
// same routes on gorilla/mux (one per kind of feed), the same http.Server
// timeouts and header limit as `feedd serve`, and nothing else: it serves
// one precomputed document and its precomputed gzip at every feed URL,
// with the headers a feed response must carry (a strong ETag, Vary,
// Cache-Control, Last-Modified, Access-Control-Allow-Origin), and answers
// If-None-Match with 304.
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
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/server"
	"github.com/gorilla/mux"
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
	info, err := os.Stat(*file)
	if err != nil {
		log.Fatal(err)
	}
	lastModified := info.ModTime().UTC().Format(http.TimeFormat)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	gzTag := strings.TrimSuffix(tag, `"`) + `-gzip"`
	bodyLen, gzLen := strconv.Itoa(len(body)), strconv.Itoa(gz.Len())
	serve := func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Vary", "Accept-Encoding")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Access-Control-Allow-Origin", "*")
		if inm := r.Header.Get("If-None-Match"); inm == tag || inm == gzTag {
			h.Set("ETag", inm)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", *ctype)
		h.Set("Last-Modified", lastModified)
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.Set("ETag", gzTag)
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", gzLen)
			_, _ = w.Write(gz.Bytes())
			return
		}
		h.Set("ETag", tag)
		h.Set("Content-Length", bodyLen)
		_, _ = w.Write(body)
	}
	r := mux.NewRouter()
	for _, k := range feed.Kinds {
		r.HandleFunc(server.Route(k), serve).Methods(http.MethodGet, http.MethodHead).Name(k.Name)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := server.NewHTTPServer(r, server.DefaultTimeouts, slog.Default())
	log.Fatal(srv.Serve(ln))
}
