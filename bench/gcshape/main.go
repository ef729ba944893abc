// Command gcshape is bench/baseline holding an archive in the heap: what
// the shape of feedd's long-lived data costs a Go server's cached responses
// through the garbage collector, apart from everything else feedd does.
// It serves one document like the baseline, after building, for -n posts,
// one of these heaps:
//
//   - pointers: feedd's layout (issue 6, third session): per post a
//     460-byte struct with six strings into one packed string of 350
//     bytes and a category list, held by four sorted views and two maps
//     (about 0.4 million objects and 94 MB for 100,000 posts);
//   - arena: pointers, but each post's packed string in 1 MiB byte
//     arenas shared by many posts;
//   - flat: the same bytes without pointers, as 1 MiB byte slabs (what
//     records in slabs, strings in arenas and views as indexes would
//     give);
//   - none: nothing (the baseline).
//
// -scatter allocates a scan's worth of garbage between the posts, as
// parsing does. -budget feedd sets feedd's collector budget (a memory
// limit of 1.4 x the live heap + 80 MiB, GOGC=400); otherwise GOGC and
// GOMEMLIMIT decide. Load it like the baseline (bench/load.sh's wrk line):
//
//	go run ./bench/gcshape -file rss.xml -shape flat -addr 127.0.0.1:18105
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"log"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"unsafe"
)

type post struct {
	path, id, title, summary, link, image string
	categories                            []string
	language                              string
	store, segment                        *int
	_                                     [28]int64 // the rest of feedd's post: dates, sizes, the body's place
}

// held keeps the archive reachable.
var held struct {
	posts  []*post
	views  [4][]*post
	byPath map[uint64]*post
	byID   map[uint64]*post
	slabs  [][]byte
	arena  []byte
}

func build(shape string, n int, scatter bool) {
	shared := new(int)
	switch shape {
	case "none":
	case "pointers", "arena":
		arena := shape == "arena"
		held.byPath, held.byID = map[uint64]*post{}, map[uint64]*post{}
		for i := 0; i < n; i++ {
			if scatter {
				for g := 0; g < 30; g++ {
					runtime.KeepAlive(make([]byte, 100+g*37%700))
				}
			}
			var s string
			if arena {
				if len(held.arena)+350 > cap(held.arena) {
					held.arena = make([]byte, 0, 1<<20)
				}
				off := len(held.arena)
				held.arena = append(held.arena, make([]byte, 350)...)
				held.arena[off] = byte(i)
				s = unsafe.String(&held.arena[off], 350)
			} else {
				b := make([]byte, 350)
				b[0] = byte(i)
				s = string(b)
			}
			p := &post{path: s[0:40], id: s[40:60], title: s[60:140], summary: s[140:300], link: s[300:340], image: s[340:],
				categories: []string{strconv.Itoa(i % 8), "News"}, language: "en", store: shared, segment: shared}
			held.posts = append(held.posts, p)
			for v := range held.views {
				held.views[v] = append(held.views[v], p)
			}
			held.byPath[uint64(i)] = p
			held.byID[uint64(i)*7] = p
		}
	case "flat":
		size := n * 700 // the bytes of pointers' posts, strings and views
		for size > 0 {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			held.slabs = append(held.slabs, b)
			size -= len(b)
		}
	default:
		log.Fatalf("-shape %q: want none, pointers, arena or flat", shape)
	}
}

func main() {
	file := flag.String("file", "", "the document to serve")
	addr := flag.String("addr", "127.0.0.1:18105", "listen address")
	shape := flag.String("shape", "pointers", "the archive's heap: pointers, arena, flat or none")
	n := flag.Int("n", 100000, "posts")
	scatter := flag.Bool("scatter", false, "allocate garbage between the posts, as a scan does")
	budget := flag.String("budget", "", `"feedd" for feedd's collector budget; otherwise GOGC and GOMEMLIMIT`)
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	build(*shape, *n, *scatter)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	log.Printf("%s: %d MB live, %d objects", *shape, ms.HeapAlloc>>20, ms.HeapObjects)
	if *budget == "feedd" {
		debug.SetMemoryLimit(int64(float64(ms.HeapAlloc)*1.4) + 80<<20)
		debug.SetGCPercent(400)
	}
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	bodyLen := strconv.Itoa(len(body))
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/rss+xml; charset=utf-8")
		h.Set("Vary", "Accept-Encoding")
		h.Set("ETag", tag)
		if r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", bodyLen)
		w.Write(body)
	})))
}
