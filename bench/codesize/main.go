// Command codesize reports the size of feedd's code that is not tests:
// its lines, each package's, and its longest functions, so that the
// limits the project keeps (no package over 2,000 lines, no function over
// 80) can be checked by anyone. It exits 1 when one is broken.
//
//	go run ./bench/codesize
package main

import (
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const (
	maxPackageLines = 2000
	maxFuncLines    = 80
)

type function struct {
	name  string
	lines int
}

func main() {
	fset := token.NewFileSet()
	packages := map[string]int{}
	var funcs []function
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		packages[filepath.Dir(path)] += bytes.Count(src, []byte("\n"))
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
				lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				funcs = append(funcs, function{fmt.Sprintf("%s:%d %s", path, fset.Position(fn.Pos()).Line, fn.Name.Name), lines})
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "codesize:", err)
		os.Exit(2)
	}
	total, broken := 0, false
	names := make([]string, 0, len(packages))
	for p, n := range packages {
		total += n
		names = append(names, p)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(packages[b], packages[a]) })
	fmt.Printf("%d lines of Go that is not tests, in %d packages; the largest:\n", total, len(names))
	for i, p := range names {
		if i < 5 || packages[p] > maxPackageLines {
			fmt.Printf("  %5d  %s\n", packages[p], p)
		}
		broken = broken || packages[p] > maxPackageLines
	}
	slices.SortFunc(funcs, func(a, b function) int { return cmp.Compare(b.lines, a.lines) })
	fmt.Println("the longest functions:")
	for i, f := range funcs {
		if i < 5 || f.lines > maxFuncLines {
			fmt.Printf("  %5d  %s\n", f.lines, f.name)
		}
		broken = broken || f.lines > maxFuncLines
	}
	if broken {
		fmt.Printf("over the limits: %d lines a package, %d a function\n", maxPackageLines, maxFuncLines)
		os.Exit(1)
	}
}
