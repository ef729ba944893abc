//go:build unix

// Command bodystores compares three ways of keeping the bodies of posts
// outside the Go heap, on feedd's workload:
//
//   - segments: bodies.Store, unlinked files that bodies are appended to;
//   - bbolt: go.etcd.io/bbolt, one database file with one bucket keyed by
//     the 8-byte big-endian id, NoSync and NoFreelistSync;
//   - files: one file per body.
//
// Each store runs in a child process of its own (the command runs itself
// with -child), so that the peak RSS (VmHWM) and the CPU time (user+sys)
// it reports are that store's. For -n posts a child measures:
//
//  1. start-up: Put n Markdown sources of 4,000 to 5,000 bytes, one after
//     another, as the start-up scan does (bbolt batches these puts, 1,000
//     to a transaction; every other write is a transaction of its own);
//  2. rendering: Replace every body with HTML of 4,500 to 5,500 bytes;
//  3. pages: 2,000 times, Get 50 bodies, half among the newest 1,000 ids
//     and half among all; the time of a page (p50, p99) and of a Get;
//  4. edits: 20,000 times, Put a new body and Release a random live one;
//     then the disk space of the store's files and the files it has open;
//  5. the process's peak RSS and CPU time after all that.
//
// Times are those of the store's calls; making the text is not counted,
// and costs little more than a copy (see makeText). The parent prints a
// markdown table, a row for each store:
//
//	go run ./bench/bodystores            # 100,000 posts
//	go run ./bench/bodystores -n 10000   # a quick run
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	pages    = 2000
	pageSize = 50
	newest   = 1000
	edits    = 20000
	batch    = 1000 // bbolt's puts in a transaction at start-up
)

// result is what a child measures, sent to the parent as JSON.
type result struct {
	Store                  string
	N                      int
	Startup, Replace       time.Duration
	PageP50, PageP99       time.Duration
	Get                    time.Duration
	Edits                  time.Duration
	Disk                   int64
	OpenFiles              int
	PeakRSS                int64
	RSSAnon, RSSFile       int64 // at the end
	CPU                    time.Duration
	Compactions            uint64 // segments only
	SegmentFiles, InMemory int    // segments only
}

func main() {
	n := flag.Int("n", 100000, "posts")
	dir := flag.String("dir", os.TempDir(), "where the stores' files go")
	stores := flag.String("stores", "segments,bbolt,files", "stores to compare, comma-separated")
	child := flag.Bool("child", false, "run one store's workload and print its result as JSON (for the parent)")
	name := flag.String("store", "", "the store a child runs")
	flag.Parse()
	log.SetFlags(0)

	if *child {
		r, err := run(*name, *n, *dir)
		if err != nil {
			log.Fatalf("%s: %v", *name, err)
		}
		if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
			log.Fatal(err)
		}
		return
	}

	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	var results []result
	for _, name := range strings.Split(*stores, ",") {
		log.Printf("running %s with %d posts...", name, *n)
		cmd := exec.Command(exe, "-child", "-store", name, "-n", strconv.Itoa(*n), "-dir", *dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		results = append(results, r)
	}
	printTable(os.Stdout, results, *n, *dir)
}

func printTable(w io.Writer, results []result, n int, dir string) {
	fmt.Fprintf(w, "%d posts, files in %s, %s, GOMAXPROCS %d\n\n", n, dir, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Fprintln(w, "| store | start-up puts | replace all | page of 50 p50 / p99 | Get | 20k edits | disk after edits | files open | peak RSS | RSS at end (anon + file) | CPU |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %s (%s/op) | %s (%s/op) | %s / %s | %s | %s (%s/op) | %s | %d | %s | %s + %s | %s |\n",
			r.Store,
			secs(r.Startup), micros(r.Startup/time.Duration(r.N)),
			secs(r.Replace), micros(r.Replace/time.Duration(r.N)),
			micros(r.PageP50), micros(r.PageP99), micros(r.Get),
			secs(r.Edits), micros(r.Edits/edits),
			mib(r.Disk), r.OpenFiles, mib(r.PeakRSS), mib(r.RSSAnon), mib(r.RSSFile), secs(r.CPU))
	}
	fmt.Fprintf(w, "\nbbolt: start-up puts %d to a write transaction, every other Put, Replace and Release a transaction of its own.\n", batch)
	for _, r := range results {
		if r.Store == "segments" {
			fmt.Fprintf(w, "segments: %d segment files, %d compactions, %d bodies in memory after the edits.\n", r.SegmentFiles, r.Compactions, r.InMemory)
		}
	}
	fmt.Fprintln(w, "An edit is a Put and a Release. Disk: segments' Stats().FileBytes, bbolt's file size, the files' st_blocks*512.")
	fmt.Fprintln(w, "Files open: the files in the store's directory the process has open after the edits. RSS counts the file pages a process maps and touches (bbolt's mmap) as well as its memory.")
}

