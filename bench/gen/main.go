// Command gen writes a realistic corpus of news posts in the sample post's
// format (see package corpus), for load tests. The same seed gives the same
// bytes.
//
//	go run ./bench/gen -n 100000 -seed 1 -out /tmp/corpus
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/feedd/feedd/bench/corpus"
)

func main() {
	n := flag.Int("n", 10000, "number of posts")
	seed := flag.Uint64("seed", 1, "random seed: the same seed gives the same corpus")
	out := flag.String("out", "corpus", "directory to write the posts into (created)")
	flag.Parse()
	if *n < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen [-n N] [-seed S] [-out DIR]")
		os.Exit(2)
	}
	start := time.Now()
	if err := corpus.Generate(*out, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: %d posts in %s in %s\n", *n, *out, time.Since(start).Round(time.Millisecond))
}
