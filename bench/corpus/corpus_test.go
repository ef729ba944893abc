package corpus

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed/parse"
)

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestGenerate: the corpus is the same for the same seed, every post parses
// in the sample's format, bodies are 4 to 5 KB, categories have skewed
// sizes, and en, km and zh are all there, in year/month directories.
func TestGenerate(t *testing.T) {
	const n = 600
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for dir, seed := range map[string]uint64{a: 7, b: 7, c: 8} {
		if err := Generate(dir, n, seed); err != nil {
			t.Fatal(err)
		}
	}
	fa, fb, fc := readTree(t, a), readTree(t, b), readTree(t, c)
	if len(fa) != n {
		t.Fatalf("%d files, want %d", len(fa), n)
	}
	same := true
	for k, v := range fa {
		same = same && bytes.Equal(v, fb[k])
	}
	if !same || len(fb) != n {
		t.Error("the same seed gave a different corpus")
	}
	if len(fc) == n {
		differ := false
		for k, v := range fa {
			differ = differ || !bytes.Equal(v, fc[k])
		}
		if !differ {
			t.Error("another seed gave the same corpus")
		}
	}
	cats, langs := map[string]int{}, map[string]int{}
	for rel, data := range fa {
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) != 2 {
			t.Fatalf("%s is not in a year/month directory", rel)
		}
		p, err := parse.Post(rel, data, time.Time{}, parse.Options{Location: time.UTC, Language: "en"})
		if err != nil {
			t.Fatalf("a generated post is bad: %v", err)
		}
		_, body, _ := strings.Cut(string(data[4:]), "\n---\n")
		if l := len(body); l < 4000 || l > 5300 {
			t.Errorf("%s: body of %d bytes", rel, l)
		}
		if !p.HasCode || p.Image == "" || p.Summary == "" || len(p.Categories) != 1 || p.Date.Year() < 2020 || p.Date.Year() > 2024 {
			t.Fatalf("%s: %+v", rel, p)
		}
		cats[p.Categories[0].Slug]++
		langs[p.Language]++
	}
	if len(cats) != 8 || cats["national"] < 4*cats["real-estate"] {
		t.Errorf("categories %v: want eight, of skewed sizes", cats)
	}
	if langs["en"] < langs["km"] || langs["km"] < langs["zh"] || langs["zh"] == 0 {
		t.Errorf("languages %v", langs)
	}
}
