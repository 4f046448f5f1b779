package prompts

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsNothingThatKnowsCalls holds prompts to its doc: it turns
// files and text into frames, and imports nothing that knows RTP,
// sockets or menus (espeak-ng runs as a local subprocess).
func TestImportsNothingThatKnowsCalls(t *testing.T) {
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
			case strings.HasPrefix(path, "github.com/ivrd/ivrd") && path != "github.com/ivrd/ivrd/audio":
				t.Errorf("%s imports %s: prompts imports only audio of ivrd", name, path)
			case path == "net" || strings.HasPrefix(path, "net/") || strings.Contains(path, "pion/") || strings.Contains(path, "sipgo"):
				t.Errorf("%s imports %s: prompts must not import network packages", name, path)
			}
		}
	}
}
