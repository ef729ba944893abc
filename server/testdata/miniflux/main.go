// Command main reads feeds with Miniflux's own parser, for feedd's
// conformance test (server/conformance_test.go): the test copies the
// Miniflux module from the Go module proxy and builds this file inside it,
// since only code in that module may import its internal packages.
//
// Input on stdin: a JSON list of {"URL": the document's URL, "File": its
// path}. Output on stdout: a JSON list with, for each document, the
// parser's error if any, and each entry's title, link, author and date.
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"time"

	"miniflux.app/v2/internal/reader/parser"
)

type entry struct {
	Title, URL, Author, Date string
}

type result struct {
	Error   string
	Entries []entry
}

func main() {
	var docs []struct{ URL, File string }
	if err := json.NewDecoder(os.Stdin).Decode(&docs); err != nil {
		panic(err)
	}
	out := []result{}
	for _, d := range docs {
		data, err := os.ReadFile(d.File)
		if err != nil {
			panic(err)
		}
		f, err := parser.ParseFeed(d.URL, bytes.NewReader(data))
		if err != nil {
			out = append(out, result{Error: err.Error()})
			continue
		}
		r := result{Entries: []entry{}}
		for _, e := range f.Entries {
			r.Entries = append(r.Entries, entry{e.Title, e.URL, e.Author, e.Date.UTC().Format(time.RFC3339)})
		}
		out = append(out, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
