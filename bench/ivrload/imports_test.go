package ivrload

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsNoServerPackage: the load generator is a client for any SIP
// server; ivrd's own signalling, media, call and menu code must not leak
// into it (directly or through a dependency). It uses package audio
// alone, for its G.722 encoder (a codec checked against ITU's test
// sequences, not server logic).
func TestImportsNoServerPackage(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	for _, pkg := range []string{".", "../../cmd/ivrload"} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			rest, ok := strings.CutPrefix(dep, "github.com/ivrd/ivrd/")
			if !ok {
				continue
			}
			switch rest {
			case "bench/ivrload", "cmd/ivrload", "audio":
			default:
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
