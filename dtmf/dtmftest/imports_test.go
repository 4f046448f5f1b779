package dtmftest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/ivrd/ivrd"

// TestOnlyTestsImportThisPackage: test signals (and espeak-ng) must never
// reach the binary. Every non-test Go file of the module is checked.
func TestOnlyTestsImportThisPackage(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if strings.HasSuffix(dir, "dtmf/dtmftest") {
			return nil
		}
		for _, imp := range importsOf(t, path) {
			if imp == modulePath+"/dtmf/dtmftest" {
				t.Errorf("%s (production code) imports dtmftest", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDoesNotImportDtmf: dtmf's own tests import this package, so
// importing dtmf back would be a cycle; and the generator's keypad is an
// independent reference for the detector's.
func TestDoesNotImportDtmf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		for _, imp := range importsOf(t, name) {
			if imp == modulePath+"/dtmf" {
				t.Errorf("%s imports dtmf", name)
			}
		}
	}
}

func importsOf(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		out = append(out, p)
	}
	return out
}
