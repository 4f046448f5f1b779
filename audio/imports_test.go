package audio

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsNoIvrdOrNetworkPackage holds audio to its doc: everything
// else builds on it, so it must not depend on any other ivrd package, and
// it works on samples, never on sockets or protocols.
func TestImportsNoIvrdOrNetworkPackage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case strings.HasPrefix(path, "github.com/ivrd/ivrd"):
				t.Errorf("%s imports %s: audio must not import other ivrd packages", name, path)
			case path == "net" || strings.HasPrefix(path, "net/") || strings.Contains(path, "pion/") || strings.Contains(path, "sipgo"):
				t.Errorf("%s imports %s: audio must not import network packages", name, path)
			}
		}
	}
}