func secs(d time.Duration) string   { return fmt.Sprintf("%.2f s", d.Seconds()) }
func micros(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/1e3) }
func mib(b int64) string            { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// run is a child's workload.
func run(name string, n int, dir string) (result, error) {
	r := result{Store: name, N: n}
	tmp, err := os.MkdirTemp(dir, "bodystores-"+name+"-*")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(tmp)
	s, err := open(name, tmp)
	if err != nil {
		return r, err
	}
	defer s.Close()
	ids, err := startUp(s, n, &r)
	if err != nil {
		return r, err
	}
	if err := renderAll(s, ids, &r); err != nil {
		return r, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if err := readPages(s, ids, rng, &r); err != nil {
		return r, err
	}
	if err := edit(s, ids, n, rng, &r); err != nil {
		return r, err
	}
	if err := measure(s, tmp, &r); err != nil {
		return r, err
	}
	return r, s.Close()
}

// startUp puts n Markdown sources, as the start-up scan does. Only a
// store that puts in batches is given bodies in batches: the others would
// count the batch in their RSS.
func startUp(s store, n int, r *result) ([]uint64, error) {
	ids := make([]uint64, 0, n)
	size := 1
	if _, ok := s.(loader); ok {
		size = batch
	}
	chunk := make([][]byte, 0, size)
	for len(ids) < n {
		chunk = chunk[:0]
		for i := len(ids); i < n && len(chunk) < size; i++ {
			chunk = append(chunk, markdown(uint64(i+1)))
		}
		t0 := time.Now()
		got, err := putAll(s, chunk)
		r.Startup += time.Since(t0)
		if err != nil {
			return nil, err
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// renderAll replaces every source with its HTML, as the background
// rendering does.
func renderAll(s store, ids []uint64, r *result) error {
	for _, id := range ids {
		b := html(id)
		t0 := time.Now()
		err := s.Replace(id, b)
		r.Replace += time.Since(t0)
		if err != nil {
			return err
		}
	}
	return nil
}

// readPages reads pages of bodies, half among the newest, and checks
// every body read.
func readPages(s store, ids []uint64, rng *rand.Rand, r *result) error {
	times := make([]time.Duration, pages)
	page := make([]uint64, pageSize)
	var all time.Duration
	for p := range times {
		for i := range page {
			if i%2 == 0 {
				page[i] = ids[len(ids)-1-rng.IntN(min(newest, len(ids)))]
			} else {
				page[i] = ids[rng.IntN(len(ids))]
			}
		}
		var got [pageSize][]byte
		t0 := time.Now()
		for i, id := range page {
			var err error
			if got[i], err = s.Get(id); err != nil {
				return err
			}
		}
		times[p] = time.Since(t0)
		all += times[p]
		for i, id := range page {
			if !isHTML(got[i], id) {
				return fmt.Errorf("Get(%d) gave %d bytes that are not its body", id, len(got[i]))
			}
		}
	}
	slices.Sort(times)
	r.PageP50, r.PageP99 = times[len(times)/2], times[len(times)*99/100]
	r.Get = all / (pages * pageSize)
	return nil
}

// edit puts new bodies and releases old ones, as edits do.
func edit(s store, ids []uint64, n int, rng *rand.Rand, r *result) error {
	live := ids
	for i := range edits {
		b := html(uint64(n + 1 + i))
		j := rng.IntN(len(live))
		t0 := time.Now()
		id, err := s.Put(b)
		if err == nil {
			err = s.Release(live[j])
		}
		r.Edits += time.Since(t0)
		if err != nil {
			return err
		}
		live[j] = id
	}
	return nil
}

// measure notes the store's disk and files, and the process's CPU and
// memory.
func measure(s store, tmp string, r *result) error {
	var err error
	if r.Disk, err = s.DiskBytes(); err != nil {
		return err
	}
	if r.OpenFiles, err = openIn(tmp); err != nil {
		return err
	}
	if st, ok := s.(segments); ok {
		stats := st.Stats()
		r.Compactions, r.SegmentFiles, r.InMemory = stats.Compactions, stats.Files, stats.InMemory
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return err
	}
	r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	status, err := procStatus()
	if err != nil {
		return err
	}
	r.PeakRSS, r.RSSAnon, r.RSSFile = status["VmHWM"], status["RssAnon"], status["RssFile"]
	return nil
}

// putAll puts bodies, in one transaction if the store can.
func putAll(s store, bodies [][]byte) ([]uint64, error) {
	if l, ok := s.(loader); ok {
		return l.PutBatch(bodies)
	}
	ids := make([]uint64, len(bodies))
	for i, b := range bodies {
		id, err := s.Put(b)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// openIn counts the process's open files that are (or were, before they
// were unlinked) in dir.
func openIn(dir string) (int, error) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(target, dir+"/") {
			n++
		}
	}
	return n, nil
}

// procStatus reads the sizes in /proc/self/status, in bytes.
func procStatus() (map[string]int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := make(map[string]int64)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		if kb, ok := strings.CutSuffix(strings.TrimSpace(v), " kB"); ok {
			n, err := strconv.ParseInt(kb, 10, 64)
			if err != nil {
				return nil, err
			}
			m[k] = n << 10
		}
	}
	return m, sc.Err()
}

var words = strings.Fields(`the council minister province road water school hospital
farmers rice price market bank loan court police election party government
national capital city village river bridge flood rain season harvest export
import trade company workers factory garment union wage tourism temple
festival football team match coach player report said according official
spokesman statement week month year today yesterday new old first last
more less people families children students teachers health ministry plan
project million dollars riel investment development agreement signed talks`)

// The text of the bodies is cut from two megabytes of Markdown and HTML
// made once from a fixed seed, so that making a body costs a copy: the CPU
// time measured is then the store's, the Go runtime's and little else.
var markdownText, htmlText = makeText()

func makeText() (md, html []byte) {
	r := rand.New(rand.NewPCG(1, 2))
	for len(md) < 1<<20 {
		md = append(md, "\n\n"...)
		switch r.IntN(8) {
		case 0:
			md = append(md, "## "...)
			md = sentence(md, r, 5)
		case 1:
			md = append(md, "- **"...)
			md = sentence(md, r, 3)
			md = append(md, "** "...)
			md = sentence(md, r, 12)
		default:
			md = sentence(md, r, 40+r.IntN(40))
			md = append(md, " [more](https://example.com/"...)
			md = strconv.AppendUint(md, r.Uint64N(1e6), 10)
			md = append(md, ")."...)
		}
	}
	for len(html) < 1<<20 {
		if r.IntN(6) == 0 {
			html = append(html, "<h2>"...)
			html = sentence(html, r, 5)
			html = append(html, "</h2>\n"...)
			continue
		}
		html = append(html, "<p>"...)
		html = sentence(html, r, 40+r.IntN(40))
		html = append(html, ` <a href="https://example.com/`...)
		html = strconv.AppendUint(html, r.Uint64N(1e6), 10)
		html = append(html, `">more</a>.</p>`+"\n"...)
	}
	return md, html
}

func sentence(b []byte, r *rand.Rand, count int) []byte {
	for i := range count {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, words[r.IntN(len(words))]...)
	}
	return b
}

// markdown is id's source, 4,000 to 5,000 bytes, always the same for an id.
func markdown(id uint64) []byte { return cut(markdownText, "# Post %d\n", id, 4000) }

// html is id's rendered body, 4,500 to 5,500 bytes, always the same for an id.
func html(id uint64) []byte { return cut(htmlText, htmlHeading, id, 4500) }

const htmlHeading = "<h1>Post %d</h1>\n"

// isHTML reports whether b is html(id), without making it.
func isHTML(b []byte, id uint64) bool {
	var heading [64]byte
	h := fmt.Appendf(heading[:0], htmlHeading, id)
	n, from := place(htmlText, id, 4500)
	return len(b) == n && bytes.HasPrefix(b, h) && bytes.Equal(b[len(h):], htmlText[from:from+n-len(h)])
}

// cut makes size to size+1,000 bytes: the heading, then text from a place
// in all that depends on id.
func cut(all []byte, heading string, id uint64, size int) []byte {
	n, from := place(all, id, size)
	b := fmt.Appendf(make([]byte, 0, n), heading, id)
	return append(b, all[from:from+n-len(b)]...)
}

func place(all []byte, id uint64, size int) (n, from int) {
	h := mix(id)
	n = size + int(h%1001)
	return n, int((h >> 16) % uint64(len(all)-n))
}

// mix is splitmix64's finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
